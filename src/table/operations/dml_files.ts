// The file-level core DELETE, UPDATE and MERGE share: read a candidate file with the physical position of each live
// row, then turn "these rows leave these files, these rows are new" into remove/add actions, either copy-on-write
// (rewrite the touched files) or with deletion vectors (PROTOCOL.md "Deletion Vectors"), and commit them.
import { makeData, RecordBatch, Schema as ArrowSchema, Struct, Table } from 'apache-arrow';
import type { Action, Add, Remove } from '../../log/actions.js';
import type { StructType } from '../../schema/types.js';
import { buildData } from '../../schema/vectors.js';
import { dvAbsolutePath, readDeletionVector } from '../../log/deletion_vectors.js';
import { writeDeletionVectors } from '../../log/deletion_vector_write.js';
import { storePathOf } from '../../log/paths.js';
import type { Snapshot } from '../../log/snapshot.js';
import { toArrowSchema } from '../../schema/arrow.js';
import { filterRows, takeRows } from '../../schema/access/take.js';
import { ProtocolError } from '../../errors.js';
import { exprToString, type Expr } from '../../expr/index.js';
import { DataFile } from '../read_file.js';
import { commitActions, deleteWritten, removeOf } from './commit.js';
import { DataFileStream, type DataFileOptions, type WriteContext } from '../writer.js';

/** A data file a DML operation opened: its footer read and its deletion vector loaded; rows are read on demand. */
export interface OpenCandidate {
  add: Add;
  /** The file opened without its deletion vector (reads return every physical row), all table columns. */
  data: DataFile;
  /** Row index in the data file of each live row; null when every row is live (row i is at index i). */
  physical: Int32Array | null;
  /** Rows in the data file, deleted ones included. */
  physicalRows: number;
  /** Rows the file's current deletion vector deletes (sorted). */
  deleted: readonly number[];
}

/** A data file a DML operation read: its live rows and, for each, its row index in the Parquet file. */
export interface CandidateFile extends OpenCandidate {
  /** Live rows (the file's deletion vector applied), the columns read. */
  rows: Table;
}

/** Open one active file of `snapshot` for a DML operation (footer and deletion vector; no rows decoded). */
export async function openCandidate(snapshot: Snapshot, add: Add): Promise<OpenCandidate> {
  const data = await DataFile.open({ store: snapshot.store, add: { ...add, deletionVector: null }, config: snapshot.config });
  const n = data.footer.numRows;
  if (!add.deletionVector) return { add, data, physical: null, physicalRows: n, deleted: [] };
  const dv = await readDeletionVector(snapshot.store, add.deletionVector);
  if (dv.max >= n) throw new ProtocolError(`deletion vector deletes row ${dv.max} but the data file has ${n} rows`, add.path);
  return { add, data, physical: dv.keptIndexes(n), physicalRows: n, deleted: dv.toArray() };
}

/** Rows of an opened candidate that are live (not deleted by its deletion vector). */
export function liveRowsOf(c: OpenCandidate): number {
  return c.physical ? c.physical.length : c.physicalRows;
}

/** The live rows of the whole file: every column, or only `columns` (top-level names). */
export async function readLive(c: OpenCandidate, columns?: string[]): Promise<Table> {
  const all = await c.data.read(c.data.rowGroups.map((g) => g.index), columns);
  return c.physical ? takeRows(all, c.physical) : all;
}

/** The live rows of row group `g` (every column, or `columns`) and the live position of the first of them. */
export async function readGroupLive(c: OpenCandidate, g: number, columns?: string[]): Promise<{ rows: Table; start: number }> {
  const { start, end } = liveRangeOf(c, g);
  const rg = c.data.rowGroups[g]!;
  const all = await c.data.read([g], columns);
  if (!c.physical || end - start === rg.numRows) return { rows: all, start };
  const idx = c.physical.subarray(start, end).map((p) => p - rg.firstRow);
  return { rows: takeRows(all, idx), start };
}

