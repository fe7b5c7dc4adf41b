// WRITE: append and overwrite (whole table, or the rows matching replaceWhere) as one commit each, of input given whole
// or streamed. Data files are written first (streamed input: as it arrives), then committed; a replaceWhere rewrites
// the unmatched rows of the files it touches. Files of a write that did not commit are removed.
import type { Table } from 'apache-arrow';
import type { Action, Add, Metadata, Protocol, Remove } from '../../log/actions.js';
import type { Snapshot } from '../../log/snapshot.js';
import { InvalidArgumentError, SchemaMismatchError } from '../../errors.js';
import { evaluateMask, exprToString, parsePredicate, validateExpr, type Expr } from '../../expr/index.js';
import { fileMayMatch } from '../pruning.js';
import type { StructType } from '../../schema/types.js';
import { DataFileStream, writeDataFiles, type DataFileOptions } from '../writer.js';
import { commitActions, deleteWritten, removeOf, storePathsOf, writeMetrics } from './commit.js';
import { splitFilesByPredicate, writeRows } from './rewrite.js';
import { isWriteStream, prepareWrite, StreamConformer, writeContextOf, type PreparedWrite, type SchemaMode, type WriteData, type WriteStream } from './write_input.js';

export interface WriteOptions extends DataFileOptions {
  /** 'merge' adds new nullable columns; 'overwrite' (with overwrite()) replaces the schema. */
  schemaMode?: SchemaMode;
  /** Exactly-once marker: a txn action {appId, version} committed atomically with the data. */
  txn?: { appId: string; version: number };
  /** Extra commitInfo fields (e.g. userMetadata). */
  commitInfo?: Record<string, unknown>;
  /** Max lost races before giving up (default 100). */
  maxRetries?: number;
}

export interface OverwriteOptions extends WriteOptions {
  /** Replace only the rows matching this predicate; every new row must match it. */
  replaceWhere?: Expr | string;
  /** New partition columns (only with schemaMode 'overwrite'). */
  partitionBy?: string[];
}

export interface CommitResult {
  version: number;
  addedFiles: Add[];
  removedFiles: Remove[];
  /** Lost races before the commit won. */
  retries: number;
}

/** An operation's result and the snapshot right after its commit. */
export interface Committed<R> {
  result: R;
  snapshot: Snapshot;
}

function schemaActions(protocol: Protocol | undefined, metadata: Metadata | undefined): Action[] {
  return [...(protocol ? [{ protocol }] : []), ...(metadata ? [{ metaData: metadata }] : [])];
}

function txnAction(options: WriteOptions, now: number): Action[] {
  return options.txn ? [{ txn: { appId: options.txn.appId, version: options.txn.version, lastUpdated: now } }] : [];
}

/** The input written as data files (not committed), with the schema change it brings. */
interface WrittenInput extends Pick<PreparedWrite, 'metadataAction' | 'protocolAction'> {
  adds: Add[];
  rows: number;
  /** Schema of the written rows: the table's, or the evolved one. */
  schema: StructType;
}

/** Checked on every chunk of rows before it is written (throws to refuse the write); `rowBase` counts from the input's start. */
type ChunkCheck = (rows: Table, schema: StructType, chunk: number | undefined, rowBase: number) => void;

/** Write `data` (whole or streamed) as data files of `snapshot`'s table; nothing is committed. */
async function writeInput(
  snapshot: Snapshot,
  data: WriteData,
  options: WriteOptions,
  partitionBy?: string[],
  check?: ChunkCheck,
): Promise<WrittenInput> {
  if (isWriteStream(data)) return writeStreamed(snapshot, data, options, partitionBy, check);
  const { table, schema, metadataAction, protocolAction } = prepareWrite(snapshot, data, options.schemaMode, partitionBy);
  check?.(table, schema, undefined, 0);
  const adds = await writeDataFiles(snapshot.store, table, writeContextOf(snapshot, schema, partitionBy), options);
  return { adds, rows: table.numRows, schema, metadataAction, protocolAction };
}

/**
 * Streamed input: each chunk is conformed and buffered, files are written as the buffers reach the target size, so
 * the input is never held whole. When the input or a check fails, the files written so far are removed (nothing
 * committed them).
 */
async function writeStreamed(
  snapshot: Snapshot,
  data: WriteStream,
  options: WriteOptions,
  partitionBy: string[] | undefined,
  check: ChunkCheck | undefined,
): Promise<WrittenInput> {
  const conformer = new StreamConformer(snapshot, options.schemaMode, partitionBy);
  const files = new DataFileStream(snapshot.store, writeContextOf(snapshot, snapshot.schema, partitionBy), options);
  try {
    for await (const chunk of data) {
      const rowBase = conformer.rows;
      const { table, schemaChanged } = conformer.conform(chunk);
      if (schemaChanged) await files.setContext(writeContextOf(snapshot, conformer.schema, partitionBy));
      check?.(table, conformer.schema, conformer.chunks - 1, rowBase);
      await files.write(table);
    }
    const adds = await files.finish();
    return { adds, rows: conformer.rows, schema: conformer.schema, ...conformer.evolution() };
  } catch (e) {
    await deleteWritten(snapshot, await files.abort());
    throw e;
  }
}

