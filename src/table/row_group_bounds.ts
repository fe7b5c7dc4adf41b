// Bounds of one Parquet row group for the skipping evaluator (pruning.ts): the column chunk statistics of the
// footer decoded into keys of the column's domain. The physical value is read by the FILE's Parquet type (the
// type it was written in) and then widened to the table's type, so type-widened columns (int stats under a long
// column, float under double, int under decimal, date under timestamp_ntz) bound correctly. Every doubt gives no
// bound: unknown encodings, NaN, truncated maxima, INT96 (its sort order is undefined in parquet.thrift), unsigned
// integers; float maxima bound only the values other than NaN. No I/O.
import type { Add } from '../log/actions.js';
import type { ParquetSchemaNode, ParquetStatistics } from '../storage/parquet.js';
import type { StructType } from '../schema/types.js';
import { MICROS_PER_DAY, floorDiv } from '../schema/values.js';
import { type Domain, type Key, type ResolvedColumn, rescale } from '../expr/index.js';
import { type BoundsSource, type ColumnBounds, FileBounds, type PruningContext, exactDomain } from './pruning.js';

/** How the evaluator finds the leaf column chunk of a logical column path in one data file. */
export interface RowGroupLeafResolver {
  /** Leaf node and its index among the file's leaves (column chunk position), or null when the file lacks it. */
  leafOf(r: ResolvedColumn): { node: ParquetSchemaNode; index: number } | null;
  statisticsOf(rowGroup: number, leafIndex: number): ParquetStatistics | undefined;
  numRowsOf(rowGroup: number): number;
}

/** Bounds of rows inside one data file: partition values from its Add (FileBounds), the rest from the Parquet file. */
export abstract class InFileBounds implements BoundsSource {
  private readonly file: FileBounds;
  constructor(add: Add, ctx: PruningContext) {
    this.file = new FileBounds(add, ctx);
  }

  get schema(): StructType {
    return this.file.schema;
  }
  isPartition(r: ResolvedColumn): boolean {
    return this.file.isPartition(r);
  }
  partitionKey(r: ResolvedColumn): { known: boolean; key: Key | null } {
    return this.file.partitionKey(r);
  }
  abstract numRecords(): number | null;
  abstract column(r: ResolvedColumn, d: Domain): ColumnBounds | null;
}

/** Bounds of row group `rowGroup` of the data file of `add`: partition values from the Add, the rest from the footer. */
export class RowGroupBounds extends InFileBounds {
  constructor(
    add: Add,
    ctx: PruningContext,
    private readonly resolver: RowGroupLeafResolver,
    private readonly rowGroup: number,
  ) {
    super(add, ctx);
  }

  numRecords(): number {
    return this.resolver.numRowsOf(this.rowGroup);
  }

  column(r: ResolvedColumn, d: Domain): ColumnBounds | null {
    const leaf = this.resolver.leafOf(r);
    if (!leaf) return null; // the file lacks the column: all null, but let the exact filter decide
    const st = this.resolver.statisticsOf(this.rowGroup, leaf.index);
    if (!st) return null;
    const b: ColumnBounds = { nullCount: st.nullCount ?? null, exact: exactDomain(d) };
    // A minimum cut short (minExact false) is a prefix of the true one, still a lower bound.
    const min = st.min ? boundOf(leaf.node, st.min, d, -1) : undefined;
    // A maximum the writer says is not exact may be a cut prefix (or incremented past it): no upper bound.
    const max = st.max && st.maxExact !== false ? boundOf(leaf.node, st.max, d, 1) : undefined;
    if (min !== undefined) b.min = min;
    if (max !== undefined) b.max = max;
    if (st.minExact === false || st.maxExact === false) b.exact = false;
    // Parquet writers leave NaN out of float min/max (a NaN statistic gives no bound above): the rows may hold NaN.
    if (leaf.node.type === 'FLOAT' || leaf.node.type === 'DOUBLE') b.nanAboveMax = true;
    return b;
  }
}

/** A value of the file's column as read from a PLAIN-encoded statistic, before widening to the table's type. */
type FileValue =
  | { kind: 'int'; value: bigint; scale: number }
  | { kind: 'float'; value: number }
  | { kind: 'date'; days: number }
  | { kind: 'timestamp'; micros: bigint }
  | { kind: 'string'; value: string }
  | { kind: 'boolean'; value: boolean };

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** The bytes of a big-endian two's complement integer (FIXED_LEN_BYTE_ARRAY / BYTE_ARRAY decimals). */
function bigEndianSigned(b: Uint8Array): bigint {
  let v = 0n;
  for (const x of b) v = (v << 8n) | BigInt(x);
  return b.length && b[0]! & 0x80 ? v - (1n << BigInt(8 * b.length)) : v;
}

