// The file-level core DELETE, UPDATE and MERGE share: read a candidate file with the physical position of each live
// row, then turn "these rows leave these files, these rows are new" into remove/add actions, either copy-on-write
// (rewrite the touched files) or with deletion vectors (PROTOCOL.md "Deletion Vectors"), and commit them.
import { makeData, RecordBatch, Schema as ArrowSchema, Struct, Table } from 'apache-arrow';
import type { Action, Add, AddCDCFile, Remove } from '../../log/actions.js';
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
import { writeDataFiles, type DataFileOptions } from '../writer.js';

/** A data file a DML operation opened (footer read) and the positions of its live rows. */
export interface OpenedCandidate {
  add: Add;
  /** The file opened for reading all columns of the table schema: more of its columns cost no second footer read. */
  data: DataFile;
  /** Row index in the data file of each live row; null when every row is live (row i is at index i). */
  physical: Int32Array | null;
  /** Rows in the data file, deleted ones included. */
  physicalRows: number;
  /** Rows the file's current deletion vector deletes (sorted). */
  deleted: readonly number[];
}

/** A data file a DML operation read: its live rows and, for each, its row index in the Parquet file. */
export interface CandidateFile extends OpenedCandidate {
  /** Live rows (the file's deletion vector applied), all columns of the table schema or the ones asked for. */
  rows: Table;
}

/**
 * Read one active file of `snapshot` for a DML operation: every column, or only `columns` (top-level names) when the
 * operation needs no more (a deletion-vector DELETE only evaluates its predicate).
 */
export async function readCandidateFile(snapshot: Snapshot, add: Add, columns?: string[]): Promise<CandidateFile> {
  const data = await DataFile.open({ store: snapshot.store, add: { ...add, deletionVector: null }, config: snapshot.config });
  const all = await data.read(data.rowGroups.map((g) => g.index), columns);
  const n = all.numRows;
  if (!add.deletionVector) {
    return { add, data, rows: all, physical: null, physicalRows: n, deleted: [] };
  }
  const dv = await readDeletionVector(snapshot.store, add.deletionVector);
  if (dv.max >= n) throw new ProtocolError(`deletion vector deletes row ${dv.max} but the data file has ${n} rows`, add.path);
  const physical = dv.keptIndexes(n);
  return { add, data, rows: takeRows(all, physical), physical, physicalRows: n, deleted: dv.toArray() };
}

/** The live rows of every column of a file opened before (its footer and deletion vector are not read again). */
export async function readWholeCandidate(file: OpenedCandidate): Promise<CandidateFile> {
  const all = await file.data.read(file.data.rowGroups.map((g) => g.index));
  return { ...file, rows: file.physical ? takeRows(all, file.physical) : all };
}

/** `read` of each item, up to `concurrency` in flight (I/O and Parquet decoding overlap), handed to `use` in order. */
async function inOrder<T>(
  items: readonly T[],
  read: (item: T) => Promise<CandidateFile>,
  use: (file: CandidateFile) => void | Promise<void>,
  concurrency: number,
): Promise<void> {
  const inflight: Promise<CandidateFile>[] = [];
  let next = 0;
  while (next < items.length || inflight.length) {
    while (inflight.length < concurrency && next < items.length) {
      const p = read(items[next++]!);
      p.catch(() => {}); // awaited below, in order; a later read failing first must not be an unhandled rejection
      inflight.push(p);
    }
    await use(await inflight.shift()!);
  }
}

/** Read `adds` as readCandidateFile does, with up to `concurrency` reads in flight, and hand each file to `use` in order. */
export function forEachCandidate(
  snapshot: Snapshot,
  adds: readonly Add[],
  columns: string[] | undefined,
  use: (file: CandidateFile) => void | Promise<void>,
  concurrency = 3,
): Promise<void> {
  return inOrder(adds, (add) => readCandidateFile(snapshot, add, columns), use, concurrency);
}

