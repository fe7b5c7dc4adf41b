// WRITE: append and overwrite (whole table, or the rows matching replaceWhere) as one commit each.
// Data files are written first, then committed; a replaceWhere rewrites the unmatched rows of the files it touches.
import type { Table } from 'apache-arrow';
import type { Action, Add, Metadata, Protocol, Remove } from '../../log/actions.js';
import type { Snapshot } from '../../log/snapshot.js';
import { InvalidArgumentError, SchemaMismatchError } from '../../errors.js';
import { evaluateMask, exprToString, parsePredicate, validateExpr, type Expr } from '../../expr/index.js';
import { fileMayMatch } from '../pruning.js';
import { writeDataFiles, type DataFileOptions } from '../writer.js';
import { commitActions, removeOf, writeMetrics } from './commit.js';
import { splitFilesByPredicate, writeRows } from './rewrite.js';
import { prepareWrite, writeContextOf, type SchemaMode, type WriteData } from './write_input.js';

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

/**
 * Append `data`. A blind append needs no fresh read: `snapshot` may be stale, a lost race only means the
 * transaction rebases.
 */
export async function append(snapshot: Snapshot, data: WriteData, options: WriteOptions = {}): Promise<Committed<CommitResult>> {
  if (options.schemaMode === 'overwrite') {
    throw new InvalidArgumentError("schemaMode 'overwrite' is only allowed with overwrite(); use 'merge' to add columns on append");
  }
  const { table, schema, metadataAction, protocolAction } = prepareWrite(snapshot, data, options.schemaMode);
  const adds = await writeDataFiles(snapshot.store, table, writeContextOf(snapshot, schema), options);
  const actions: Action[] = [...schemaActions(protocolAction, metadataAction), ...txnAction(options, Date.now())];
  for (const add of adds) actions.push({ add });
  const res = await commitActions(snapshot, actions, {
    operation: 'WRITE',
    operationParameters: { mode: 'Append', partitionBy: JSON.stringify(snapshot.partitionColumns) },
    operationMetrics: writeMetrics(adds, table.numRows),
    commitInfo: options.commitInfo,
    maxRetries: options.maxRetries,
  });
  return { result: { version: res.version, addedFiles: adds, removedFiles: [], retries: res.retries }, snapshot: res.snapshot };
}

/**
 * Replace the table's rows with `data`, or only the rows matching `replaceWhere` (every new row must match it).
 * `snapshot` must be the latest version: the commit conflicts only with commits made after it was read.
 */
export async function overwrite(snapshot: Snapshot, data: WriteData, options: OverwriteOptions = {}): Promise<Committed<CommitResult>> {
  if (options.partitionBy && options.schemaMode !== 'overwrite') {
    throw new InvalidArgumentError("changing partitionBy needs schemaMode 'overwrite'");
  }
  if (options.replaceWhere !== undefined && options.schemaMode === 'overwrite') {
    throw new InvalidArgumentError("replaceWhere cannot be combined with schemaMode 'overwrite'");
  }
  const { table, schema, metadataAction, protocolAction } = prepareWrite(snapshot, data, options.schemaMode, options.partitionBy);
  const now = Date.now();
  let removes: Remove[];
  let readFiles: Add[] = [];
  let rewrite: Table[] = [];
  let predicateText: string | undefined;
  let readPredicate: 'all' | ((add: Add) => boolean) = 'all';
  if (options.replaceWhere === undefined) {
    removes = snapshot.activeFiles().map((add) => removeOf(add, now));
  } else {
    const expr = typeof options.replaceWhere === 'string' ? parsePredicate(options.replaceWhere) : options.replaceWhere;
    validateExpr(expr, snapshot.schema);
    predicateText = exprToString(expr);
    // Every new row must match the predicate (Delta's replaceWhere constraint check).
    const mask = evaluateMask(table, expr, schema);
    const bad = mask.findIndex((m) => !m);
    if (bad >= 0) {
      throw new SchemaMismatchError(`row ${bad} of the data does not match replaceWhere '${predicateText}'; nothing was written`, undefined, bad);
    }
    const config = snapshot.config;
    readPredicate = (add: Add) => fileMayMatch(add, expr, config);
    // Files that hold matching rows are removed; their rows that do not match are written back.
    const split = await splitFilesByPredicate(snapshot, expr);
    readFiles = split.readFiles;
    removes = split.touchedFiles.map((add) => removeOf(add, now));
    rewrite = split.keptRows;
  }
  const ctx = writeContextOf(snapshot, schema, options.partitionBy);
  const adds = await writeDataFiles(snapshot.store, table, ctx, options);
  adds.push(...(await writeRows(snapshot, rewrite, ctx, options)));
  const actions: Action[] = [...schemaActions(protocolAction, metadataAction), ...txnAction(options, now)];
  for (const remove of removes) actions.push({ remove });
  for (const add of adds) actions.push({ add });
  const res = await commitActions(snapshot, actions, {
    operation: 'WRITE',
    operationParameters: {
      mode: 'Overwrite',
      partitionBy: JSON.stringify(ctx.partitionColumns),
      ...(predicateText !== undefined ? { predicate: JSON.stringify([predicateText]) } : {}),
    },
    operationMetrics: { ...writeMetrics(adds, table.numRows), numRemovedFiles: String(removes.length) },
    readPredicate,
    readFiles,
    commitInfo: options.commitInfo,
    maxRetries: options.maxRetries,
  });
  return { result: { version: res.version, addedFiles: adds, removedFiles: removes, retries: res.retries }, snapshot: res.snapshot };
}
