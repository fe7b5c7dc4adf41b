// Evaluating expressions over Arrow data: compile against a schema (or named relations), read the referenced
// columns of each batch through the value-access layer (sliced, chunked, nested, case-insensitive), and produce
// values, a three-valued truth per row, a keep-mask, filtered rows, or an Arrow column. No I/O.
import * as arrow from 'apache-arrow';
import { ExpressionError } from '../errors.js';
import { readValues, type Value } from '../schema/access/get.js';
import { filterRows } from '../schema/access/take.js';
import { pathValidityOf } from '../schema/access/validity.js';
import type { DataType, StructType } from '../schema/types.js';
import { buildData } from '../schema/vectors.js';
import type { Expr } from './ast.js';
import { compileNode, errorAt } from './compile.js';
import { FALSE, NULL, TRUE } from './literal_keys.js';
import type { Compiled, Input, Scope } from './compiled.js';
import { parseExpression, parsePredicate } from './parse.js';
import { type Relation, type ResolvedRef, resolveRef } from './resolve.js';
import { toArrowType } from '../schema/arrow.js';
import { typeName, type SqlType } from './types.js';
import { type Vec, vectorOf, vectorToData, vectorValues } from './vectors.js';

/** What an expression is compiled against: one table schema, or named relations (`t`, `s`) of a join / merge. */
export type ScopeInput = StructType | readonly Relation[] | Scope;

function scopeOf(s: ScopeInput): Scope {
  if (Array.isArray(s)) return { relations: s as readonly Relation[] };
  if ((s as StructType).type === 'struct') return { relations: [{ schema: s as StructType }] };
  return s as Scope;
}

/** An expression compiled against a scope, ready to evaluate batch by batch. */
export class CompiledExpression {
  readonly type: SqlType;
  constructor(
    readonly expr: Expr,
    readonly scope: Scope,
    private readonly compiled: Compiled,
  ) {
    this.type = compiled.type;
  }

  /** Values for every row of `data` (one RecordBatch / Table per relation of the scope, in order). */
  values(...data: (arrow.Table | arrow.RecordBatch)[]): Value[] {
    const v = this.evaluate(data);
    return Array.isArray(v) ? v : vectorValues(v, this.type);
  }

  /**
   * The result over `data`: one vector when the expression has a vector form for this input (column-at-a-time over
   * the Arrow buffers, see vectors.ts), else the row engine's values.
   */
  private evaluate(data: (arrow.Table | arrow.RecordBatch)[]): Value[] | Vec {
    if (data.length !== this.scope.relations.length) {
      throw new ExpressionError(`expected ${this.scope.relations.length} input(s), one per relation, got ${data.length}`);
    }
    const tables = data.map((d) => (d instanceof arrow.Table ? d : new arrow.Table([d])));
    const n = tables[0]!.numRows;
    if (tables.some((t) => t.numRows !== n)) throw new ExpressionError('inputs of the relations must have the same number of rows');
    if (n === 0) return [];
    // Rows align across the tables (several relations), whatever their batch boundaries; a vector reads across them.
    const input = tableInput(tables);
    const v = this.compiled.vector?.(input);
    if (v) return v;
    if (tables.length > 1) return this.compiled.evaluate(input);
    const out: Value[] = [];
    for (const batch of tables[0]!.batches) {
      if (batch.numRows === 0) continue;
      for (const x of this.compiled.evaluate(tableInput([new arrow.Table([batch])]))) out.push(x);
    }
    return out;
  }

  /** The result as one vector (vectors.ts), or null when this input needs the row engine (then use `values`). */
  vector(...data: (arrow.Table | arrow.RecordBatch)[]): Vec | null {
    const v = this.evaluate(data);
    return Array.isArray(v) ? null : v;
  }

