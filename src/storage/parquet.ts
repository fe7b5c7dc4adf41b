// The Parquet seam: encode Arrow tables to Parquet bytes and decode Parquet bytes to Arrow, via parquet-wasm
// (parquet_wasm.ts), on the calling thread or in the worker pool (parquet_pool.ts). src/log and src/table use these
// functions only; nothing else imports parquet-wasm or worker_threads.
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
import { ParquetWorkerError, ProtocolError, SchemaMismatchError, UnsupportedFeatureError } from '../errors.js';
import { parquetSchema, readParquetFooter, schemaTree, type ParquetFooter } from './parquet_footer.js';
import { floorDiv, readInt96Column } from './parquet_int96.js';
import { decodeToIPC, encodeFromIPC, parquetWasmMessage, type EncodeRequest, type ParquetCompression } from './parquet_wasm.js';
import { parquetPool } from './parquet_pool.js';
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
  type ParquetStatistics,
  type ParquetPhysicalType,
  type ParquetCodec,
  type ParquetRepetition,
} from './parquet_footer.js';
export { defaultThreads } from './parquet_pool.js';
export type { ParquetCompression } from './parquet_wasm.js';

export interface ParquetWriteOptions {
  compression?: ParquetCompression;
  /** Max rows per row group. */
  rowGroupSize?: number;
  createdBy?: string;
  keyValueMetadata?: Record<string, string>;
  /**
   * Write no column statistics for these top-level columns ('all': for every column). Parquet writers leave NaN
   * out of float min/max, and readers that trust those bounds (Spark's Parquet filter push-down) then drop
   * NaN rows a filter such as `x > 10` matches under Spark's ordering; a float column holding a NaN gets none.
   */
  noStatistics?: 'all' | string[];
}

export interface ParquetReadOptions {
  /** Top-level column names (as stored in the file) to read; all when omitted. */
  columns?: string[];
  /** Row groups to read (indexes, file order); all when omitted. */
  rowGroups?: number[];
  /** Rows per output batch (parquet-wasm's default is 1024, which costs per-batch work downstream). */
  batchSize?: number;
  /** Names the file in errors. */
  file?: string;
  /** The footer of `bytes` when the caller already decoded it (the INT96 check does not read it again). */
  footer?: ParquetFooter;
}

/** Where encoding and decoding run. */
export interface ParquetThreadOptions {
  /** Worker threads (a process-wide pool per size): default the available cores; 0 or 1 = the calling thread. */
  threads?: number;
  /** Decode inputs smaller than this many bytes on the calling thread (default INLINE_DECODE_BELOW). */
  inlineBelow?: number;
}

function encodeRequest(options: ParquetWriteOptions): EncodeRequest {
  const r: EncodeRequest = { compression: options.compression ?? 'snappy' };
  if (options.rowGroupSize) r.rowGroupSize = options.rowGroupSize;
  if (options.createdBy) r.createdBy = options.createdBy;
  if (options.keyValueMetadata) r.keyValueMetadata = options.keyValueMetadata;
  if (options.noStatistics && options.noStatistics.length > 0) r.noStatistics = options.noStatistics;
  return r;
}

function encodeFailed(e: unknown): SchemaMismatchError {
  // parquet-wasm refuses data Arrow JS accepted (invalid UTF-8 in a string column, nesting beyond its limit...).
  return new SchemaMismatchError(`the data cannot be encoded as Parquet (${parquetWasmMessage(e)}); nothing was written`);
}

export function writeParquet(table: Table, options: ParquetWriteOptions = {}): Uint8Array {
  try {
    return encodeFromIPC(tableToIPC(table, 'stream'), encodeRequest(options));
  } catch (e) {
    throw encodeFailed(e);
  }
}

