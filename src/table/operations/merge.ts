// MERGE INTO: join a source with the target on a condition, then per row the first clause whose condition holds:
// matched -> update / delete, not matched (source only) -> insert, not matched by source (target only) -> update /
// delete (Spark's semantics). Only target files that may match the source's join keys are read.
import { RecordBatch, Table } from 'apache-arrow';
import type { Add } from '../../log/actions.js';
import type { Snapshot } from '../../log/snapshot.js';
import { InvalidArgumentError, MergeCardinalityError } from '../../errors.js';
import {
  TRUE,
  childrenOf,
  compileExpression,
  compilePredicate,
  compareKeys,
  exprToString,
  parsePredicate,
  resolveRef,
  widerType,
  type CompiledExpression,
  type Expr,
  type Key,
  type Relation,
  type SqlType,
} from '../../expr/index.js';
import type { Value } from '../../schema/access/get.js';
import { takeRows } from '../../schema/access/take.js';
import { fromArrowSchema } from '../../schema/arrow.js';
import { objectsToArrow } from '../../schema/objects.js';
import type { DataType, StructType } from '../../schema/types.js';
import { fileMayMatch } from '../pruning.js';
import { buildRows, compileAssignment, keepColumn, targetField } from './assignment.js';
import {
  finishDml,
  forEachCandidate,
  liveRangeOf,
  liveRowsOf,
  readGroupLive,
  usesDeletionVectors,
  withDmlWriter,
  writesChangeData,
  type DmlCommitted,
  type DmlFileWriter,
  type DmlOptions,
  type DmlResult,
  type OpenCandidate,
} from './dml_files.js';

export type MergeSource = Table | RecordBatch | RecordBatch[] | Record<string, unknown>[];

export interface MergeOptions {
  /** Join condition over target and source columns, e.g. 't.id = s.id'. */
  on: Expr | string;
  /** Name of the source relation in expressions (default 'source'). */
  sourceAlias?: string;
  /** Name of the target relation in expressions (default 'target'). */
  targetAlias?: string;
}

type Assignments = Record<string, Expr | string> | '*';

export type MergeClause =
  | { kind: 'matchedUpdate'; where?: Expr | string; set: Assignments }
  | { kind: 'matchedDelete'; where?: Expr | string }
  | { kind: 'notMatchedInsert'; where?: Expr | string; values: Assignments }
  | { kind: 'notMatchedBySourceUpdate'; where?: Expr | string; set: Record<string, Expr | string> }
  | { kind: 'notMatchedBySourceDelete'; where?: Expr | string };

/** Spark's MERGE metrics (commitInfo.operationMetrics). */
export interface MergeMetrics {
  numSourceRows: number;
  numTargetRowsInserted: number;
  numTargetRowsUpdated: number;
  numTargetRowsMatchedUpdated: number;
  numTargetRowsNotMatchedBySourceUpdated: number;
  numTargetRowsDeleted: number;
  numTargetRowsMatchedDeleted: number;
  numTargetRowsNotMatchedBySourceDeleted: number;
  numTargetRowsCopied: number;
  numOutputRows: number;
  numTargetFilesAdded: number;
  numTargetFilesRemoved: number;
  numTargetBytesAdded: number;
  numTargetBytesRemoved: number;
  numTargetDeletionVectorsAdded: number;
  numTargetDeletionVectorsRemoved: number;
  numTargetDeletionVectorsUpdated: number;
  numTargetChangeFilesAdded: number;
  executionTimeMs: number;
  scanTimeMs: number;
  rewriteTimeMs: number;
}

/** Builder of a MERGE: clauses in the order given, then execute(). */
export class MergeBuilder {
  private readonly clauses: MergeClause[] = [];
  constructor(private readonly run: (clauses: readonly MergeClause[]) => Promise<DmlResult<MergeMetrics>>) {}

  whenMatchedUpdate(c: { where?: Expr | string; set: Record<string, Expr | string> }): this {
    return this.add({ kind: 'matchedUpdate', where: c.where, set: c.set });
  }
  /** Update every target column from the source column of the same name. */
  whenMatchedUpdateAll(c: { where?: Expr | string } = {}): this {
    return this.add({ kind: 'matchedUpdate', where: c.where, set: '*' });
  }
  whenMatchedDelete(c: { where?: Expr | string } = {}): this {
    return this.add({ kind: 'matchedDelete', where: c.where });
  }
  whenNotMatchedInsert(c: { where?: Expr | string; values: Record<string, Expr | string> }): this {
    return this.add({ kind: 'notMatchedInsert', where: c.where, values: c.values });
  }
  /** Insert every target column from the source column of the same name. */
  whenNotMatchedInsertAll(c: { where?: Expr | string } = {}): this {
    return this.add({ kind: 'notMatchedInsert', where: c.where, values: '*' });
  }
  whenNotMatchedBySourceUpdate(c: { where?: Expr | string; set: Record<string, Expr | string> }): this {
    return this.add({ kind: 'notMatchedBySourceUpdate', where: c.where, set: c.set });
  }
  whenNotMatchedBySourceDelete(c: { where?: Expr | string } = {}): this {
    return this.add({ kind: 'notMatchedBySourceDelete', where: c.where });
  }
  execute(): Promise<DmlResult<MergeMetrics>> {
    return this.run([...this.clauses]);
  }
  private add(c: MergeClause): this {
    this.clauses.push(c);
    return this;
  }
}