/** The live positions [start, end) of the rows of row group `g`. */
export function liveRangeOf(c: OpenCandidate, g: number): { start: number; end: number } {
  const rg = c.data.rowGroups[g]!;
  if (!c.physical) return { start: rg.firstRow, end: rg.firstRow + rg.numRows };
  return { start: lowerBound(c.physical, rg.firstRow), end: lowerBound(c.physical, rg.firstRow + rg.numRows) };
}

function lowerBound(a: Int32Array, x: number): number {
  let lo = 0;
  let hi = a.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (a[mid]! < x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/**
 * Open and read one active file of `snapshot` for a DML operation: every column, or only `columns` (top-level names)
 * when the operation needs no more (a deletion-vector DELETE only evaluates its predicate).
 */
export async function readCandidateFile(snapshot: Snapshot, add: Add, columns?: string[]): Promise<CandidateFile> {
  const c = await openCandidate(snapshot, add);
  return { ...c, rows: await readLive(c, columns) };
}

/**
 * Read `adds` as readCandidateFile does, with up to `concurrency` reads in flight (I/O and Parquet decoding overlap),
 * and hand each file to `use` in order. Files are read at most `concurrency - 1` ahead of the one `use` works on, so a
 * `use` that writes as it goes keeps a bounded number of files in memory.
 */
export async function forEachCandidate(
  snapshot: Snapshot,
  adds: readonly Add[],
  columns: string[] | undefined,
  use: (file: CandidateFile) => void | Promise<void>,
  concurrency = 2,
): Promise<void> {
  const inflight: Promise<CandidateFile>[] = [];
  let next = 0;
  while (next < adds.length || inflight.length) {
    while (inflight.length < concurrency && next < adds.length) {
      const p = readCandidateFile(snapshot, adds[next++]!, columns);
      p.catch(() => {}); // awaited below, in order; a later read failing first must not be an unhandled rejection
      inflight.push(p);
    }
    await use(await inflight.shift()!);
  }
}

/** Rows a DML operation changed, for the change data feed (PROTOCOL.md "Change Data Files"). */
export interface ChangePiece {
  rows: Table;
  changeType: 'insert' | 'delete' | 'update_preimage' | 'update_postimage';
}

/** Whether DML must write change data files: delta.enableChangeDataFeed=true (PROTOCOL.md "Change Data Files"). */
export function writesChangeData(snapshot: Snapshot): boolean {
  return snapshot.config.changeDataFeedEnabled;
}

export interface FileActionMetrics {
  numRemovedFiles: number;
  numAddedFiles: number;
  numRemovedBytes: number;
  numAddedBytes: number;
  /** Rows of touched files written again unchanged (copy-on-write only). */
  numCopiedRows: number;
  numDeletionVectorsAdded: number;
  numDeletionVectorsRemoved: number;
  numDeletionVectorsUpdated: number;
  numAddedChangeFiles: number;
}

export interface FileActions {
  actions: Action[];
  removes: Remove[];
  adds: Add[];
  /** Objects written (data and DV files), deleted again when the commit is known not to have landed. */
  written: string[];
  metrics: FileActionMetrics;
}

/** Whether DML on this table marks rows in deletion vectors (property on and the feature in the protocol). */
export function usesDeletionVectors(snapshot: Snapshot): boolean {
  return snapshot.config.deletionVectorsEnabled;
}

/** Every table of `parts` with the canonical Arrow schema of the table, as one table (batches kept). */
export function concatRows(snapshot: Snapshot, parts: readonly Table[]): Table {
  const schema: ArrowSchema = toArrowSchema(snapshot.schema);
  const batches: RecordBatch[] = [];
  for (const t of parts) for (const b of t.batches) if (b.numRows) batches.push(new RecordBatch(schema, b.data));
  return batches.length ? new Table(schema, batches) : new Table(schema);
}

/**
 * Where a DML operation's changes go as it reads, one touched file after another, so that it never holds more than
 * the file at hand (plus what the writer buffers up to the target file size). Per file (`file()`), its live rows
 * arrive in pieces in file order, each with a mask of the rows that leave it; new rows (`insert`) and change data
 * (`changeData`) at any time. Copy-on-write: a touched file is removed and its remaining rows stream into new files
 * (packed to the target size and partitioned by the writer), rows before its first leaving row held until it is
 * known to be touched; a file nothing leaves is left alone. Deletion vectors: each touched file gets a DV that is the
 * union of its current one and the dropped rows (remove with the old DV + add with the new, same path); a file left
 * without rows is removed. `finish` writes the DVs and returns the actions; `abort` removes everything written.
 */
export class DmlFileWriter {
  readonly metrics: FileActionMetrics = {
    numRemovedFiles: 0,
    numAddedFiles: 0,
    numRemovedBytes: 0,
    numAddedBytes: 0,
    numCopiedRows: 0,
    numDeletionVectorsAdded: 0,
    numDeletionVectorsRemoved: 0,
    numDeletionVectorsUpdated: 0,
    numAddedChangeFiles: 0,
  };
  /** Milliseconds spent handing rows to the writers and finishing them (Spark's rewrite time). */
  writeMs = 0;
  private readonly now = Date.now();
  private readonly dvMode: boolean;
  private readonly data: DataFileStream;
  private cdc: DataFileStream | null = null;
  private readonly removes: Remove[] = [];
  private readonly dvFiles: { add: Add; rows: number[] }[] = [];
  private readonly written: string[] = [];

  constructor(
    private readonly snapshot: Snapshot,
    private readonly options: DataFileOptions = {},
  ) {
    this.dvMode = usesDeletionVectors(snapshot);
    this.data = new DataFileStream(snapshot.store, this.context(snapshot.schema), options);
  }

  /** Start the pieces of candidate file `c` (its live rows, in order); `end()` them before the next file's. */
  file(c: OpenCandidate): TouchedFile {
    return new TouchedFile(this, c, this.dvMode);
  }

  /** New rows (table schema). */
  async insert(rows: Table): Promise<void> {
    await this.timed(() => this.data.write(concatRows(this.snapshot, [rows])));
  }

  /** Changed rows for the change data feed; ignored when the table does not record it. */
  async changeData(piece: ChangePiece): Promise<void> {
    if (!writesChangeData(this.snapshot) || piece.rows.numRows === 0) return;
    if (!this.cdc) {
      const schema: StructType = { type: 'struct', fields: [...this.snapshot.schema.fields, { name: CHANGE_TYPE, type: 'string', nullable: true, metadata: {} }] };
      this.cdc = new DataFileStream(this.snapshot.store, { ...this.context(schema), directory: '_change_data', filePrefix: 'cdc' }, this.options);
    }
    const cdc = this.cdc;
    await this.timed(() => cdc.write(withChangeType(this.snapshot, piece)));
  }

  /** @internal a touched file's end, from TouchedFile. */
  ended(c: OpenCandidate, live: number, dropped: number[] | null, droppedCount: number, copied: number): void {
    const m = this.metrics;
    this.removes.push(removeOf(c.add, this.now));
    if (c.add.deletionVector) m.numDeletionVectorsRemoved++;
    if (dropped && live - droppedCount > 0) {
      this.dvFiles.push({ add: c.add, rows: mergeSorted(c.deleted, dropped) });
      m.numDeletionVectorsAdded++;
      if (c.add.deletionVector) m.numDeletionVectorsUpdated++;
      return;
    }
    m.numRemovedFiles++;
    m.numRemovedBytes += c.add.size;
    m.numCopiedRows += copied;
  }

  /** @internal kept rows of a touched file, from TouchedFile. */
  async copy(rows: Table): Promise<void> {
    await this.timed(() => this.data.write(rows));
  }

  /** Write the deletion vectors and what is buffered; the actions (change data, removes, adds) and what was written. */
  async finish(): Promise<FileActions> {
    const t0 = Date.now();
    const out: FileActions = { actions: [], removes: this.removes, adds: [], written: this.written, metrics: this.metrics };
    // Every DV of the operation in one DV file (one write, as Spark writes the DVs of a task).
    const dvs = await writeDeletionVectors(this.snapshot.store, this.dvFiles.map((f) => f.rows));
    if (dvs.length) this.written.push(dvAbsolutePath(dvs[0]!));
    this.dvFiles.forEach(({ add }, k) => out.adds.push({ ...add, deletionVector: dvs[k]!, dataChange: true, stats: looseStats(add.stats) }));
    const added = await this.data.finish();
    for (const a of added) this.written.push(storePathOf(this.snapshot.store, a.path));
    out.adds.push(...added);
    this.metrics.numAddedFiles += added.length;
    this.metrics.numAddedBytes += added.reduce((n, a) => n + a.size, 0);
    if (this.cdc) {
      const cdc = await this.cdc.finish();
      for (const c of cdc) {
        this.written.push(storePathOf(this.snapshot.store, c.path));
        out.actions.push({ cdc: { path: c.path, partitionValues: c.partitionValues, size: c.size, dataChange: false } });
      }
      this.metrics.numAddedChangeFiles = cdc.length;
    }
    for (const remove of out.removes) out.actions.push({ remove });
    for (const add of out.adds) out.actions.push({ add });
    this.writeMs += Date.now() - t0;
    return out;
  }

  /** Stop: remove every file written or attempted (nothing committed them). */
  async abort(): Promise<void> {
    const attempted = [...(await this.data.abort()), ...(this.cdc ? await this.cdc.abort() : [])];
    await deleteWritten(this.snapshot, [...new Set([...this.written, ...attempted])]);
  }

  private context(schema: StructType): WriteContext {
    return { schema, partitionColumns: this.snapshot.partitionColumns, properties: this.snapshot.config.properties };
  }

  private async timed(f: () => Promise<void>): Promise<void> {
    const t0 = Date.now();
    await f();
    this.writeMs += Date.now() - t0;
  }
}

/** Run `work` with a DmlFileWriter and finish it; whatever it wrote is removed when either fails. */
export async function withDmlWriter(
  snapshot: Snapshot,
  options: DataFileOptions,
  work: (w: DmlFileWriter) => Promise<void>,
): Promise<{ files: FileActions; writeMs: number }> {
  const w = new DmlFileWriter(snapshot, options);
  try {
    await work(w);
    return { files: await w.finish(), writeMs: w.writeMs };
  } catch (e) {
    await w.abort();
    throw e;
  }
}

/** The pieces of one candidate file (see DmlFileWriter). */
export class TouchedFile {
  private pending: Table[] = [];
  private droppedCount = 0;
  private copied = 0;
  private readonly dropped: number[] | null;

  constructor(
    private readonly writer: DmlFileWriter,
    private readonly c: OpenCandidate,
    dvMode: boolean,
  ) {
    this.dropped = dvMode ? [] : null;
  }

  /**
   * Live rows from live position `start` on (`rows`: every column; may be null with deletion vectors, which need only
   * the mask), `drop[i]` = 1 when row i leaves the file (deleted, or written elsewhere as a new row). Copy-on-write
   * pieces must cover the file's live rows in order.
   */
  async piece(rows: Table | null, drop: Uint8Array, start: number): Promise<void> {
    let n = 0;
    for (let i = 0; i < drop.length; i++) n += drop[i]!;
    if (this.dropped) {
      const p = this.c.physical;
      for (let i = 0; i < drop.length; i++) if (drop[i]) this.dropped.push(p ? p[start + i]! : start + i);
      this.droppedCount += n;
      return;
    }
    if (!rows) throw new Error('copy-on-write DML needs the rows of every piece');
    const kept = n === 0 ? rows : filterRows(rows, drop.map((d) => 1 - d));
    const first = this.droppedCount === 0 && n > 0;
    this.droppedCount += n;
    this.copied += kept.numRows;
    if (this.droppedCount === 0) {
      if (kept.numRows) this.pending.push(kept);
      return;
    }
    if (first) {
      for (const t of this.pending.splice(0)) await this.writer.copy(t);
    }
    if (kept.numRows) await this.writer.copy(kept);
  }

  /** The file's pieces are done: it is removed (and gets a DV) when a row left it; else left alone. */
  end(): void {
    this.pending = [];
    if (this.droppedCount === 0) return;
    this.writer.ended(this.c, liveRowsOf(this.c), this.dropped, this.droppedCount, this.copied);
  }
}

/** A change piece as rows of the change data schema (the table's columns and `_change_type`). */
function withChangeType(snapshot: Snapshot, p: ChangePiece): Table {
  const schema: StructType = { type: 'struct', fields: [...snapshot.schema.fields, { name: CHANGE_TYPE, type: 'string', nullable: true, metadata: {} }] };
  const arrowSchema = toArrowSchema(schema);
  const batches: RecordBatch[] = [];
  for (const b of concatRows(snapshot, [p.rows]).batches) {
    if (!b.numRows) continue;
    const children = [...b.data.children, buildData(new Array<string>(b.numRows).fill(p.changeType), 'string')];
    batches.push(new RecordBatch(arrowSchema, makeData({ type: new Struct(arrowSchema.fields), length: b.numRows, nullCount: 0, children })));
  }
  return batches.length ? new Table(arrowSchema, batches) : new Table(arrowSchema);
}

/** The change type column of change data files and of the change feed. */
export const CHANGE_TYPE = '_change_type';

function mergeSorted(a: readonly number[], b: readonly number[]): number[] {
  const out: number[] = [];
  let i = 0;
  let j = 0;
  while (i < a.length || j < b.length) {
    if (j >= b.length || (i < a.length && a[i]! < b[j]!)) out.push(a[i++]!);
    else if (i >= a.length || b[j]! < a[i]!) out.push(b[j++]!);
    else {
      out.push(a[i++]!);
      j++;
    }
  }
  return out;
}

/**
 * Stats of a file that gained deletion vector rows: still those of the whole Parquet file (numRecords counts deleted
 * rows too), so min/max/nullCount are no longer tight (PROTOCOL.md "Per-file Statistics", tightBounds). Edited as
 * text so that long bounds beyond 2^53 stay exact.
 */
function looseStats(stats: string | null | undefined): string | null | undefined {
  if (!stats) return stats;
  if (/"tightBounds"\s*:\s*true/.test(stats)) return stats.replace(/"tightBounds"\s*:\s*true/, '"tightBounds":false');
  if (/"tightBounds"\s*:/.test(stats)) return stats;
  const end = stats.lastIndexOf('}');
  if (end < 0) return stats;
  const body = stats.slice(0, end).trimEnd();
  return `${body}${body.endsWith('{') ? '' : ','}"tightBounds":false}`;
}

/** Metrics as Spark writes them in commitInfo.operationMetrics (every value a string). */
function metricStrings(metrics: object): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(metrics)) out[k] = String(v);
  return out;
}