  /** The result as an Arrow column of the expression's Delta type. */
  toArrow(...data: (arrow.Table | arrow.RecordBatch)[]): arrow.Data {
    const t = this.type;
    if (typeof t === 'string' && (t === 'void' || t === 'interval')) {
      throw new ExpressionError(`an expression of type ${typeName(t)} cannot be stored as a column: ${this.expr.kind}`);
    }
    const same = this.sameColumn(data);
    if (same) return same;
    const v = this.evaluate(data);
    if (!Array.isArray(v)) {
      const d = vectorToData(v, t as DataType);
      if (d) return d;
    }
    return buildData(Array.isArray(v) ? v : vectorValues(v, t), t as DataType);
  }

  /**
   * A plain top-level column of a primitive type whose input is one chunk already in its canonical Arrow type: that
   * chunk itself (no copy); null otherwise.
   */
  private sameColumn(data: (arrow.Table | arrow.RecordBatch)[]): arrow.Data | null {
    const t = this.type;
    if (this.expr.kind !== 'column' || typeof t !== 'string' || t === 'void' || t === 'interval') return null;
    if (data.length !== this.scope.relations.length) return null;
    const ref = resolveRef(this.scope.relations, this.expr.path);
    if (!ref || ref.path.length !== 1) return null;
    if (data.some((x) => x.numRows !== data[0]!.numRows)) return null;
    const d = data[ref.relation]!;
    const batches = d instanceof arrow.Table ? d.batches : [d];
    if (batches.length !== 1) return null;
    const idx = findChild(batches[0]!.schema.fields, ref.path[0]!);
    const child = idx < 0 ? undefined : batches[0]!.data.children[idx];
    return child && String(child.type) === String(toArrowType(t as DataType)) ? child : null;
  }

  /** Keep-mask of a predicate: 1 where TRUE, 0 where FALSE or NULL (SQL WHERE semantics). */
  mask(data: arrow.Table | arrow.RecordBatch): Uint8Array {
    const t = this.truth(data);
    for (let i = 0; i < t.length; i++) t[i] = t[i] === TRUE ? 1 : 0;
    return t;
  }

  /** The rows of `data` for which the predicate is TRUE. */
  filter(data: arrow.Table | arrow.RecordBatch): arrow.Table {
    return filterRows(data, this.mask(data));
  }

  /** Three-valued truth per row (0 = FALSE, 1 = TRUE, 2 = NULL); the expression must be boolean. */
  truth(...data: (arrow.Table | arrow.RecordBatch)[]): Uint8Array {
    const r = this.evaluate(data);
    if (!Array.isArray(r)) {
      if (r.kind === 'truth') return r.values;
      throw new ExpressionError(`truth of a ${typeName(this.type)} expression`);
    }
    const v = r;
    const out = new Uint8Array(v.length);
    for (let i = 0; i < v.length; i++) out[i] = v[i] === true ? TRUE : v[i] === false ? FALSE : NULL;
    return out;
  }
}

/** Compile an expression (AST or SQL text) against a schema or relations; throws ExpressionError when invalid. */
export function compileExpression(expr: Expr | string, scope: ScopeInput): CompiledExpression {
  const e = typeof expr === 'string' ? parseExpression(expr) : expr;
  const s = scopeOf(scope);
  return new CompiledExpression(e, s, compileNode(e, s));
}

/** Compile a predicate: like compileExpression, and the result must be boolean. */
export function compilePredicate(expr: Expr | string, scope: ScopeInput): CompiledExpression {
  const e = typeof expr === 'string' ? parsePredicate(expr) : expr;
  const c = compileExpression(e, scope);
  if (c.type !== 'boolean' && c.type !== 'void') throw errorAt(e, `a predicate must be boolean, but this expression is ${typeName(c.type)}`);
  return c;
}

/** Check that `expr` is a valid predicate over `schema` (columns exist, types compare); throws ExpressionError. */
export function validateExpr(expr: Expr, schema: StructType): void {
  compilePredicate(expr, schema);
}