/** Source data as Arrow; plain objects take the target's type for columns the target has, other keys are inferred. */
export function sourceTable(snapshot: Snapshot, source: MergeSource): Table {
  if (source instanceof Table) return source;
  if (source instanceof RecordBatch) return new Table([source]);
  if (Array.isArray(source)) {
    if (source.length > 0 && source[0] instanceof RecordBatch) return new Table(source as RecordBatch[]);
    const rows = source as Record<string, unknown>[];
    const keys = new Set(rows.flatMap((r) => (r && typeof r === 'object' ? Object.keys(r) : [])));
    const known: StructType = {
      type: 'struct',
      fields: snapshot.schema.fields.filter((f) => keys.has(f.name)).map((f) => ({ ...f, nullable: true })),
    };
    return objectsToArrow(rows, known, { allowExtra: true });
  }
  throw new InvalidArgumentError('merge source must be an Arrow Table, RecordBatch(es) or an array of plain objects');
}

interface Compiled {
  clause: MergeClause;
  cond?: CompiledExpression;
  /** One expression per target column (update / insert); absent for deletes. */
  columns?: CompiledExpression[];
}

const asExpr = (e: Expr | string): Expr => (typeof e === 'string' ? parsePredicate(e) : e);

export async function mergeRows(
  snapshot: Snapshot,
  source: MergeSource,
  options: MergeOptions,
  clauses: readonly MergeClause[],
  dmlOptions: DmlOptions = {},
): Promise<DmlCommitted<MergeMetrics>> {
  const start = Date.now();
  if (!clauses.length) throw new InvalidArgumentError('MERGE needs at least one when... clause');
  const targetAlias = options.targetAlias ?? 'target';
  const sourceAlias = options.sourceAlias ?? 'source';
  if (targetAlias.toLowerCase() === sourceAlias.toLowerCase()) {
    throw new InvalidArgumentError(`MERGE: source and target aliases must differ (both '${targetAlias}')`);
  }
  const src = sourceTable(snapshot, source);
  const schema = snapshot.schema;
  const target: Relation = { name: targetAlias, schema };
  const sourceRel: Relation = { name: sourceAlias, schema: fromArrowSchema(src.schema) };
  const both = [target, sourceRel];
  const on = asExpr(options.on);
  const onCompiled = compilePredicate(on, both);
  validateClauseOrder(clauses);
  const compiled = clauses.map((c) => compileClause(c, schema, target, sourceRel));
  const matched = compiled.filter((c) => c.clause.kind === 'matchedUpdate' || c.clause.kind === 'matchedDelete');
  const notMatched = compiled.filter((c) => c.clause.kind === 'notMatchedInsert');
  const bySource = compiled.filter((c) => c.clause.kind === 'notMatchedBySourceUpdate' || c.clause.kind === 'notMatchedBySourceDelete');

  // Join keys: conjuncts `target col = source expr` hash the join; they also bound which target files can match.
  const keys = equiKeys(on, both);
  const pruning = bySource.length ? null : targetPruning(on, keys, both, src);
  const pruningCtx = { schema, partitionColumns: snapshot.partitionColumns };
  const mayMatch = pruning ? (add: Add) => fileMayMatch(add, pruning, pruningCtx) : () => true;
  const candidates = snapshot.activeFiles().filter(mayMatch);
  const cdf = writesChangeData(snapshot);

  // Pass 1: each candidate file opened (its footer kept for pass 2), reading only the target columns the join condition
  // references, probed against the source: its pairs (live row in the file, source row) satisfying `on`.
  const index = joinIndex(src, keys, on, onCompiled, both);
  const everyRow = bySource.length > 0;
  const probed: { file: OpenCandidate; pt: number[]; ps: number[] }[] = [];
  await forEachCandidate(snapshot, candidates, columnsOf(on, both, 0), (f) => {
    const [pt, ps] = inTargetOrder(index.pairs(f.rows));
    const file: OpenCandidate = { add: f.add, data: f.data, physical: f.physical, physicalRows: f.physicalRows, deleted: f.deleted };
    if (pt.length || everyRow) probed.push({ file, pt, ps });
  });
  // Before anything is written: a target row matched by several source rows is an error (unless the only matched
  // clause is an unconditional delete).
  const sourceMatched = new Uint8Array(src.numRows);
  let multi = 0;
  for (const { pt, ps } of probed) {
    for (let k = 0; k < pt.length; k++) {
      sourceMatched[ps[k]!] = 1;
      if (k > 0 && pt[k] === pt[k - 1] && (k < 2 || pt[k - 2] !== pt[k])) multi++;
    }
  }
  const onlyUnconditionalDelete = matched.length === 1 && matched[0]!.clause.kind === 'matchedDelete' && !matched[0]!.cond;
  if (multi && matched.length && !onlyUnconditionalDelete) {
    throw new MergeCardinalityError(
      `MERGE: ${multi} target row(s) of ${snapshot.store.uri} matched more than one source row on '${exprToString(on)}'; ` +
        `a target row can be updated or deleted by one source row only (de-duplicate the source); nothing was written`,
      multi,
    );
  }

  const m: MergeMetrics = {
    numSourceRows: src.numRows,
    numTargetRowsInserted: 0,
    numTargetRowsUpdated: 0,
    numTargetRowsMatchedUpdated: 0,
    numTargetRowsNotMatchedBySourceUpdated: 0,
    numTargetRowsDeleted: 0,
    numTargetRowsMatchedDeleted: 0,
    numTargetRowsNotMatchedBySourceDeleted: 0,
    numTargetRowsCopied: 0,
    numOutputRows: 0,
    numTargetFilesAdded: 0,
    numTargetFilesRemoved: 0,
    numTargetBytesAdded: 0,
    numTargetBytesRemoved: 0,
    numTargetDeletionVectorsAdded: 0,
    numTargetDeletionVectorsRemoved: 0,
    numTargetDeletionVectorsUpdated: 0,
    numTargetChangeFilesAdded: 0,
    executionTimeMs: 0,
    scanTimeMs: 0,
    rewriteTimeMs: 0,
  };

  /**
   * The clauses applied to a piece of a target file: its live `rows` and the pairs of them (`pt` positions in `rows`)
   * with source rows `ps`; new rows and change data go to `w`; returns which rows leave the file.
   */
  const applyClauses = async (w: DmlFileWriter, rows: Table, pt: number[], ps: number[]): Promise<Uint8Array> => {
    const drop = new Uint8Array(rows.numRows);
    // WHEN MATCHED: per pair, the first clause whose condition is TRUE.
    if (matched.length && pt.length) {
      const tRows = takeRows(rows, pt);
      const sRows = takeRows(src, ps);
      const chosen = firstClause(matched, pt.length, (c) => c.truth(tRows, sRows));
      for (let k = 0; k < matched.length; k++) {
        const idx = indexesOf(chosen, k);
        if (!idx.length) continue;
        for (const i of idx) drop[pt[i]!] = 1;
        const c = matched[k]!;
        if (c.clause.kind === 'matchedDelete') {
          // One target row may be matched by several source rows only under an unconditional delete: count it once.
          const distinct = [...new Set(idx.map((i) => pt[i]!))];
          m.numTargetRowsMatchedDeleted += distinct.length;
          if (cdf) await w.changeData({ rows: takeRows(rows, distinct), changeType: 'delete' });
        } else {
          const before = takeRows(tRows, idx);
          const after = buildRows(schema, c.columns!, [before, takeRows(sRows, idx)]);
          await w.insert(after);
          m.numTargetRowsMatchedUpdated += idx.length;
          if (cdf) await changed(w, before, after);
        }
      }
    }
    // WHEN NOT MATCHED BY SOURCE: target rows without a match.
    if (bySource.length) {
      const hit = new Uint8Array(rows.numRows);
      for (const t of pt) hit[t] = 1;
      const rest = indexesOf(hit, 0);
      if (rest.length) {
        const tRows = takeRows(rows, rest);
        const chosen = firstClause(bySource, rest.length, (c) => c.truth(tRows));
        for (let k = 0; k < bySource.length; k++) {
          const idx = indexesOf(chosen, k);
          if (!idx.length) continue;
          for (const i of idx) drop[rest[i]!] = 1;
          const c = bySource[k]!;
          const before = takeRows(tRows, idx);
          if (c.clause.kind === 'notMatchedBySourceDelete') {
            m.numTargetRowsNotMatchedBySourceDeleted += idx.length;
            if (cdf) await w.changeData({ rows: before, changeType: 'delete' });
          } else {
            const after = buildRows(schema, c.columns!, [before]);
            await w.insert(after);
            m.numTargetRowsNotMatchedBySourceUpdated += idx.length;
            if (cdf) await changed(w, before, after);
          }
        }
      }
    }
    return drop;
  };

  // Pass 2, one file after another through the writer: the rows of each probed file, row group by row group, read
  // again through the footer pass 1 opened. Copy-on-write decodes every row group of a file with matches (its rows
  // are copied); deletion vectors only the row groups holding a matched row, and none at all when the pairs alone
  // decide (deletes without target conditions and no change data to write).
  const dvMode = usesDeletionVectors(snapshot);
  const rowsNeeded = everyRow || !dvMode || cdf || matched.some((c) => c.clause.kind === 'matchedUpdate' || c.cond);
  let scanTimeMs = 0;
  const { files: fa, writeMs } = await withDmlWriter(snapshot, dmlOptions, async (w) => {
    for (const p of probed.splice(0)) {
      const touched = w.file(p.file);
      if (!rowsNeeded) {
        const drop = new Uint8Array(liveRowsOf(p.file));
        if (matched.length) for (const t of p.pt) drop[t] = 1;
        for (const d of drop) m.numTargetRowsMatchedDeleted += d;
        await touched.piece(null, drop, 0);
      } else {
        let k = 0;
        for (const g of p.file.data.rowGroups) {
          const { start, end } = liveRangeOf(p.file, g.index);
          let k1 = k;
          while (k1 < p.pt.length && p.pt[k1]! < end) k1++;
          if (start === end || (dvMode && !everyRow && k1 === k)) continue;
          const { rows } = await readGroupLive(p.file, g.index);
          const drop = await applyClauses(w, rows, p.pt.slice(k, k1).map((t) => t - start), p.ps.slice(k, k1));
          await touched.piece(rows, drop, start);
          k = k1;
        }
      }
      touched.end();
    }
    // WHEN NOT MATCHED [BY TARGET]: source rows without a match.
    if (notMatched.length) {
      const rest = indexesOf(sourceMatched, 0);
      if (rest.length) {
        const sRows = takeRows(src, rest);
        const chosen = firstClause(notMatched, rest.length, (c) => c.truth(sRows));
        for (let k = 0; k < notMatched.length; k++) {
          const idx = indexesOf(chosen, k);
          if (!idx.length) continue;
          const inserted = buildRows(schema, notMatched[k]!.columns!, [takeRows(sRows, idx)]);
          await w.insert(inserted);
          m.numTargetRowsInserted += idx.length;
          if (cdf) await w.changeData({ rows: inserted, changeType: 'insert' });
        }
      }
    }
    scanTimeMs = Date.now() - start - w.writeMs;
  });
  m.numTargetRowsUpdated = m.numTargetRowsMatchedUpdated + m.numTargetRowsNotMatchedBySourceUpdated;
  m.numTargetRowsDeleted = m.numTargetRowsMatchedDeleted + m.numTargetRowsNotMatchedBySourceDeleted;
  m.scanTimeMs = scanTimeMs;
  m.rewriteTimeMs = writeMs;
  m.numTargetRowsCopied = fa.metrics.numCopiedRows;
  m.numOutputRows = m.numTargetRowsInserted + m.numTargetRowsUpdated + m.numTargetRowsCopied;
  m.numTargetFilesAdded = fa.metrics.numAddedFiles;
  m.numTargetFilesRemoved = fa.metrics.numRemovedFiles;
  m.numTargetBytesAdded = fa.metrics.numAddedBytes;
  m.numTargetBytesRemoved = fa.metrics.numRemovedBytes;
  m.numTargetDeletionVectorsAdded = fa.metrics.numDeletionVectorsAdded;
  m.numTargetDeletionVectorsRemoved = fa.metrics.numDeletionVectorsRemoved;
  m.numTargetDeletionVectorsUpdated = fa.metrics.numDeletionVectorsUpdated;
  m.numTargetChangeFilesAdded = fa.metrics.numAddedChangeFiles;
  const describe = (cs: Compiled[]): string =>
    JSON.stringify(
      cs.map((c) => ({
        ...(c.clause.where !== undefined ? { predicate: exprToString(asExpr(c.clause.where)) } : {}),
        actionType: actionType(c.clause),
      })),
    );
  return finishDml(
    snapshot,
    fa,
    dmlOptions,
    {
      operation: 'MERGE',
      operationParameters: {
        predicate: JSON.stringify([exprToString(on)]),
        matchedPredicates: describe(matched),
        notMatchedPredicates: describe(notMatched),
        notMatchedBySourcePredicates: describe(bySource),
      },
      readPredicate: pruning ? mayMatch : 'all',
      readFiles: candidates,
    },
    m,
    start,
  );
}

