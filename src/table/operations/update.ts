// UPDATE: set columns to expressions of the row's values, on the rows matching `where` (all rows without it).
// Updated rows are written as new rows; their old versions leave their files by rewrite or deletion vector.
import type { Add } from '../../log/actions.js';
import type { Snapshot } from '../../log/snapshot.js';
import { InvalidArgumentError } from '../../errors.js';
import { TRUE, compilePredicate, parsePredicate, type CompiledExpression, type Expr } from '../../expr/index.js';
import { takeRows } from '../../schema/access/take.js';
import { fileMayMatch } from '../pruning.js';
import { buildRows, compileAssignment, keepColumn, targetField } from './assignment.js';
import { runPredicateDml, type DmlCommitted, type DmlOptions } from './dml_files.js';

export interface UpdateSpec {
  /** Rows to update (SQL text or an expression); all rows when absent. */
  where?: Expr | string;
  /** Column -> new value (SQL expression text over the row's columns, or an expression). */
  set: Record<string, Expr | string>;
}

/** Spark's UPDATE metrics (commitInfo.operationMetrics). */
export interface UpdateMetrics {
  numRemovedFiles: number;
  numAddedFiles: number;
  numUpdatedRows: number;
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

/** The compiled SET list: one expression per table column (unchanged columns keep their value). */
export function compileSetList(snapshot: Snapshot, set: Record<string, Expr | string>, what: string): CompiledExpression[] {
  const schema = snapshot.schema;
  const assigned = new Map<string, Expr | string>();
  for (const [name, value] of Object.entries(set)) {
    const f = targetField(schema, name, what);
    if (assigned.has(f.name)) throw new InvalidArgumentError(`${what}: column '${f.name}' is assigned more than once`);
    assigned.set(f.name, value);
  }
  return schema.fields.map((f) => (assigned.has(f.name) ? compileAssignment(assigned.get(f.name)!, f, schema, `${what} SET`) : keepColumn(f, schema)));
}

export async function updateRows(snapshot: Snapshot, spec: UpdateSpec, options: DmlOptions = {}): Promise<DmlCommitted<UpdateMetrics>> {
  const start = Date.now();
  if (!spec || typeof spec.set !== 'object' || spec.set === null || Object.keys(spec.set).length === 0) {
    throw new InvalidArgumentError('update needs a non-empty set: { column: expression }');
  }
  const where = spec.where === undefined ? undefined : typeof spec.where === 'string' ? parsePredicate(spec.where) : spec.where;
  const compiledWhere = where ? compilePredicate(where, snapshot.schema) : undefined;
  const columns = compileSetList(snapshot, spec.set, 'UPDATE');
  const pruning = { schema: snapshot.schema, partitionColumns: snapshot.partitionColumns };
  const mayMatch = where ? (add: Add) => fileMayMatch(add, where, pruning) : () => true;
  const candidates = snapshot.activeFiles().filter(mayMatch);
  let numUpdatedRows = 0;
  return runPredicateDml(
    snapshot,
    'UPDATE',
    where,
    { mayMatch, candidates },
    options,
    start,
    async (file, w) => {
      const drop = compiledWhere ? compiledWhere.truth(file.rows) : new Uint8Array(file.rows.numRows).fill(TRUE);
      const idx: number[] = [];
      for (let i = 0; i < drop.length; i++) {
        drop[i] = drop[i] === TRUE ? 1 : 0;
        if (drop[i]) idx.push(i);
      }
      if (!idx.length) return;
      numUpdatedRows += idx.length;
      const before = takeRows(file.rows, idx);
      const after = buildRows(snapshot.schema, columns, [before]);
      const touched = w.file(file);
      await touched.piece(file.rows, drop, 0);
      touched.end();
      await w.insert(after);
      await w.changeData({ rows: before, changeType: 'update_preimage' });
      await w.changeData({ rows: after, changeType: 'update_postimage' });
    },
    () => ({ numUpdatedRows }),
  );
}