/** Options of DELETE, UPDATE and MERGE. */
export interface DmlOptions extends DataFileOptions {
  /** Extra commitInfo fields (e.g. userMetadata). */
  commitInfo?: Record<string, unknown>;
  /** Max lost races before giving up (default 100). */
  maxRetries?: number;
  /** Exactly-once marker: a txn action {appId, version} committed atomically with the change. */
  txn?: { appId: string; version: number };
}

/** What a DML operation returns: the version it committed (the read version when nothing changed) and its metrics. */
export interface DmlResult<M> {
  version: number;
  metrics: M;
}

/** An operation's result and the snapshot right after it. */
export interface DmlCommitted<M> {
  result: DmlResult<M>;
  snapshot: Snapshot;
}

/** The file metrics DELETE and UPDATE report (Spark's names). */
export function fileMetrics(m: FileActionMetrics) {
  return {
    numRemovedFiles: m.numRemovedFiles,
    numAddedFiles: m.numAddedFiles,
    numCopiedRows: m.numCopiedRows,
    numAddedChangeFiles: m.numAddedChangeFiles,
    numRemovedBytes: m.numRemovedBytes,
    numAddedBytes: m.numAddedBytes,
    numDeletionVectorsAdded: m.numDeletionVectorsAdded,
    numDeletionVectorsRemoved: m.numDeletionVectorsRemoved,
    numDeletionVectorsUpdated: m.numDeletionVectorsUpdated,
  };
}