/** Spark's rule: among the clauses of one kind (matched / not matched / not matched by source) only the last may omit its condition. */
function validateClauseOrder(clauses: readonly MergeClause[]): void {
  const groups: Array<[string, (c: MergeClause) => boolean]> = [
    ['WHEN MATCHED', (c) => c.kind.startsWith('matched')],
    ['WHEN NOT MATCHED', (c) => c.kind === 'notMatchedInsert'],
    ['WHEN NOT MATCHED BY SOURCE', (c) => c.kind.startsWith('notMatchedBySource')],
  ];
  for (const [name, inGroup] of groups) {
    const g = clauses.filter(inGroup);
    const i = g.findIndex((c) => c.where === undefined);
    if (i >= 0 && i < g.length - 1) {
      throw new InvalidArgumentError(`MERGE: only the last ${name} clause may omit its condition (clause ${i + 1} of ${g.length} has none); nothing was written`);
    }
  }
}

function actionType(c: MergeClause): string {
  switch (c.kind) {
    case 'matchedUpdate':
    case 'notMatchedBySourceUpdate':
      return c.kind === 'matchedUpdate' && c.set === '*' ? 'updateAll' : 'update';
    case 'notMatchedInsert':
      return c.values === '*' ? 'insertAll' : 'insert';
    default:
      return 'delete';
  }
}

