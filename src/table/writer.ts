// Writes Arrow data (already conformed to the table schema) as Parquet data files and returns their Add actions:
// hive-style partition folders, files split to the target size, per-file stats. Commits nothing.
import { randomUUID } from 'node:crypto';
import { Table, Type, type Vector } from 'apache-arrow';
import type { Add } from '../log/actions.js';
import type { DataType, StructType } from '../schema/types.js';
import type { ObjectStore } from '../storage/store.js';
import { writeParquet, type ParquetCompression } from '../storage/parquet.js';
import { serializePartitionValue, partitionPath } from '../schema/partition_values.js';
import { decimalParams } from '../schema/json.js';
import { collectStats } from './stats.js';
import { takeRows } from './arrow_take.js';
import { InvalidArgumentError } from '../errors.js';
import { ENGINE_INFO } from '../version.js';

export interface DataFileOptions {
  /** Approximate target size of each data file in bytes (default: delta.targetFileSize or 128 MiB). */
  targetFileSize?: number;
  /** Maximum rows per Parquet row group (default 1,048,576). */
  rowGroupSize?: number;
  compression?: 'snappy' | 'zstd';
}

export interface WriteContext {
  schema: StructType;
  partitionColumns: string[];
  configuration: Record<string, string>;
}

const DEFAULT_TARGET_FILE_SIZE = 128 * 1024 * 1024;
const WRITE_CONCURRENCY = 4;

/** Write `data` (columns of the table schema, in order, canonical Arrow types) as data files. */
export async function writeDataFiles(
  store: ObjectStore,
  data: Table,
  ctx: WriteContext,
  options: DataFileOptions = {},
): Promise<Add[]> {
  if (data.numRows === 0) return [];
  const groups = ctx.partitionColumns.length ? splitByPartition(data, ctx) : [{ values: {}, rows: data }];
  const target = options.targetFileSize ?? (Number(ctx.configuration['delta.targetFileSize']) || DEFAULT_TARGET_FILE_SIZE);
  const dataColumns = ctx.schema.fields.filter((f) => !ctx.partitionColumns.includes(f.name)).map((f) => f.name);
  const jobs: Array<{ values: Record<string, string | null>; rows: Table }> = [];
  for (const g of groups) {
    const rows = g.rows.select(dataColumns);
    for (const chunk of splitBySize(rows, target)) jobs.push({ values: g.values, rows: chunk });
  }
  const adds: Add[] = new Array(jobs.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    for (let j = next++; j < jobs.length; j = next++) {
      adds[j] = await writeOneFile(store, jobs[j].rows, jobs[j].values, j, ctx, options);
    }
  };
  await Promise.all(Array.from({ length: Math.min(WRITE_CONCURRENCY, jobs.length) }, worker));
  return adds;
}

async function writeOneFile(
  store: ObjectStore,
  rows: Table,
  partitionValues: Record<string, string | null>,
  index: number,
  ctx: WriteContext,
  options: DataFileOptions,
): Promise<Add> {
  const compression: ParquetCompression = options.compression ?? 'snappy';
  const bytes = writeParquet(rows, {
    compression,
    rowGroupSize: options.rowGroupSize ?? 1024 * 1024,
    createdBy: ENGINE_INFO,
  });
  // Spark's naming: part-<task>-<uuid>.c000.<codec>.parquet
  const name = `part-${String(index).padStart(5, '0')}-${randomUUID()}.c000.${compression}.parquet`;
  const dir = ctx.partitionColumns.length ? partitionPath(ctx.partitionColumns, partitionValues) : '';
  const rawPath = dir ? `${dir}/${name}` : name;
  await store.put(rawPath, bytes);
  const dataSchema: StructType = {
    type: 'struct',
    fields: ctx.schema.fields.filter((f) => !ctx.partitionColumns.includes(f.name)),
  };
  const stats = collectStats(rows, dataSchema, {
    partitionColumns: [],
    numIndexedCols: numIndexedCols(ctx.configuration),
    statsColumns: ctx.configuration['delta.dataSkippingStatsColumns']?.split(',').map((s) => s.trim()),
  });
  return {
    // PROTOCOL.md "Add File and Remove File": path is a URI-encoded relative path.
    path: encodeAddPath(rawPath),
    partitionValues,
    size: bytes.length,
    modificationTime: Date.now(),
    dataChange: true,
    stats,
  };
}

function numIndexedCols(conf: Record<string, string>): number {
  const v = conf['delta.dataSkippingNumIndexedCols'];
  return v === undefined ? 32 : Number(v);
}