/** What a DML commit says about itself: commitInfo operation and parameters, and its read set for conflicts. */
export interface DmlCommit {
  operation: 'DELETE' | 'UPDATE' | 'MERGE';
  operationParameters: Record<string, unknown>;
  readPredicate: 'all' | ((add: Add) => boolean);
  readFiles: Add[];
}

/**
 * Commit a DML operation's file actions with its metrics (executionTimeMs measured from `start`). Like Spark, a
 * change that touched nothing is not committed (unless it carries a txn to record): the read version is returned.
 */
export async function finishDml<M extends { executionTimeMs: number }>(
  snapshot: Snapshot,
  files: FileActions,
  options: DmlOptions,
  commit: DmlCommit,
  metrics: M,
  start: number,
): Promise<DmlCommitted<M>> {
  metrics.executionTimeMs = Date.now() - start;
  if (files.actions.length === 0 && !options.txn) return { result: { version: snapshot.version, metrics }, snapshot };
  const res = await commitActions(
    snapshot,
    [...txnActions(options), ...files.actions],
    { ...commit, operationMetrics: metricStrings(metrics), commitInfo: options.commitInfo, maxRetries: options.maxRetries },
    files.written,
  );
  return { result: { version: res.version, metrics }, snapshot: res.snapshot };
}