function compileClause(c: MergeClause, schema: StructType, target: Relation, source: Relation): Compiled {
  const what = `MERGE ${c.kind.replace(/([A-Z])/g, ' $1').toUpperCase()}`;
  const scope = c.kind.startsWith('matched') ? [target, source] : c.kind === 'notMatchedInsert' ? [source] : [target];
  const cond = c.where !== undefined ? compilePredicate(asExpr(c.where), scope) : undefined;
  if (c.kind === 'matchedDelete' || c.kind === 'notMatchedBySourceDelete') return { clause: c, cond };
  const given = c.kind === 'notMatchedInsert' ? c.values : c.set;
  const assigned = new Map<string, Expr | string>();
  if (given === '*') {
    for (const f of schema.fields) {
      const s = resolveRef([source], [f.name]);
      if (!s) {
        throw new InvalidArgumentError(
          `${what}: target column '${f.name}' has no source column of that name (source columns: ${source.schema.fields.map((x) => x.name).join(', ')})`,
        );
      }
      assigned.set(f.name, { kind: 'column', path: [source.name!, s.path[0]!] });
    }
  } else {
    if (!given || typeof given !== 'object' || Object.keys(given).length === 0) {
      throw new InvalidArgumentError(`${what}: needs a non-empty ${c.kind === 'notMatchedInsert' ? 'values' : 'set'}`);
    }
    for (const [name, value] of Object.entries(given)) {
      // `t.col` names the target column too.
      const parts = name.split('.');
      const bare = parts.length === 2 && parts[0]!.toLowerCase() === target.name!.toLowerCase() ? parts[1]! : name;
      const f = targetField(schema, bare, what);
      if (assigned.has(f.name)) throw new InvalidArgumentError(`${what}: column '${f.name}' is assigned more than once`);
      assigned.set(f.name, value);
    }
  }
  const columns = schema.fields.map((f) => {
    const v = assigned.get(f.name);
    if (v !== undefined) return compileAssignment(v, f, scope, what);
    // Insert: unassigned columns are NULL; update: they keep the target's value.
    if (c.kind === 'notMatchedInsert') return compileAssignment({ kind: 'literal', type: 'null' }, f, scope, what);
    return keepColumn(f, scope, target.name);
  });
  return { clause: c, cond, columns };
}