function findChild(fields: readonly arrow.Field[], name: string): number {
  let i = fields.findIndex((f) => f.name === name);
  if (i < 0) {
    const l = name.toLowerCase();
    i = fields.findIndex((f) => f.name.toLowerCase() === l);
  }
  return i;
}

/** Values of a resolved (nested) column of one batch; rows under a null struct ancestor are null. */
export function readColumn(batch: arrow.RecordBatch, ref: { path: readonly string[]; type: DataType }): Value[] {
  const name = ref.path.join('.');
  let data = batch.data as arrow.Data;
  let fields = batch.schema.fields;
  const ancestors: arrow.Data[] = [];
  for (let k = 0; k < ref.path.length; k++) {
    const idx = findChild(fields, ref.path[k]!);
    if (idx < 0) throw new ExpressionError(`column '${name}' is not in the data (missing '${ref.path[k]}')`);
    if (k > 0) ancestors.push(data);
    data = data.children[idx]!;
    const f = fields[idx]!;
    if (k < ref.path.length - 1) {
      if (f.type.typeId !== arrow.Type.Struct) throw new ExpressionError(`column '${name}': '${ref.path[k]}' is not a struct`);
      fields = (f.type as arrow.Struct).children;
    }
  }
  const values = readValues(data, ref.type, { loss: 'truncate', path: name });
  if (ancestors.length) {
    const valid = pathValidityOf(ancestors, data);
    for (let i = 0; i < values.length; i++) if (!valid(i)) values[i] = null;
  }
  return values;
}

/** An Input over whole tables (one per relation, aligned row for row), reading each column across its batches. */
export function tableInput(tables: readonly arrow.Table[]): Input {
  const cache = new Map<string, Value[]>();
  const vectors = new Map<string, Vec | null>();
  return {
    numRows: tables[0]!.numRows,
    column(ref: ResolvedRef) {
      const key = `${ref.relation}\u0000${ref.path.join('\u0000')}`;
      let v = cache.get(key);
      if (!v) {
        v = tables[ref.relation]!.batches.flatMap((b) => readColumn(b, ref));
        cache.set(key, v);
      }
      return v;
    },
    vector(ref: ResolvedRef) {
      // Top-level columns only (a nested one is null under a null parent: the row engine reads those).
      if (ref.path.length !== 1) return null;
      const key = `${ref.relation}\u0000${ref.path[0]}`;
      let v = vectors.get(key);
      if (v === undefined) {
        const chunks: arrow.Data[] = [];
        for (const b of tables[ref.relation]!.batches) {
          if (b.numRows === 0) continue;
          const idx = findChild(b.schema.fields, ref.path[0]!);
          if (idx < 0) throw new ExpressionError(`column '${ref.path[0]}' is not in the data (missing '${ref.path[0]}')`);
          chunks.push(b.data.children[idx]!);
        }
        v = vectorOf(chunks, ref.type);
        vectors.set(key, v);
      }
      return v;
    },
  };
}

/**
 * Per-row three-valued result of predicate `expr` (0 = FALSE, 1 = TRUE, 2 = NULL). Columns are looked up by the
 * logical names of `schema` (exact, then case-insensitive); `schema` gives each column's Delta type.
 */
export function evaluateTruth(data: arrow.Table | arrow.RecordBatch, expr: Expr, schema: StructType): Uint8Array {
  return compilePredicate(expr, schema).truth(data);
}

/** Keep-mask: 1 where `expr` is TRUE, 0 where it is FALSE or NULL (SQL WHERE semantics). */
export function evaluateMask(data: arrow.Table | arrow.RecordBatch, expr: Expr, schema: StructType): Uint8Array {
  return compilePredicate(expr, schema).mask(data);
}

/** The rows for which `expr` is TRUE. */
export function filterBatch(data: arrow.Table | arrow.RecordBatch, expr: Expr, schema: StructType): arrow.Table {
  return compilePredicate(expr, schema).filter(data);
}
