// DELETE: remove the rows matching a predicate (all rows without one). Only files that may match are read
// (partition pruning + stats skipping); touched files are rewritten or get deletion vectors (dml_files.ts).
import type { Add } from '../../log/actions.js';
import type { Snapshot } from '../../log/snapshot.js';
import { TRUE, compilePredicate, exprToString, parsePredicate, type Expr } from '../../expr/index.js';
import { filterRows } from '../../schema/access/take.js';
import { fileMayMatch } from '../pruning.js';
import {
  commitDml,
  fileActions,
  metricStrings,
  readCandidateFile,
  txnActions,
  writesChangeData,
  type ChangePiece,
  type DmlCommitted,
  type DmlOptions,
  type FileChange,
} from './dml_files.js';

/** Spark's DELETE metrics (commitInfo.operationMetrics). */
export interface DeleteMetrics {
  numRemovedFiles: number;
  numAddedFiles: number;
  numDeletedRows: number;
  numCopiedRows: number;
  numAddedChangeFiles: number;
  numRemovedBytes: number;
  numAddedBytes: number;
  numDeletionVectorsAdded: number;
  numDeletionVectorsRemoved: number;
  numDeletionVectorsUpdated: number;
  executionTimeMs: number;
  scanTimeMs: number;
  rewriteTimeMs: number;
}

/** Delete the rows for which `predicate` is TRUE (SQL WHERE semantics: NULL keeps the row); no predicate = all. */
export async function deleteRows(snapshot: Snapshot, predicate: Expr | string | undefined, options: DmlOptions = {}): Promise<DmlCommitted<DeleteMetrics>> {
  const start = Date.now();
  const expr = predicate === undefined ? undefined : typeof predicate === 'string' ? parsePredicate(predicate) : predicate;
  const compiled = expr ? compilePredicate(expr, snapshot.schema) : undefined;
  const pruning = { schema: snapshot.schema, partitionColumns: snapshot.partitionColumns };
  const mayMatch = expr ? (add: Add) => fileMayMatch(add, expr, pruning) : () => true;
  const candidates = snapshot.activeFiles().filter(mayMatch);
  const changes: FileChange[] = [];
  const cdf = writesChangeData(snapshot);
  const changeData: ChangePiece[] = [];
  let numDeletedRows = 0;
  for (const add of candidates) {
    const file = await readCandidateFile(snapshot, add);
    let drop: Uint8Array;
    if (compiled) {
      drop = compiled.truth(file.rows);
      for (let i = 0; i < drop.length; i++) drop[i] = drop[i] === TRUE ? 1 : 0;
    } else {
      drop = new Uint8Array(file.rows.numRows).fill(1);
    }
    let n = 0;
    for (let i = 0; i < drop.length; i++) n += drop[i]!;
    numDeletedRows += n;
    changes.push({ file, drop });
    if (cdf && n) changeData.push({ rows: filterRows(file.rows, drop), changeType: 'delete' });
  }
  const scanned = Date.now();
  const files = await fileActions(snapshot, changes, [], options, changeData);
  const metrics: DeleteMetrics = {
    numRemovedFiles: files.metrics.numRemovedFiles,
    numAddedFiles: files.metrics.numAddedFiles,
    numDeletedRows,
    numCopiedRows: files.metrics.numCopiedRows,
    numAddedChangeFiles: files.metrics.numAddedChangeFiles,
    numRemovedBytes: files.metrics.numRemovedBytes,
    numAddedBytes: files.metrics.numAddedBytes,
    numDeletionVectorsAdded: files.metrics.numDeletionVectorsAdded,
    numDeletionVectorsRemoved: files.metrics.numDeletionVectorsRemoved,
    numDeletionVectorsUpdated: files.metrics.numDeletionVectorsUpdated,
    executionTimeMs: 0,
    scanTimeMs: scanned - start,
    rewriteTimeMs: Date.now() - scanned,
  };
  // Spark skips empty commits: nothing deleted, nothing written.
  if (files.actions.length === 0 && !options.txn) {
    metrics.executionTimeMs = Date.now() - start;
    return { result: { version: snapshot.version, metrics }, snapshot };
  }
  metrics.executionTimeMs = Date.now() - start;
  const res = await commitDml(
    snapshot,
    [...txnActions(options), ...files.actions],
    {
      operation: 'DELETE',
      operationParameters: { predicate: JSON.stringify(expr ? [exprToString(expr)] : []) },
      operationMetrics: metricStrings(metrics),
      readPredicate: expr ? mayMatch : 'all',
      readFiles: candidates,
      commitInfo: options.commitInfo,
      maxRetries: options.maxRetries,
    },
    files.written,
  );
  return { result: { version: res.version, metrics }, snapshot: res.snapshot };
}