/** An update's change data: the rows before and after. */
async function changed(w: DmlFileWriter, before: Table, after: Table): Promise<void> {
  await w.changeData({ rows: before, changeType: 'update_preimage' });
  await w.changeData({ rows: after, changeType: 'update_postimage' });
}

/** Join pairs ordered by target row (stable: a target row's source rows keep their order). */
function inTargetOrder([pt, ps]: [number[], number[]]): [number[], number[]] {
  let sorted = true;
  for (let k = 1; k < pt.length && sorted; k++) if (pt[k]! < pt[k - 1]!) sorted = false;
  if (sorted) return [pt, ps];
  const order = pt.map((_, k) => k).sort((a, b) => pt[a]! - pt[b]! || a - b);
  return [order.map((k) => pt[k]!), order.map((k) => ps[k]!)];
}

/** For each of `n` rows, the index of the first clause whose condition is TRUE (absent = always), else 255. */
function firstClause(cs: Compiled[], n: number, truth: (c: CompiledExpression) => Uint8Array): Uint8Array {
  const out = new Uint8Array(n).fill(255);
  let open = n;
  for (let k = 0; k < cs.length && open > 0; k++) {
    const cond = cs[k]!.cond;
    const t = cond ? truth(cond) : null;
    for (let i = 0; i < n; i++) {
      if (out[i] !== 255) continue;
      if (!t || t[i] === TRUE) {
        out[i] = k;
        open--;
      }
    }
  }
  return out;
}

function indexesOf(a: Uint8Array, v: number): number[] {
  const out: number[] = [];
  for (let i = 0; i < a.length; i++) if (a[i] === v) out.push(i);
  return out;
}

function conjuncts(e: Expr): Expr[] {
  return e.kind === 'and' ? e.children.flatMap(conjuncts) : [e];
}

interface EquiKey {
  /** `a = b OR (a IS NULL AND b IS NULL)`: NULL keys match each other. */
  nullSafe: boolean;
  /** Target column (unqualified path) and the source expression it equals, both cast to a common type. */
  targetPath: string[];
  targetType: DataType;
  target: CompiledExpression;
  source: CompiledExpression;
  /** The source side is a plain column (no expression around it), of type sourceType. */
  sourceIsColumn: boolean;
  sourceType: SqlType;
}