/** Decode a statistic of `node` (PLAIN encoding of its physical type), side -1 = min, +1 = max; undefined: no bound. */
function fileValue(node: ParquetSchemaNode, bytes: Uint8Array, side: -1 | 1): FileValue | undefined {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const logical = node.logicalType;
  const converted = node.convertedType;
  const decimal = logical === 'DECIMAL' || converted === 'DECIMAL';
  const scale = decimal ? (node.scale ?? 0) : 0;
  switch (node.type) {
    case 'BOOLEAN':
      return bytes.length >= 1 ? { kind: 'boolean', value: (bytes[0]! & 1) === 1 } : undefined;
    case 'INT32': {
      if (bytes.length !== 4) return undefined;
      if (node.signed === false || converted?.startsWith('UINT_')) return undefined; // unsigned order differs
      const v = view.getInt32(0, true);
      if (logical === 'DATE' || converted === 'DATE') return { kind: 'date', days: v };
      if (logical === 'TIME' || converted === 'TIME_MILLIS') return undefined;
      return { kind: 'int', value: BigInt(v), scale };
    }
    case 'INT64': {
      if (bytes.length !== 8) return undefined;
      if (node.signed === false || converted?.startsWith('UINT_')) return undefined;
      const v = view.getBigInt64(0, true);
      if (logical === 'TIMESTAMP' || converted === 'TIMESTAMP_MILLIS' || converted === 'TIMESTAMP_MICROS') {
        const unit = node.timeUnit ?? (converted === 'TIMESTAMP_MILLIS' ? 'MILLIS' : 'MICROS');
        if (unit === 'MILLIS') return { kind: 'timestamp', micros: v * 1000n };
        if (unit === 'MICROS') return { kind: 'timestamp', micros: v };
        const f = floorDiv(v, 1000n); // nanoseconds: the bound must stay on its side
        return { kind: 'timestamp', micros: side < 0 || f * 1000n === v ? f : f + 1n };
      }
      if (logical === 'TIME' || converted === 'TIME_MICROS') return undefined;
      return { kind: 'int', value: v, scale };
    }
    case 'FLOAT':
    case 'DOUBLE': {
      const v = node.type === 'FLOAT' ? (bytes.length === 4 ? view.getFloat32(0, true) : NaN) : bytes.length === 8 ? view.getFloat64(0, true) : NaN;
      if (Number.isNaN(v)) return undefined;
      // parquet.thrift: a reader must treat a min of +0 as -0 and a max of -0 as +0 (compareKeys equates them).
      return { kind: 'float', value: v };
    }
    case 'BYTE_ARRAY':
    case 'FIXED_LEN_BYTE_ARRAY': {
      if (decimal) return { kind: 'int', value: bigEndianSigned(bytes), scale };
      if (node.type === 'FIXED_LEN_BYTE_ARRAY') return undefined;
      if (logical !== 'STRING' && converted !== 'UTF8' && logical !== 'ENUM' && logical !== 'JSON') return undefined;
      try {
        // Byte order of UTF-8 is code point order, the order compareKeys uses for strings.
        return { kind: 'string', value: utf8.decode(bytes) };
      } catch {
        return undefined; // a truncation that cut a character: no bound
      }
    }
    default:
      return undefined; // INT96: no defined sort order, so no statistics to trust
  }
}

/** The conservative key of a Parquet statistic (row group or page) in the table column's domain `d`; undefined = no bound. */
export function boundOf(node: ParquetSchemaNode, bytes: Uint8Array, d: Domain, side: -1 | 1): Key | undefined {
  const v = fileValue(node, bytes, side);
  if (!v) return undefined;
  switch (d.kind) {
    case 'int':
      return v.kind === 'int' && v.scale === 0 ? Number(v.value) : undefined;
    case 'long':
      return v.kind === 'int' && v.scale === 0 ? v.value : undefined;
    case 'decimal': {
      if (v.kind !== 'int') return undefined;
      const s = rescale({ unscaled: v.value, scale: v.scale }, d.scale);
      return s.exact ? s.value : side < 0 ? s.floor : s.ceil;
    }
    case 'float':
      // A float maximum bounds the values other than NaN only (ColumnBounds.nanAboveMax, set by the caller).
      if (v.kind === 'float') return v.value;
      if (v.kind === 'int' && v.scale === 0 && v.value >= -(2n ** 53n) && v.value <= 2n ** 53n) return Number(v.value);
      return undefined;
    case 'string':
      return v.kind === 'string' ? v.value : undefined;
    case 'boolean':
      return v.kind === 'boolean' ? v.value : undefined;
    case 'date':
      return v.kind === 'date' ? v.days : undefined;
    case 'timestamp':
      if (v.kind === 'timestamp') return v.micros;
      if (v.kind === 'date') return BigInt(v.days) * MICROS_PER_DAY;
      return undefined;
    case 'binary':
      return undefined;
  }
}
