// DELETE: remove the rows matching a predicate (all rows without one). Only files that may match are read
// (partition pruning + stats skipping); touched files are rewritten or get deletion vectors (dml_files.ts).
import type { Add } from '../../log/actions.js';
import type { Snapshot } from '../../log/snapshot.js';
import { TRUE, compilePredicate, parsePredicate, referencedColumnPaths, resolveColumn, type Expr } from '../../expr/index.js';
import { filterRows } from '../../schema/access/take.js';
import { fileMayMatch } from '../pruning.js';
import { runPredicateDml, usesDeletionVectors, writesChangeData, type DmlCommitted, type DmlOptions } from './dml_files.js';

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
  const cdf = writesChangeData(snapshot);
  let numDeletedRows = 0;
  // With deletion vectors and no change data to write, only the predicate's columns are needed.
  const columns =
    usesDeletionVectors(snapshot) && !cdf
      ? [...new Set((expr ? referencedColumnPaths(expr) : []).map((p) => resolveColumn(snapshot.schema, p)!.path[0]!))]
      : undefined;
  return runPredicateDml(
    snapshot,
    'DELETE',
    expr,
    { mayMatch, candidates, columns },
    options,
    start,
    async (file, w) => {
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
      const touched = w.file(file);
      await touched.piece(file.rows, drop, 0);
      touched.end();
      if (n) await w.changeData({ rows: filterRows(file.rows, drop), changeType: 'delete' });
    },
    () => ({ numDeletedRows }),
  );
}