/** Conjuncts `target column = source expression` (either order) of the join condition. */
function equiKeys(on: Expr, both: Relation[]): EquiKey[] {
  const out: EquiKey[] = [];
  for (const conj of conjuncts(on)) {
    const nullSafe = nullSafeEquality(conj);
    const c = nullSafe ?? conj;
    if (c.kind !== 'cmp' || c.op !== '=') continue;
    for (const [l, r] of [
      [c.left, c.right],
      [c.right, c.left],
    ] as const) {
      if (l.kind !== 'column') continue;
      const ref = safeResolve(both, l.path);
      if (!ref || ref.relation !== 0) continue;
      if (!onlyRelation(r, both, 1)) continue;
      const sType = compileExpression(r, [both[1]!]).type;
      const common = widerType(ref.type, sType);
      if (!common || typeof common !== 'string' || common === 'void' || common === 'interval' || common === 'binary') continue;
      out.push({
        nullSafe: nullSafe !== null,
        targetPath: ref.path,
        targetType: ref.type,
        target: compileExpression({ kind: 'cast', operand: { kind: 'column', path: ref.path }, to: common as DataType }, [both[0]!]),
        source: compileExpression({ kind: 'cast', operand: r, to: common as DataType }, [both[1]!]),
        sourceIsColumn: r.kind === 'column',
        sourceType: sType,
      });
      break;
    }
  }
  return out;
}

/** The `a = b` of the null-safe equality idiom `a = b OR (a IS NULL AND b IS NULL)` (either order), else null. */
function nullSafeEquality(e: Expr): (Expr & { kind: 'cmp' }) | null {
  if (e.kind !== 'or' || e.children.length !== 2) return null;
  for (const [eq, nulls] of [e.children, [...e.children].reverse()] as Expr[][]) {
    if (eq!.kind !== 'cmp' || eq!.op !== '=' || nulls!.kind !== 'and' || nulls!.children.length !== 2) continue;
    const operands = nulls!.children.map((n) => (n.kind === 'isNull' && !n.negated ? JSON.stringify(n.operand, big) : null));
    const sides = [JSON.stringify(eq!.left, big), JSON.stringify(eq!.right, big)];
    if (operands.includes(null)) continue;
    if ((operands[0] === sides[0] && operands[1] === sides[1]) || (operands[0] === sides[1] && operands[1] === sides[0])) return eq as Expr & { kind: 'cmp' };
  }
  return null;
}

const big = (_k: string, v: unknown): unknown => (typeof v === 'bigint' ? `${v}n` : v);

function safeResolve(scope: Relation[], path: string[]): ReturnType<typeof resolveRef> {
  try {
    return resolveRef(scope, path);
  } catch {
    return null;
  }
}

/** Every column of `e` resolves to relation `rel` (and `e` references at least one column). */
function onlyRelation(e: Expr, scope: Relation[], rel: number): boolean {
  let any = false;
  let ok = true;
  const walk = (x: Expr): void => {
    if (x.kind === 'column') {
      any = true;
      const r = safeResolve(scope, x.path);
      if (!r || r.relation !== rel) ok = false;
      return;
    }
    for (const k of childrenOf(x)) walk(k);
  };
  walk(e);
  return any && ok;
}

/** Hash key of a join value; null never matches. */
function keyOf(v: Value): string | null {
  if (v === null || v === undefined) return null;
  if (typeof v === 'number') return Object.is(v, -0) ? 'n0' : `n${v}`;
  if (typeof v === 'bigint') return `b${v}`;
  if (typeof v === 'string') return `s${v}`;
  if (typeof v === 'boolean') return v ? 'T' : 'F';
  return `j${JSON.stringify(v, (_k, x) => (typeof x === 'bigint' ? `${x}n` : x))}`;
}

/** The source side of the join: the pairs (target row, source row) of a part of the target for which `on` is TRUE. */
interface JoinIndex {
  pairs(tgt: Table): [number[], number[]];
}

/** Top-level columns of relation `rel` (0 target, 1 source) that `e` references. */
function columnsOf(e: Expr, both: Relation[], rel: number): string[] {
  const out = new Set<string>();
  const walk = (x: Expr): void => {
    if (x.kind === 'column') {
      const r = safeResolve(both, x.path);
      if (r && r.relation === rel) out.add(r.path[0]!);
    }
    for (const k of childrenOf(x)) walk(k);
  };
  walk(e);
  return [...out];
}

/**
 * A hash index of the source on the equi keys (numbers in a Map with chained duplicates when there is one numeric key,
 * else composite string keys), probed by parts of the target; each candidate pair is then checked against the whole
 * condition (skipped when the condition is exactly one equality of two columns of one type, which the hash decides).
 */
