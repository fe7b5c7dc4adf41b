// The Parquet seam: encode Arrow tables to Parquet bytes and decode Parquet bytes to Arrow, via parquet-wasm.
// src/log and src/table use these functions only; nothing else imports parquet-wasm.
import * as pw from 'parquet-wasm/node';
import {
  Field,
  makeData,
  RecordBatch,
  Schema,
  Struct,
  Table,
  tableFromIPC,
  tableToIPC,
  TimeUnit,
  Timestamp,
  type Data,
  type DataType,
} from 'apache-arrow';
import { ProtocolError, SchemaMismatchError, UnsupportedFeatureError } from '../errors.js';
import { parquetSchema, readParquetFooter, schemaTree, type ParquetFooter, type ParquetSchemaNode } from './parquet_footer.js';
import { floorDiv, readInt96Column } from './parquet_int96.js';
import { isValid } from '../schema/access/validity.js';
import { fixedValues } from '../schema/access/view.js';

export {
  readParquetFooter,
  parquetSchema,
  schemaTree,
  type ParquetFooter,
  type ParquetSchemaInfo,
  type ParquetSchemaNode,
  type ParquetSchemaElement,
  type ParquetColumnMeta,
  type ParquetRowGroup,
  type ParquetPhysicalType,
  type ParquetCodec,
  type ParquetRepetition,
} from './parquet_footer.js';

export type ParquetCompression = 'snappy' | 'zstd' | 'uncompressed' | 'gzip';

export interface ParquetWriteOptions {
  compression?: ParquetCompression;
  /** Max rows per row group. */
  rowGroupSize?: number;
  createdBy?: string;
  keyValueMetadata?: Record<string, string>;
}

export interface ParquetReadOptions {
  /** Top-level column names (as stored in the file) to read; all when omitted. */
  columns?: string[];
  batchSize?: number;
  /** Names the file in errors. */
  file?: string;
}

const COMPRESSION: Record<ParquetCompression, pw.Compression> = {
  snappy: pw.Compression.SNAPPY,
  zstd: pw.Compression.ZSTD,
  gzip: pw.Compression.GZIP,
  uncompressed: pw.Compression.UNCOMPRESSED,
};

export function writeParquet(table: Table, options: ParquetWriteOptions = {}): Uint8Array {
  let b = new pw.WriterPropertiesBuilder().setCompression(COMPRESSION[options.compression ?? 'snappy']);
  if (options.rowGroupSize) b = b.setMaxRowGroupSize(options.rowGroupSize);
  if (options.createdBy) b = b.setCreatedBy(options.createdBy);
  if (options.keyValueMetadata) b = b.setKeyValueMetadata(new Map(Object.entries(options.keyValueMetadata)));
  try {
    const wasmTable = pw.Table.fromIPCStream(tableToIPC(table, 'stream'));
    return pw.writeParquet(wasmTable, b.build());
  } catch (e) {
    // parquet-wasm refuses data Arrow JS accepted (invalid UTF-8 in a string column, nesting beyond its limit...).
    throw new SchemaMismatchError(`the data cannot be encoded as Parquet (${parquetWasmMessage(e)}); nothing was written`);
  }
}

/** parquet-wasm throws plain Errors or strings; keep its first line. */
function parquetWasmMessage(e: unknown): string {
  const text = e instanceof Error ? e.message : String(e);
  return text.split('\n')[0]!.slice(0, 300);
}

export function readParquet(bytes: Uint8Array, options: ParquetReadOptions = {}): Table {
  const opts: pw.ReaderOptions = {};
  if (options.columns) opts.columns = options.columns;
  if (options.batchSize) opts.batchSize = options.batchSize;
  const wasmTable = pw.readParquet(bytes, opts);
  const table = tableFromIPC(wasmTable.intoIPCStream());
  return fixInt96(bytes, table, options);
}

const UNIT_DIVISOR: Record<TimeUnit, bigint> = {
  [TimeUnit.SECOND]: 1_000_000_000n,
  [TimeUnit.MILLISECOND]: 1_000_000n,
  [TimeUnit.MICROSECOND]: 1_000n,
  [TimeUnit.NANOSECOND]: 1n,
};

/**
 * parquet-wasm (arrow-rs) decodes INT96 into a wrapping int64 of nanoseconds, so dates outside 1677-2262 come
 * back wrong (arrow-rs #5655). Here every INT96 column being read is decoded again from the raw pages:
 * top-level columns are replaced by exact Timestamp(MICROSECOND) values (floored, timezone kept); nested ones
 * are checked to lie in the int64-nanosecond range (then parquet-wasm's values are exact) and rejected otherwise.
 * Each exact value is cross-checked against parquet-wasm's (equal modulo 2^64, same nulls) before it is used.
 */