/**
 * Append `data` (whole, or streamed: an iterable or async iterable of Tables, RecordBatches or arrays of objects).
 * A blind append needs no fresh read: `snapshot` may be stale, a lost race only means the transaction rebases.
 */
export async function append(snapshot: Snapshot, data: WriteData, options: WriteOptions = {}): Promise<Committed<CommitResult>> {
  if (options.schemaMode === 'overwrite') {
    throw new InvalidArgumentError("schemaMode 'overwrite' is only allowed with overwrite(); use 'merge' to add columns on append");
  }
  const { adds, rows, metadataAction, protocolAction } = await writeInput(snapshot, data, options);
  const actions: Action[] = [...schemaActions(protocolAction, metadataAction), ...txnAction(options, Date.now())];
  for (const add of adds) actions.push({ add });
  const res = await commitActions(
    snapshot,
    actions,
    {
      operation: 'WRITE',
      operationParameters: { mode: 'Append', partitionBy: JSON.stringify(snapshot.partitionColumns) },
      operationMetrics: writeMetrics(adds, rows),
      commitInfo: options.commitInfo,
      maxRetries: options.maxRetries,
    },
    storePathsOf(snapshot, adds),
  );
  return { result: { version: res.version, addedFiles: adds, removedFiles: [], retries: res.retries }, snapshot: res.snapshot };
}

/**
 * Replace the table's rows with `data` (whole or streamed), or only the rows matching `replaceWhere` (every new row
 * must match it). `snapshot` must be the latest version: the commit conflicts only with commits made after it was read.
 */
export async function overwrite(snapshot: Snapshot, data: WriteData, options: OverwriteOptions = {}): Promise<Committed<CommitResult>> {
  if (options.partitionBy && options.schemaMode !== 'overwrite') {
    throw new InvalidArgumentError("changing partitionBy needs schemaMode 'overwrite'");
  }
  if (options.replaceWhere !== undefined && options.schemaMode === 'overwrite') {
    throw new InvalidArgumentError("replaceWhere cannot be combined with schemaMode 'overwrite'");
  }
  const now = Date.now();
  let expr: Expr | undefined;
  let predicateText: string | undefined;
  let check: ChunkCheck | undefined;
  if (options.replaceWhere !== undefined) {
    const e = typeof options.replaceWhere === 'string' ? parsePredicate(options.replaceWhere) : options.replaceWhere;
    validateExpr(e, snapshot.schema);
    const text = exprToString(e);
    expr = e;
    predicateText = text;
    // Every new row must match the predicate (Delta's replaceWhere constraint check).
    check = (rows, schema, chunk, rowBase) => {
      const bad = evaluateMask(rows, e, schema).findIndex((m) => !m);
      if (bad < 0) return;
      const where = chunk === undefined ? `row ${bad} of the data` : `input chunk ${chunk}, row ${bad} (row ${rowBase + bad} of the input)`;
      throw new SchemaMismatchError(`${where} does not match replaceWhere '${text}'; nothing was written`, undefined, rowBase + bad, chunk);
    };
  }
  const written = await writeInput(snapshot, data, options, options.partitionBy, check);
  const { adds, rows, metadataAction, protocolAction } = written;
  let removes: Remove[];
  let readFiles: Add[] = [];
  let rewrite: Table[] = [];
  let readPredicate: 'all' | ((add: Add) => boolean) = 'all';
  try {
    if (expr === undefined) {
      removes = snapshot.activeFiles().map((add) => removeOf(add, now));
    } else {
      const e = expr;
      const config = snapshot.config;
      readPredicate = (add: Add) => fileMayMatch(add, e, config);
      // Files that hold matching rows are removed; their rows that do not match are written back.
      const split = await splitFilesByPredicate(snapshot, e);
      readFiles = split.readFiles;
      removes = split.touchedFiles.map((add) => removeOf(add, now));
      rewrite = split.keptRows;
    }
    adds.push(...(await writeRows(snapshot, rewrite, writeContextOf(snapshot, written.schema, options.partitionBy), options)));
  } catch (e) {
    await deleteWritten(snapshot, storePathsOf(snapshot, adds));
    throw e;
  }
  const actions: Action[] = [...schemaActions(protocolAction, metadataAction), ...txnAction(options, now)];
  for (const remove of removes) actions.push({ remove });
  for (const add of adds) actions.push({ add });
  const res = await commitActions(
    snapshot,
    actions,
    {
      operation: 'WRITE',
      operationParameters: {
        mode: 'Overwrite',
        partitionBy: JSON.stringify(options.partitionBy ?? snapshot.partitionColumns),
        ...(predicateText !== undefined ? { predicate: JSON.stringify([predicateText]) } : {}),
      },
      operationMetrics: { ...writeMetrics(adds, rows), numRemovedFiles: String(removes.length) },
      readPredicate,
      readFiles,
      commitInfo: options.commitInfo,
      maxRetries: options.maxRetries,
    },
    storePathsOf(snapshot, adds),
  );
  return { result: { version: res.version, addedFiles: adds, removedFiles: removes, retries: res.retries }, snapshot: res.snapshot };
}