function joinIndex(src: Table, keys: EquiKey[], onExpr: Expr, on: CompiledExpression, both: Relation[]): JoinIndex {
  const sourceOn = selectColumns(src, columnsOf(onExpr, both, 1));
  const exact =
    keys.length === 1 && conjuncts(onExpr).length === 1 && !keys[0]!.nullSafe && keys[0]!.sourceIsColumn &&
    JSON.stringify(keys[0]!.targetType) === JSON.stringify(keys[0]!.sourceType);
  const check = (ct: number[], cs: number[], tgt: Table): [number[], number[]] => {
    if (!ct.length || exact) return [ct, cs];
    const truth = on.truth(takeRows(tgt, ct), takeRows(sourceOn, cs));
    const outT: number[] = [];
    const outS: number[] = [];
    for (let k = 0; k < truth.length; k++) {
      if (truth[k] === TRUE) {
        outT.push(ct[k]!);
        outS.push(cs[k]!);
      }
    }
    return [outT, outS];
  };
  if (src.numRows === 0) return { pairs: () => [[], []] };
  if (!keys.length) {
    return {
      pairs(tgt) {
        const ct: number[] = [];
        const cs: number[] = [];
        for (let i = 0; i < tgt.numRows; i++) {
          for (let j = 0; j < src.numRows; j++) {
            ct.push(i);
            cs.push(j);
          }
        }
        return check(ct, cs, tgt);
      },
    };
  }
  const sv = keys.length === 1 ? keys[0]!.source.vector(src) : null;
  if (sv && sv.kind === 'num') {
    // One numeric key: first source row per key in a Map, further ones chained in `next`.
    const key = keys[0]!;
    const first = new Map<number, number>();
    const next = new Int32Array(src.numRows).fill(-1);
    const last = new Map<number, number>();
    const nullRows: number[] = [];
    for (let j = 0; j < src.numRows; j++) {
      if (sv.valid && !sv.valid[j]) {
        if (key.nullSafe) nullRows.push(j);
        continue;
      }
      const x = sv.values[j]!;
      const l = last.get(x);
      if (l === undefined) first.set(x, j);
      else next[l] = j;
      last.set(x, j);
    }
    last.clear();
    return {
      pairs(tgt) {
        const ct: number[] = [];
        const cs: number[] = [];
        const tv = key.target.vector(tgt);
        const n = tgt.numRows;
        const probe = (i: number, x: number): void => {
          for (let j = first.get(x) ?? -1; j >= 0; j = next[j]!) {
            ct.push(i);
            cs.push(j);
          }
        };
        const nulls = (i: number): void => {
          for (const j of nullRows) {
            ct.push(i);
            cs.push(j);
          }
        };
        if (tv && tv.kind === 'num') {
          for (let i = 0; i < n; i++) {
            if (tv.valid && !tv.valid[i]) nulls(i);
            else probe(i, tv.values[i]!);
          }
        } else {
          // Target keys beyond +-2^53 equal no source key (every source key is within it).
          const vals = key.target.values(tgt);
          for (let i = 0; i < n; i++) {
            const v = vals[i];
            if (v === null || v === undefined) nulls(i);
            else if (typeof v === 'number') probe(i, v);
            else if (typeof v === 'bigint' && Number.isSafeInteger(Number(v))) probe(i, Number(v));
          }
        }
        return check(ct, cs, tgt);
      },
    };
  }
  const rowKey = (vals: Value[][], i: number): string | null => {
    let s = '';
    for (let c = 0; c < vals.length; c++) {
      const k = keyOf(vals[c]![i]!) ?? (keys[c]!.nullSafe ? 'N' : null);
      if (k === null) return null;
      s += `${k}\u0000`;
    }
    return s;
  };
  const sVals = keys.map((k) => k.source.values(src));
  const index = new Map<string, number[]>();
  for (let j = 0; j < src.numRows; j++) {
    const k = rowKey(sVals, j);
    if (k === null) continue;
    const list = index.get(k);
    if (list) list.push(j);
    else index.set(k, [j]);
  }
  return {
    pairs(tgt) {
      const ct: number[] = [];
      const cs: number[] = [];
      const tVals = keys.map((k) => k.target.values(tgt));
      for (let i = 0; i < tgt.numRows; i++) {
        const k = rowKey(tVals, i);
        if (k === null) continue;
        for (const j of index.get(k) ?? []) {
          ct.push(i);
          cs.push(j);
        }
      }
      return check(ct, cs, tgt);
    },
  };
}

/** The columns `names` of `t` (as spelled in its schema), batches kept. */
function selectColumns(t: Table, names: readonly string[]): Table {
  return names.length ? t.select(names.map((n) => t.schema.fields.find((f) => f.name === n || f.name.toLowerCase() === n.toLowerCase())!.name)) : t;
}

/**
 * A predicate over target columns (unqualified) that every matching target row satisfies: the target-only conjuncts
 * of `on`, and for each join key `col IN (source values)` (or a min..max range when there are many). Null when
 * nothing bounds the target.
 */