/** readWholeCandidate of each file, with up to `concurrency` reads in flight, handed to `use` in order. */
export function forEachWholeCandidate(
  files: readonly OpenedCandidate[],
  use: (file: CandidateFile) => void | Promise<void>,
  concurrency = 3,
): Promise<void> {
  return inOrder(files, readWholeCandidate, use, concurrency);
}

/** One touched file: `drop[i]` = 1 when live row i leaves the file (deleted, or rewritten elsewhere as a new row). */
export interface FileChange {
  file: CandidateFile;
  drop: Uint8Array;
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
 * The actions that apply `changes` and add `newRows` (table schema, canonical Arrow types). Copy-on-write: each
 * touched file is removed and its remaining rows are written again with the new rows (target file size and
 * partitioning by the writer). Deletion vectors: each touched file gets a DV that is the union of its current one
 * and the dropped rows (remove with the old DV + add with the new, same path); a file left without rows is removed.
 */
export async function fileActions(
  snapshot: Snapshot,
  changes: readonly FileChange[],
  newRows: readonly Table[],
  options: DataFileOptions = {},
  changeData: readonly ChangePiece[] = [],
): Promise<FileActions> {
  const now = Date.now();
  const dvMode = usesDeletionVectors(snapshot);
  const out: FileActions = {
    actions: [],
    removes: [],
    adds: [],
    written: [],
    metrics: {
      numRemovedFiles: 0,
      numAddedFiles: 0,
      numRemovedBytes: 0,
      numAddedBytes: 0,
      numCopiedRows: 0,
      numDeletionVectorsAdded: 0,
      numDeletionVectorsRemoved: 0,
      numDeletionVectorsUpdated: 0,
      numAddedChangeFiles: 0,
    },
  };
  const m = out.metrics;
  const toWrite: Table[] = [];
  const dvFiles: { file: CandidateFile; rows: number[] }[] = [];
  try {
    for (const { file, drop } of changes) {
      let dropped = 0;
      for (let i = 0; i < drop.length; i++) dropped += drop[i]!;
      if (dropped === 0) continue;
      const remove = removeOf(file.add, now);
      out.removes.push(remove);
      if (file.add.deletionVector) m.numDeletionVectorsRemoved++;
      const remaining = file.rows.numRows - dropped;
      if (dvMode && remaining > 0) {
        dvFiles.push({ file, rows: mergeSorted(file.deleted, droppedPhysical(file, drop)) });
        m.numDeletionVectorsAdded++;
        if (file.add.deletionVector) m.numDeletionVectorsUpdated++;
        continue;
      }
      m.numRemovedFiles++;
      m.numRemovedBytes += file.add.size;
      if (remaining > 0) {
        toWrite.push(filterRows(file.rows, drop.map((d) => 1 - d)));
        m.numCopiedRows += remaining;
      }
    }
    // Every DV of the operation in one DV file (one write, as Spark writes the DVs of a task).
    const dvs = await writeDeletionVectors(snapshot.store, dvFiles.map((f) => f.rows));
    if (dvs.length) out.written.push(dvAbsolutePath(dvs[0]!));
    dvFiles.forEach(({ file }, k) => out.adds.push({ ...file.add, deletionVector: dvs[k]!, dataChange: true, stats: looseStats(file.add.stats) }));
    toWrite.push(...newRows);
    const data = concatRows(snapshot, toWrite);
    const ctx = { schema: snapshot.schema, partitionColumns: snapshot.partitionColumns, properties: snapshot.config.properties };
    const written = await writeDataFiles(snapshot.store, data, ctx, options);
    for (const a of written) out.written.push(storePathOf(snapshot.store, a.path));
    out.adds.push(...written);
    m.numAddedFiles += written.length;
    m.numAddedBytes += written.reduce((n, a) => n + a.size, 0);
    if (writesChangeData(snapshot) && changeData.some((c) => c.rows.numRows > 0)) {
      const cdc = await writeChangeData(snapshot, changeData, options);
      for (const c of cdc) {
        out.written.push(storePathOf(snapshot.store, c.path));
        out.actions.push({ cdc: c });
      }
      m.numAddedChangeFiles = cdc.length;
    }
  } catch (e) {
    await deleteWritten(snapshot, out.written);
    throw e;
  }
  for (const remove of out.removes) out.actions.push({ remove });
  for (const add of out.adds) out.actions.push({ add });
  return out;
}

/**
 * Write the changed rows as `_change_data/` files (Spark's layout: hive partition folders, `cdc-` file names) with a
 * `_change_type` column (PROTOCOL.md "Change Data Files"); their `cdc` actions (dataChange false, "Add CDC File").
 */
async function writeChangeData(snapshot: Snapshot, pieces: readonly ChangePiece[], options: DataFileOptions): Promise<AddCDCFile[]> {
  const schema: StructType = { type: 'struct', fields: [...snapshot.schema.fields, { name: CHANGE_TYPE, type: 'string', nullable: true, metadata: {} }] };
  const arrowSchema = toArrowSchema(schema);
  const batches: RecordBatch[] = [];
  for (const p of pieces) {
    const rows = concatRows(snapshot, [p.rows]);
    for (const b of rows.batches) {
      if (!b.numRows) continue;
      const children = [...b.data.children, buildData(new Array<string>(b.numRows).fill(p.changeType), 'string')];
      batches.push(new RecordBatch(arrowSchema, makeData({ type: new Struct(arrowSchema.fields), length: b.numRows, nullCount: 0, children })));
    }
  }
  const ctx = {
    schema,
    partitionColumns: snapshot.partitionColumns,
    properties: snapshot.config.properties,
    directory: '_change_data',
    filePrefix: 'cdc',
  };
  const files = await writeDataFiles(snapshot.store, new Table(arrowSchema, batches), ctx, options);
  return files.map((a) => ({ path: a.path, partitionValues: a.partitionValues, size: a.size, dataChange: false }));
}

/** The change type column of change data files and of the change feed. */
export const CHANGE_TYPE = '_change_type';

function droppedPhysical(file: CandidateFile, drop: Uint8Array): number[] {
  const out: number[] = [];
  const p = file.physical;
  for (let i = 0; i < drop.length; i++) if (drop[i]) out.push(p ? p[i]! : i);
  return out;
}

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
 * The end of a predicate-driven DELETE or UPDATE: file actions for the changed files (plus `added` rows and change
 * data), the operation's row metrics with Spark's file metrics and scan/rewrite times, and the commit whose read
 * set is the predicate (every file without one). `scanned` is when reading the candidate files ended.
 */
export async function finishPredicateDml<R extends object>(
  snapshot: Snapshot,
  operation: 'DELETE' | 'UPDATE',
  predicate: Expr | undefined,
  read: { mayMatch: (add: Add) => boolean; candidates: Add[] },
  change: { changes: FileChange[]; added: Table[]; changeData: ChangePiece[] },
  options: DmlOptions,
  rowMetrics: R,
  times: { start: number; scanned: number },
): Promise<DmlCommitted<ReturnType<typeof fileMetrics> & R & { executionTimeMs: number; scanTimeMs: number; rewriteTimeMs: number }>> {
  const files = await fileActions(snapshot, change.changes, change.added, options, change.changeData);
  const metrics = {
    ...fileMetrics(files.metrics),
    ...rowMetrics,
    executionTimeMs: 0,
    scanTimeMs: times.scanned - times.start,
    rewriteTimeMs: Date.now() - times.scanned,
  };
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
    times.start,
  );
}

function txnActions(options: DmlOptions): Action[] {
  return options.txn ? [{ txn: { appId: options.txn.appId, version: options.txn.version, lastUpdated: Date.now() } }] : [];
}