/**
 * A predicate-driven DELETE or UPDATE: each candidate file (read `columns` ahead, one or two at a time) goes to `perFile`,
 * which hands its changes to the writer before the next file is read; then the operation's row metrics with Spark's
 * file metrics and scan/rewrite times, and the commit whose read set is the predicate (every file without one).
 */
export async function runPredicateDml<R extends object>(
  snapshot: Snapshot,
  operation: 'DELETE' | 'UPDATE',
  predicate: Expr | undefined,
  read: { mayMatch: (add: Add) => boolean; candidates: Add[]; columns?: string[] },
  options: DmlOptions,
  start: number,
  perFile: (file: CandidateFile, w: DmlFileWriter) => Promise<void>,
  rowMetrics: () => R,
): Promise<DmlCommitted<ReturnType<typeof fileMetrics> & R & { executionTimeMs: number; scanTimeMs: number; rewriteTimeMs: number }>> {
  let scanTimeMs = 0;
  const { files, writeMs } = await withDmlWriter(snapshot, options, async (w) => {
    await forEachCandidate(snapshot, read.candidates, read.columns, (file) => perFile(file, w));
    // Reading and writing overlap: the scan is the loop's time not spent handing rows to the writer.
    scanTimeMs = Date.now() - start - w.writeMs;
  });
  const metrics = { ...fileMetrics(files.metrics), ...rowMetrics(), executionTimeMs: 0, scanTimeMs, rewriteTimeMs: writeMs };
  return finishDml(
    snapshot,
    files,
    options,
    {
      operation,
      operationParameters: { predicate: JSON.stringify(predicate ? [exprToString(predicate)] : []) },
      readPredicate: predicate ? read.mayMatch : 'all',
      readFiles: read.candidates,
    },
    metrics,
    start,
  );
}

function txnActions(options: DmlOptions): Action[] {
  return options.txn ? [{ txn: { appId: options.txn.appId, version: options.txn.version, lastUpdated: Date.now() } }] : [];
}
