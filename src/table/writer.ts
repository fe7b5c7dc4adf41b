// Writes Arrow data (already conformed to the table schema) as Parquet data files and returns their Add actions:
// hive-style partition folders, files split to the target size, per-file stats. Commits nothing.
import { v4 as uuidv4 } from 'uuid';
import { Table } from 'apache-arrow';
import type { Add } from '../log/actions.js';
import type { StructType } from '../schema/types.js';
import type { ObjectStore } from '../storage/store.js';
import { writeParquet, type ParquetCompression } from '../storage/parquet.js';
import { serializePartitionColumn, partitionPath, addPathFor } from '../schema/partition_values.js';
import { collectStats } from './stats.js';
import { takeRows } from '../schema/access/take.js';
import { InvalidArgumentError } from '../errors.js';
import { DEFAULT_WRITE_TARGET_FILE_SIZE, type TableProperties } from '../log/table_properties.js';
import { ENGINE_INFO } from '../version.js';

export interface DataFileOptions {
  /** Approximate target size of each data file in bytes (default: delta.targetFileSize or 128 MiB). */
  targetFileSize?: number;
  /** Maximum rows per Parquet row group (default 1,048,576). */
  rowGroupSize?: number;
  compression?: 'snappy' | 'zstd';
}

export interface WriteContext {
  /** Schema of the data written (the table's, or its new one under schema evolution). */
  schema: StructType;
  partitionColumns: readonly string[];
  /** The table's properties: target file size and which columns get stats. */
  properties: TableProperties;
  /** Folder under the table root the files go to (change data: '_change_data'); default the root. */
  directory?: string;
  /** File name prefix (default 'part', change data files 'cdc', as Spark names them). */
  filePrefix?: string;
}
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
  const target = options.targetFileSize ?? ctx.properties.targetFileSize ?? DEFAULT_WRITE_TARGET_FILE_SIZE;
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
  const name = `${ctx.filePrefix ?? 'part'}-${String(index).padStart(5, '0')}-${uuidv4()}.c000.${compression}.parquet`;
  const partDir = ctx.partitionColumns.length ? partitionPath(ctx.partitionColumns, partitionValues) : '';
  const dir = ctx.directory ? (partDir ? `${ctx.directory}/${partDir}` : ctx.directory) : partDir;
  const rawPath = dir ? `${dir}/${name}` : name;
  await store.put(rawPath, bytes);
  const dataSchema: StructType = {
    type: 'struct',
    fields: ctx.schema.fields.filter((f) => !ctx.partitionColumns.includes(f.name)),
  };
  const stats = collectStats(rows, dataSchema, {
    partitionColumns: [],
    numIndexedCols: ctx.properties.dataSkippingNumIndexedCols,
    statsColumns: ctx.properties.dataSkippingStatsColumns,
    stringPrefixLength: ctx.properties.dataSkippingStringPrefixLength,
  });
  return {
    // PROTOCOL.md "Add File and Remove File": path is a URI-encoded relative path.
    path: addPathFor(dir, name),
    partitionValues,
    size: bytes.length,
    modificationTime: Date.now(),
    dataChange: true,
    stats,
  };
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
  const serialized = cols.map((c) => c.vec.data.flatMap((d) => serializePartitionColumn(d, c.type, c.name)));
  const groups = new Map<string, { values: Record<string, string | null>; idx: number[] }>();
  for (let i = 0; i < data.numRows; i++) {
    const values: Record<string, string | null> = {};
    cols.forEach((c, k) => (values[c.name] = serialized[k][i]));
    const key = JSON.stringify(cols.map((c) => values[c.name]));
    let g = groups.get(key);
    if (!g) groups.set(key, (g = { values, idx: [] }));
    g.idx.push(i);
  }
  return [...groups.values()].map((g) => ({ values: g.values, rows: takeRows(data, g.idx) }));
}