function fixInt96(bytes: Uint8Array, table: Table, options: ParquetReadOptions): Table {
  let footer: ParquetFooter;
  try {
    footer = readParquetFooter(bytes, options.file);
  } catch (e) {
    // parquet-wasm accepted the file; only INT96 handling needs our footer reader, so fail only if it matters.
    throw new ProtocolError(`cannot read Parquet footer to check for INT96 columns: ${(e as Error).message}`, options.file);
  }
  if (!footer.schema.some((e) => e.type === 'INT96')) return table;
  const { leaves } = schemaTree(footer, options.file);
  const wanted = options.columns ? new Set(options.columns) : null;
  const replacements = new Map<string, Array<bigint | null>>();
  leaves.forEach((leaf, i) => {
    if (leaf.type !== 'INT96') return;
    const top = leaf.path[0]!;
    if (wanted && !wanted.has(top)) return;
    const col = readInt96Column(bytes, footer, i, leaf, options.file).values;
    if (leaf.path.length === 1 && leaf.maxRepetitionLevel === 0) {
      replacements.set(top, col);
      return;
    }
    for (const v of col) {
      if (v !== null && BigInt.asIntN(64, v) !== v) {
        throw new UnsupportedFeatureError(
          'INT96 timestamp outside 1677-2262 nested in a struct/list/map',
          'reader',
          `${options.file ?? 'data file'}: column ${leaf.path.join('.')} (nested INT96 values are only read when they fit int64 nanoseconds)`,
        );
      }
    }
  });
  if (replacements.size === 0) return table;
  return replaceColumns(table, replacements, options.file);
}

function replaceColumns(table: Table, replacements: Map<string, Array<bigint | null>>, file?: string): Table {
  const fields = table.schema.fields.map((f) => {
    if (!replacements.has(f.name)) return f;
    if (!(f.type instanceof Timestamp)) {
      throw new ProtocolError(`INT96 column ${f.name} was decoded by parquet-wasm as ${String(f.type)}, expected a timestamp`, file);
    }
    return new Field(f.name, new Timestamp(TimeUnit.MICROSECOND, f.type.timezone), f.nullable, f.metadata);
  });
  const schema = new Schema(fields, table.schema.metadata);
  let offset = 0;
  const batches = table.batches.map((batch) => {
    const children: Data[] = table.schema.fields.map((f, ci) => {
      const child = batch.getChildAt(ci)!.data[0]! as Data<DataType>;
      const exact = replacements.get(f.name);
      if (!exact) return child;
      const unit = UNIT_DIVISOR[(f.type as Timestamp).unit];
      const n = batch.numRows;
      if (offset + n > exact.length) throw new ProtocolError(`INT96 column ${f.name}: parquet-wasm returned more rows than the file holds`, file);
      const values = new BigInt64Array(n);
      const bitmap = new Uint8Array((n + 7) >> 3);
      const wasmValues = fixedValues<BigInt64Array>(child);
      let nulls = 0;
      for (let r = 0; r < n; r++) {
        const v = exact[offset + r]!;
        const valid = isValid(child, r);
        if ((v === null) === valid) {
          throw new ProtocolError(`INT96 column ${f.name}, row ${offset + r}: null mismatch between decoders`, file);
        }
        if (v === null) {
          nulls++;
          continue;
        }
        if (BigInt.asIntN(64, floorDiv(v, unit)) !== wasmValues[r]) {
          throw new ProtocolError(`INT96 column ${f.name}, row ${offset + r}: decoded value disagrees with parquet-wasm`, file);
        }
        const micros = floorDiv(v, 1000n);
        if (BigInt.asIntN(64, micros) !== micros) {
          throw new ProtocolError(`INT96 column ${f.name}, row ${offset + r}: timestamp out of the int64 microsecond range`, file);
        }
        values[r] = micros;
        bitmap[r >> 3]! |= 1 << (r & 7);
      }
      const type = (fields[ci]!.type as Timestamp);
      return makeData({ type, length: n, nullCount: nulls, nullBitmap: nulls > 0 ? bitmap : null, data: values });
    });
    offset += batch.numRows;
    return new RecordBatch(schema, makeData({ type: new Struct(schema.fields), length: batch.numRows, nullCount: 0, children }));
  });
  for (const [name, exact] of replacements) {
    if (table.schema.fields.some((f) => f.name === name) && offset !== exact.length) {
      throw new ProtocolError(`INT96 column ${name}: parquet-wasm returned ${offset} rows, the file holds ${exact.length}`, file);
    }
  }
  return new Table(schema, batches);
}

/** Names of the top-level columns stored in a Parquet file (reads the footer schema only). */
export function parquetColumnNames(bytes: Uint8Array): string[] {
  // From the footer alone: no decoder pass over the file on the read hot path.
  return parquetSchema(bytes).columns.map((c) => c.name);
}