/** URI-encode each path segment (RFC 2396 path, as Spark's `new Path(...).toUri` does for add.path). */
export function encodeAddPath(raw: string): string {
  return raw
    .split('/')
    .map((seg) => encodeURIComponent(seg).replace(/%3D/gi, '=').replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`))
    .join('/');
}

/** Decode add.path into the store path. */
export function decodeAddPath(path: string): string {
  return decodeURIComponent(path);
}

function splitBySize(rows: Table, targetBytes: number): Table[] {
  const n = rows.numRows;
  if (n === 0) return [];
  // Arrow in-memory size over-estimates compressed Parquet, so files come out at or below the target.
  let bytes = 0;
  for (const b of rows.batches) bytes += dataBytes(b.data as unknown as ArrowBuffers);
  const rowsPerFile = Math.max(1, Math.floor(targetBytes / Math.max(1, bytes / n)));
  if (rowsPerFile >= n) return [rows];
  const out: Table[] = [];
  for (let s = 0; s < n; s += rowsPerFile) out.push(rows.slice(s, Math.min(n, s + rowsPerFile)));
  return out;
}

interface ArrowBuffers {
  values?: { byteLength?: number };
  valueOffsets?: { byteLength?: number };
  children?: readonly ArrowBuffers[];
}

function dataBytes(d: ArrowBuffers): number {
  let total = (d.values?.byteLength ?? 0) + (d.valueOffsets?.byteLength ?? 0);
  for (const c of d.children ?? []) total += dataBytes(c);
  return total;
}

function splitByPartition(data: Table, ctx: WriteContext): Array<{ values: Record<string, string | null>; rows: Table }> {
  const cols = ctx.partitionColumns.map((name) => {
    const field = ctx.schema.fields.find((f) => f.name === name);
    const vec = data.getChild(name);
    if (!field || !vec) throw new InvalidArgumentError(`partition column '${name}' is not in the data`);
    return { name, type: field.type, vec };
  });
  const groups = new Map<string, { values: Record<string, string | null>; idx: number[] }>();
  for (let i = 0; i < data.numRows; i++) {
    const values: Record<string, string | null> = {};
    for (const c of cols) values[c.name] = serializePartitionValue(partitionScalar(c.vec, i, c.type), c.type);
    const key = JSON.stringify(cols.map((c) => values[c.name]));
    let g = groups.get(key);
    if (!g) groups.set(key, (g = { values, idx: [] }));
    g.idx.push(i);
  }
  return [...groups.values()].map((g) => ({ values: g.values, rows: takeRows(data, g.idx) }));
}

/** The value at row i in the JS form serializePartitionValue takes (long: bigint, timestamps: bigint µs, date: days). */
export function partitionScalar(vec: Vector, i: number, type: DataType): unknown {
  if (!vec.isValid(i)) return null;
  if (type === 'timestamp' || type === 'timestamp_ntz' || type === 'long') {
    const { data, index } = locate(vec, i);
    return (data.values as BigInt64Array)[index];
  }
  if (type === 'date') {
    const { data, index } = locate(vec, i);
    return data.type.typeId === Type.Date && (data.values as Int32Array | BigInt64Array) instanceof Int32Array
      ? (data.values as Int32Array)[index]
      : Number((data.values as unknown as BigInt64Array)[index]) / 86_400_000;
  }
  if (decimalParams(type)) {
    const { data, index } = locate(vec, i);
    const words = data.values as Uint32Array;
    const stride = data.stride;
    let v = 0n;
    for (let k = stride - 1; k >= 0; k--) v = (v << 32n) | BigInt(words[index * stride + k]);
    const bits = BigInt(stride * 32);
    if (v >> (bits - 1n)) v -= 1n << bits;
    const { scale } = decimalParams(type)!;
    return formatDecimal(v, scale);
  }
  return vec.get(i);
}

function locate(vec: Vector, i: number): { data: Vector['data'][number]; index: number } {
  let idx = i;
  for (const d of vec.data) {
    if (idx < d.length) return { data: d, index: idx };
    idx -= d.length;
  }
  throw new RangeError(`row ${i} out of range`);
}

export function formatDecimal(unscaled: bigint, scale: number): string {
  const neg = unscaled < 0n;
  let s = (neg ? -unscaled : unscaled).toString();
  if (scale > 0) {
    s = s.padStart(scale + 1, '0');
    s = `${s.slice(0, s.length - scale)}.${s.slice(s.length - scale)}`;
  }
  return neg ? `-${s}` : s;
}