function targetPruning(on: Expr, keys: EquiKey[], both: Relation[], src: Table): Expr | null {
  const parts: Expr[] = [];
  for (const c of conjuncts(on)) {
    if (onlyRelation(c, both, 0)) {
      const stripped = unqualify(c, both);
      if (stripped) parts.push(stripped);
    }
  }
  for (const k of keys) {
    const b = keyBounds(k, src);
    if (!b) continue;
    const column: Expr = { kind: 'cast', operand: { kind: 'column', path: k.targetPath }, to: k.source.type as DataType };
    // Pruning judges a plain column; the cast only matters when the types differ.
    const operand: Expr = JSON.stringify(k.source.type) === JSON.stringify(k.targetType) ? { kind: 'column', path: k.targetPath } : column;
    if (b.values.length === 0) parts.push({ kind: 'literal', type: 'boolean', value: false });
    else if (b.values.length <= MAX_IN_LIST) parts.push({ kind: 'in', operand, values: b.values.map((v) => literalFor(v, k.source.type)!) });
    else {
      parts.push({
        kind: 'and',
        children: [
          { kind: 'cmp', op: '>=', left: operand, right: literalFor(b.min, k.source.type)! },
          { kind: 'cmp', op: '<=', left: operand, right: literalFor(b.max, k.source.type)! },
        ],
      });
    }
  }
  if (!parts.length) return null;
  return parts.length === 1 ? parts[0]! : { kind: 'and', children: parts };
}

const MAX_IN_LIST = 1000;

/**
 * The distinct non-null source key values (the first MAX_IN_LIST + 1 of them) and their min and max; null when the
 * key gives no bound (a NULL key under null-safe equality matches NULL targets; a type with no literal here).
 */
function keyBounds(k: EquiKey, src: Table): { values: Value[]; min: Value; max: Value } | null {
  const t = k.source.type;
  if (!['string', 'integer', 'short', 'byte', 'long', 'date', 'boolean'].includes(t as string)) return null;
  const v = k.source.vector(src);
  if (v && v.kind === 'num') {
    const seen = new Set<number>();
    let min = Infinity;
    let max = -Infinity;
    for (let i = 0; i < v.values.length; i++) {
      if (v.valid && !v.valid[i]) {
        if (k.nullSafe) return null;
        continue;
      }
      const x = v.values[i]!;
      if (seen.size <= MAX_IN_LIST) seen.add(x);
      if (x < min) min = x;
      if (x > max) max = x;
    }
    const val = (x: number): Value => (t === 'long' ? BigInt(x) : x);
    return { values: [...seen].map(val), min: val(min), max: val(max) };
  }
  const seen = new Map<string, Value>();
  let min: Value = null;
  let max: Value = null;
  for (const x of k.source.values(src)) {
    if (x === null) {
      if (k.nullSafe) return null;
      continue;
    }
    if (seen.size <= MAX_IN_LIST) seen.set(keyOf(x)!, x);
    if (min === null || compareKeys(x as Key, min as Key) < 0) min = x;
    if (max === null || compareKeys(x as Key, max as Key) > 0) max = x;
  }
  return { values: [...seen.values()], min, max };
}

function literalFor(v: Value, t: unknown): Expr | null {
  if (t === 'string' && typeof v === 'string') return { kind: 'literal', type: 'string', value: v };
  if ((t === 'integer' || t === 'short' || t === 'byte') && typeof v === 'number') return { kind: 'literal', type: 'number', value: v };
  if (t === 'long' && typeof v === 'bigint') return { kind: 'literal', type: 'bigint', value: v };
  if (t === 'date' && typeof v === 'number') return { kind: 'literal', type: 'date', days: v };
  if (t === 'boolean' && typeof v === 'boolean') return { kind: 'literal', type: 'boolean', value: v };
  return null;
}

/** `e` with every (target) column reference unqualified; null when a reference does not resolve in the target. */
function unqualify(e: Expr, both: Relation[]): Expr | null {
  let ok = true;
  const map = (x: Expr): Expr => {
    if (x.kind === 'column') {
      const r = safeResolve(both, x.path);
      if (!r || r.relation !== 0) ok = false;
      return { kind: 'column', path: r ? r.path : x.path };
    }
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(x)) {
      if (Array.isArray(v)) out[k] = v.map((c) => (isExpr(c) ? map(c) : isBranch(c) ? { when: map(c.when), then: map(c.then) } : c));
      else out[k] = isExpr(v) ? map(v) : v;
    }
    return out as unknown as Expr;
  };
  const r = map(e);
  return ok ? r : null;
}

function isExpr(v: unknown): v is Expr {
  return typeof v === 'object' && v !== null && typeof (v as { kind?: unknown }).kind === 'string';
}
function isBranch(v: unknown): v is { when: Expr; then: Expr } {
  return typeof v === 'object' && v !== null && 'when' in v && 'then' in v;
}
