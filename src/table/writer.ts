// Writes Arrow data (already conformed to the table schema) as Parquet data files and returns their Add actions:
// hive-style partition folders, files split to the target size, per-file stats; whole (writeDataFiles) or as the
// rows stream in (DataFileStream). Several files encode in parallel in the Parquet worker pool. Commits nothing.
import { v4 as uuidv4 } from 'uuid';
import { type Data, RecordBatch, Table, Type } from 'apache-arrow';
import type { Add } from '../log/actions.js';
import type { StructType } from '../schema/types.js';
import type { ObjectStore } from '../storage/store.js';
import { defaultThreads, encodeParquet, type ParquetCompression } from '../storage/parquet.js';
import { serializePartitionColumn, partitionPath, addPathFor } from '../schema/partition_values.js';
import { collectStats } from './stats.js';
import { takeRows } from '../schema/access/take.js';
import { validityOf } from '../schema/access/validity.js';
import { fixedValues } from '../schema/access/view.js';
import { InvalidArgumentError } from '../errors.js';
import { DEFAULT_WRITE_TARGET_FILE_SIZE, type TableProperties } from '../log/table_properties.js';
import { ENGINE_INFO } from '../version.js';

export interface DataFileOptions {
  /** Approximate target size of each data file in bytes (default: delta.targetFileSize or 128 MiB). */
  targetFileSize?: number;
  /** Maximum rows per Parquet row group (default DEFAULT_ROW_GROUP_ROWS). */
  rowGroupSize?: number;
  compression?: 'snappy' | 'zstd';
  /**
   * Worker threads that encode Parquet when a write produces several files (a process-wide pool per size):
   * default the available cores; 0 or 1 encode on the calling thread.
   */
  threads?: number;
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

/** Rows per Parquet row group when the caller does not say (the README's read-path section says why). */
export const DEFAULT_ROW_GROUP_ROWS = 128 * 1024;

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
  // One file gains nothing from a worker (the data would only be copied there and back).
  const fileOptions = jobs.length > 1 ? options : { ...options, threads: 0 };
  let next = 0;
  const worker = async (): Promise<void> => {
    for (let j = next++; j < jobs.length; j = next++) {
      adds[j] = await writeOneFile(store, jobs[j].rows, jobs[j].values, j, ctx, fileOptions);
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
  /** Told the store path before the put, so that a failed operation can remove what it may have written. */
  onPath?: (path: string) => void,
): Promise<Add> {
  const compression: ParquetCompression = options.compression ?? 'snappy';
  const encoding = encodeParquet(rows, {
    compression,
    rowGroupSize: options.rowGroupSize ?? DEFAULT_ROW_GROUP_ROWS,
    createdBy: ENGINE_INFO,
    threads: options.threads,
    noStatistics: columnsWithNaN(rows),
  });
  encoding.catch(() => undefined); // awaited below, after the stats are collected meanwhile
  // Spark's naming: part-<task>-<uuid>.c000.<codec>.parquet
  const name = `${ctx.filePrefix ?? 'part'}-${String(index).padStart(5, '0')}-${uuidv4()}.c000.${compression}.parquet`;
  const partDir = ctx.partitionColumns.length ? partitionPath(ctx.partitionColumns, partitionValues) : '';
  const dir = ctx.directory ? (partDir ? `${ctx.directory}/${partDir}` : ctx.directory) : partDir;
  const rawPath = dir ? `${dir}/${name}` : name;
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
  const bytes = await encoding;
  onPath?.(rawPath);
  await store.put(rawPath, bytes);
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

/**
 * Top-level columns of `rows` holding a float NaN, whose Parquet statistics are left out (ParquetWriteOptions
 * .noStatistics: Spark's Parquet push-down would trust a max without the NaN); 'all' when the NaN sits in a struct
 * field, which the Parquet writer cannot address alone. The add.stats keep max "NaN", as Spark writes them.
 */
function columnsWithNaN(rows: Table): 'all' | string[] {
  const hasNaN = (d: Data): boolean => {
    if (d.type.typeId === Type.Float && (d.values instanceof Float64Array || d.values instanceof Float32Array)) {
      const v = fixedValues<Float32Array | Float64Array>(d);
      const valid = validityOf(d);
      for (let i = 0; i < d.length; i++) if (v[i] !== v[i] && valid(i)) return true;
      return false;
    }
    return d.type.typeId === Type.Struct && d.children.some(hasNaN);
  };
  const out: string[] = [];
  for (const [i, f] of rows.schema.fields.entries()) {
    const chunks = rows.batches.map((b) => b.data.children[i]!);
    if (!chunks.some(hasNaN)) continue;
    if (f.type.typeId !== Type.Float) return 'all';
    out.push(f.name);
  }
  return out;
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

interface PartitionBuffer {
  values: Record<string, string | null>;
  batches: RecordBatch[];
  rows: number;
  bytes: number;
}

/**
 * Data files written as the rows stream in: rows are buffered per partition until they reach the target file size,
 * then encoded and put while more rows arrive. At most `max(2, threads)` files are in flight (encoding in the worker
 * pool, or being put); beyond that `write` waits. All partitions' buffers together stay under twice the target (the
 * largest is written early), so memory stays at about (in flight + 2) x the target size, however many partitions.
 */
export class DataFileStream {
  private readonly buffers = new Map<string, PartitionBuffer>();
  private readonly inflight: Array<Promise<void>> = [];
  private readonly adds: Add[] = [];
  private readonly attempted: string[] = [];
  private readonly maxInFlight: number;
  private readonly threads: number;
  private failure: { error: unknown } | null = null;
  private files = 0;
  /** Arrow bytes buffered in all partitions. */
  private buffered = 0;

  constructor(
    private readonly store: ObjectStore,
    private ctx: WriteContext,
    private readonly options: DataFileOptions = {},
  ) {
    this.threads = options.threads ?? defaultThreads();
    this.maxInFlight = Math.max(2, this.threads);
  }

  private get target(): number {
    return this.options.targetFileSize ?? this.ctx.properties.targetFileSize ?? DEFAULT_WRITE_TARGET_FILE_SIZE;
  }

  /** Buffer `data` (columns of the context's schema); resolves once it is buffered and the files in flight allow more. */
  async write(data: Table): Promise<void> {
    this.throwIfFailed();
    if (data.numRows === 0) return;
    const dataColumns = this.ctx.schema.fields.filter((f) => !this.ctx.partitionColumns.includes(f.name)).map((f) => f.name);
    const groups = this.ctx.partitionColumns.length ? splitByPartition(data, this.ctx) : [{ values: {}, rows: data }];
    for (const g of groups) {
      const key = JSON.stringify(this.ctx.partitionColumns.map((c) => g.values[c] ?? null));
      let buf = this.buffers.get(key);
      if (!buf) this.buffers.set(key, (buf = { values: g.values, batches: [], rows: 0, bytes: 0 }));
      for (const b of g.rows.select(dataColumns).batches) {
        if (b.numRows === 0) continue;
        buf.batches.push(b);
        buf.rows += b.numRows;
        const bytes = dataBytes(b.data as unknown as ArrowBuffers);
        buf.bytes += bytes;
        this.buffered += bytes;
      }
      if (buf.bytes >= this.target) this.flush(key, buf);
    }
    while (this.buffered > 2 * this.target) {
      const [key, buf] = [...this.buffers].reduce((a, b) => (b[1].bytes > a[1].bytes ? b : a));
      this.flush(key, buf);
    }
    await this.backpressure();
  }

  /** The context changes (the schema widened mid-stream): rows buffered so far go to files of the old one first. */
  async setContext(ctx: WriteContext): Promise<void> {
    for (const [key, buf] of this.buffers) this.flush(key, buf);
    await this.backpressure();
    this.ctx = ctx;
  }

  /** Write what is buffered and wait for every file; the Add actions in file order. */
  async finish(): Promise<Add[]> {
    for (const [key, buf] of this.buffers) this.flush(key, buf);
    await Promise.all(this.inflight.splice(0));
    this.throwIfFailed();
    return this.adds.filter((a) => a !== undefined);
  }

  /** Stop: wait for the files in flight; the store paths of every file written or attempted (to remove them). */
  async abort(): Promise<string[]> {
    this.buffers.clear();
    this.buffered = 0;
    await Promise.allSettled(this.inflight.splice(0));
    return [...this.attempted];
  }

  private flush(key: string, buf: PartitionBuffer): void {
    this.buffers.delete(key);
    this.buffered -= buf.bytes;
    if (buf.rows === 0) return;
    const options = { ...this.options, threads: this.threads };
    // One write larger than the target is split as writeDataFiles splits it.
    for (const rows of splitBySize(new Table(buf.batches), this.target)) {
      const index = this.files++;
      const p = writeOneFile(this.store, rows, buf.values, index, this.ctx, options, (path) => this.attempted.push(path)).then(
        (add) => {
          this.adds[index] = add;
        },
        (error: unknown) => {
          this.failure ??= { error };
        },
      );
      this.inflight.push(p);
    }
  }

  private async backpressure(): Promise<void> {
    while (this.inflight.length >= this.maxInFlight) await this.inflight.shift();
    this.throwIfFailed();
  }

  private throwIfFailed(): void {
    if (this.failure) throw this.failure.error;
  }
}
