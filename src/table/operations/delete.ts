// DELETE: remove the rows matching a predicate (all rows without one). Only files that may match are read
// (partition pruning + stats skipping); touched files are rewritten or get deletion vectors (dml_files.ts).
import type { Add } from '../../log/actions.js';
import type { Snapshot } from '../../log/snapshot.js';
import { TRUE, compilePredicate, parsePredicate, referencedColumnPaths, resolveColumn, type Expr } from '../../expr/index.js';
import { filterRows } from '../../schema/access/take.js';
import { fileMayMatch } from '../pruning.js';
import {
  finishPredicateDml,
  forEachCandidate,
  usesDeletionVectors,
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
  // With deletion vectors and no change data to write, only the predicate's columns are needed.
  const columns =
    usesDeletionVectors(snapshot) && !cdf
      ? [...new Set((expr ? referencedColumnPaths(expr) : []).map((p) => resolveColumn(snapshot.schema, p)!.path[0]!))]
      : undefined;
  await forEachCandidate(snapshot, candidates, columns, (file) => {
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
  });
  const scanned = Date.now();
  return finishPredicateDml(
    snapshot,
    'DELETE',
    expr,
    { mayMatch, candidates },
    { changes, added: [], changeData },
    options,
    { numDeletedRows },
    { start, scanned },
  );
}