/** writeParquet, in a worker thread of the pool unless `threads` is 0 or 1. */
export async function encodeParquet(table: Table, options: ParquetWriteOptions & ParquetThreadOptions = {}): Promise<Uint8Array> {
  const pool = parquetPool(options.threads);
  if (!pool) return writeParquet(table, options);
  const ipc = tableToIPC(table, 'stream');
  try {
    return await pool.encode({ bytes: ipc, transfer: true }, encodeRequest(options));
  } catch (e) {
    if (e instanceof ParquetWorkerError) throw e;
    throw encodeFailed(e);
  }
}

export function readParquet(bytes: Uint8Array, options: ParquetReadOptions = {}): Table {
  const footer = int96Footer(bytes, options);
  const table = tableFromIPC(decodeToIPC(bytes, options));
  return footer ? fixInt96(bytes, footer, table, options) : table;
}

/** Inputs smaller than this are decoded on the calling thread whatever `threads` says. */
export const INLINE_DECODE_BELOW = 64 * 1024;

/**
 * readParquet, in a worker thread of the pool unless `threads` is 0 or 1. With `transfer`, the caller gives `bytes`
 * up and they move to the worker without a copy (they are kept when an INT96 column needs them here).
 */
export async function decodeParquet(
  bytes: Uint8Array,
  options: ParquetReadOptions & ParquetThreadOptions & { transfer?: boolean } = {},
): Promise<Table> {
  // A small file decodes faster here than a round trip to a worker costs.
  const pool = bytes.byteLength < (options.inlineBelow ?? INLINE_DECODE_BELOW) ? null : parquetPool(options.threads);
  if (!pool) return readParquet(bytes, options);
  const footer = int96Footer(bytes, options);
  const request = { columns: options.columns, rowGroups: options.rowGroups, batchSize: options.batchSize };
  const ipc = await pool.decode({ bytes, transfer: options.transfer === true && !footer, file: options.file }, request);
  const table = tableFromIPC(ipc);
  return footer ? fixInt96(bytes, footer, table, options) : table;
}

/** The footer when the file has INT96 columns (they need fixInt96), else null. */
function int96Footer(bytes: Uint8Array, options: ParquetReadOptions): ParquetFooter | null {
  const file = options.file;
  let footer: ParquetFooter;
  try {
    footer = options.footer ?? readParquetFooter(bytes, file);
  } catch (e) {
    // parquet-wasm accepted the file; only INT96 handling needs our footer reader, so fail only if it matters.
    throw new ProtocolError(`cannot read Parquet footer to check for INT96 columns: ${(e as Error).message}`, file);
  }
  return footer.schema.some((e) => e.type === 'INT96') ? footer : null;
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
function fixInt96(bytes: Uint8Array, footer: ParquetFooter, table: Table, options: ParquetReadOptions): Table {
  const { leaves } = schemaTree(footer, options.file);
  const wanted = options.columns ? new Set(options.columns) : null;
  const replacements = new Map<string, Array<bigint | null>>();
  leaves.forEach((leaf, i) => {
    if (leaf.type !== 'INT96') return;
    const top = leaf.path[0]!;
    if (wanted && !wanted.has(top)) return;
    const col = readInt96Column(bytes, footer, i, leaf, options.file, options.rowGroups).values;
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

/**
 * Names of the top-level columns stored in a Parquet file, from its footer alone (no decoder pass, no schema tree
 * built): pass a footer already read (then `bytes` is not looked at) to parse it once for this and readParquet.
 */
export function parquetColumnNames(bytes: Uint8Array, footer: ParquetFooter = readParquetFooter(bytes)): string[] {
  const elems = footer.schema;
  const names: string[] = [];
  let i = 1;
  // Skip one element and its subtree (depth first, as the flat list stores it).
  const skip = (): void => {
    const e = elems[i++];
    if (!e) throw new ProtocolError('Parquet schema element list ends before all num_children were read');
    for (let k = 0; k < (e.numChildren ?? 0); k++) skip();
  };
  for (let k = 0; k < (elems[0]?.numChildren ?? 0); k++) {
    names.push(elems[i]?.name ?? '');
    skip();
  }
  return names;
}
