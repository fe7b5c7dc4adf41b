// A micro-batch as columns (the rows a streaming query's stages pass along): read lazily from Arrow (sliced,
// multi-chunk), so that a column no stage touches is never turned into values, and turned back into an Arrow table
// for the sink. Also compiles expressions over a frame.
import * as arrow from 'apache-arrow';
import { ExpressionError } from '../../errors.js';
import type { Expr } from '../../expr/ast.js';
import { compileNode } from '../../expr/compile.js';
import type { Compiled, Input } from '../../expr/compiled.js';
import { readColumn } from '../../expr/evaluate.js';
import { parseExpression } from '../../expr/parse.js';
import { fieldByName } from '../../expr/resolve.js';
import { typeName } from '../../expr/types.js';
import { type Vec, vectorOf, vectorValues } from '../../expr/vectors.js';
import type { Value } from '../../schema/access/get.js';
import { takeRows } from '../../schema/access/take.js';
import { toArrowSchema } from '../../schema/arrow.js';
import type { DataType, StructType } from '../../schema/types.js';
import { buildData, tableFromData } from '../../schema/vectors.js';

/** A column of a frame: its values, or the Arrow chunks it was read from (values made on first use). */
interface ArrowSlot {
  batches: readonly arrow.RecordBatch[];
  name: string;
  type: DataType;
  chunks?: arrow.Data[];
  /** The column's vector (expr/vectors.ts), null when it has none. */
  vec?: Vec | null;
  values?: Value[];
}
/** A column computed column-at-a-time by a stage: its vector, values made on first use. */
interface VectorSlot {
  vec: Vec;
  type: DataType;
  values?: Value[];
}
type Slot = { values: Value[] } | ArrowSlot | VectorSlot;

/** Rows of one batch, column by column; values are normalized as schema/access/get.ts describes. */
export class Frame {
  private constructor(
    readonly schema: StructType,
    readonly numRows: number,
    private readonly slots: Slot[],
  ) {}

  /** A frame of value columns (one per field of `schema`). */
  static of(schema: StructType, numRows: number, columns: Value[][]): Frame {
    return new Frame(schema, numRows, columns.map((values) => ({ values })));
  }

  /** Every column of `table` (any batch layout, sliced or not) as `schema`'s types, read when first used. */
  static fromArrow(table: arrow.Table, schema: StructType): Frame {
    const batches = table.batches.filter((b) => b.numRows > 0);
    return new Frame(schema, table.numRows, schema.fields.map((f) => ({ batches, name: f.name, type: f.type })));
  }

  /** Every column's values. */
  get columns(): Value[][] {
    return (this.all ??= this.slots.map((_s, i) => this.column(i)));
  }

  private all: Value[][] | undefined;

  /** Column `i`'s values (read from Arrow on first use). */
  column(i: number): Value[] {
    const s = this.slots[i]!;
    if (s.values) return s.values;
    if ('vec' in s && s.vec && !('batches' in s)) return (s.values = vectorValues(s.vec, s.type));
    const a = s as ArrowSlot;
    const out: Value[] = [];
    for (const b of a.batches) {
      const vals = readColumn(b, { path: [a.name], type: a.type });
      for (let k = 0; k < vals.length; k++) out.push(vals[k]!);
    }
    s.values = out;
    return out;
  }

  /**
   * Column `i` as Arrow data, one chunk per batch, when no stage changed it since it was read (undefined otherwise):
   * the columnar fold reads typed arrays from it instead of values.
   */
  chunks(i: number): readonly arrow.Data[] | undefined {
    const s = this.slots[i]!;
    if (!('batches' in s)) return undefined;
    if (!s.chunks) {
      const chunks: arrow.Data[] = [];
      for (const b of s.batches) {
        const at = childIndex(b.schema.fields, s.name);
        if (at < 0) return undefined; // column() reports the missing column
        chunks.push(b.data.children[at]!);
      }
      s.chunks = chunks;
    }
    return s.chunks;
  }

  /** Column `i` as a vector (numbers or truths without a value per row), null when it has none. */
  vector(i: number): Vec | null {
    const s = this.slots[i]!;
    if ('vec' in s && s.vec !== undefined) return s.vec;
    if (!('batches' in s)) return null;
    const chunks = this.chunks(i);
    return (s.vec = chunks ? vectorOf(chunks, s.type) : null);
  }

  /**
   * The rows where mask[i] is 1, each column kept in its form: Arrow columns gathered as Arrow data (once per set of
   * batches), vectors as typed arrays, values as values.
   */
  filter(mask: Uint8Array): Frame {
    let n = 0;
    for (let i = 0; i < this.numRows; i++) n += mask[i]! ? 1 : 0;
    if (n === this.numRows) return this;
    const idx = new Int32Array(n);
    for (let i = 0, j = 0; i < this.numRows; i++) if (mask[i]) idx[j++] = i;
    const gathered = new Map<readonly arrow.RecordBatch[], arrow.RecordBatch[]>();
    const slots = this.slots.map((s): Slot => {
      if ('batches' in s) {
        let batches = gathered.get(s.batches);
        if (!batches) {
          batches = takeRows(new arrow.Table(s.batches as arrow.RecordBatch[]), idx).batches.filter((b) => b.numRows > 0);
          gathered.set(s.batches, batches);
        }
        return { batches, name: s.name, type: s.type };
      }
      if ('vec' in s) return { vec: takeVector(s.vec, idx), type: s.type };
      return { values: Array.from(idx, (i) => s.values[i]!) };
    });
    return new Frame(this.schema, n, slots);
  }

  /** This frame with other fields: each column is one of this frame's (by index), new values or a vector. */
  derive(schema: StructType, columns: (number | Value[] | Vec)[]): Frame {
    return new Frame(
      schema,
      this.numRows,
      columns.map((c, k) => (typeof c === 'number' ? this.slots[c]! : Array.isArray(c) ? { values: c } : { vec: c, type: schema.fields[k]!.type })),
    );
  }
}

function takeVector(v: Vec, idx: Int32Array): Vec {
  if (v.kind === 'truth') return { kind: 'truth', values: Uint8Array.from(idx, (i) => v.values[i]!) };
  const valid = v.valid;
  return { kind: 'num', values: Float64Array.from(idx, (i) => v.values[i]!), valid: valid ? Uint8Array.from(idx, (i) => valid[i]!) : null };
}

function childIndex(fields: readonly arrow.Field[], name: string): number {
  const i = fields.findIndex((f) => f.name === name);
  if (i >= 0) return i;
  const l = name.toLowerCase();
  return fields.findIndex((f) => f.name.toLowerCase() === l);
}

/** Every column of `table` (any batch layout, sliced or not) as `schema`'s types. */
export function frameOf(table: arrow.Table, schema: StructType): Frame {
  return Frame.fromArrow(table, schema);
}

export function frameToArrow(f: Frame): arrow.Table {
  const data = f.schema.fields.map((fd, i) => buildData(f.column(i), fd.type));
  return tableFromData(
    f.schema.fields.map((x) => x.name),
    data,
    toArrowSchema(f.schema),
  );
}

/** The rows where mask[i] is 1. */
export function filterFrame(f: Frame, mask: Uint8Array): Frame {
  return f.filter(mask);
}

/** An expression compiled against a frame's schema, evaluated over frames of that schema. */
export interface FrameExpr {
  expr: Expr;
  type: DataType;
  /** The frame column the expression is, when it is a plain top-level column reference. */
  columnIndex?: number;
  evaluate(f: Frame): Value[];
  /** Column-at-a-time result (expr/vectors.ts) when the expression and this frame's columns have one, else null. */
  vector(f: Frame): Vec | null;
}

export function toExpr(e: Expr | string): Expr {
  return typeof e === 'string' ? parseExpression(e) : e;
}

/** Compile `e` over `schema`: unknown columns and type errors surface here, before the query starts. */
export function compileOver(e: Expr | string, schema: StructType, what: string): FrameExpr {
  const expr = toExpr(e);
  let c: Compiled;
  try {
    c = compileNode(expr, { relations: [{ schema }] });
  } catch (err) {
    if (err instanceof ExpressionError) throw new ExpressionError(`${what}: ${err.message}`, err.expression, err.position);
    throw err;
  }
  if (c.type === 'void' || c.type === 'interval') throw new ExpressionError(`${what}: an expression of type ${typeName(c.type)} cannot be a column`);
  const top = new Map(schema.fields.map((fd, i) => [fd.name, i]));
  const plain = expr.kind === 'column' && expr.path.length === 1 ? fieldByName(schema, expr.path[0]!) : undefined;
  const columnIndex = plain && plain.type === c.type ? schema.fields.indexOf(plain) : undefined;
  const input = (f: Frame): Input => ({
    numRows: f.numRows,
    column(ref) {
      const base = f.column(top.get(ref.path[0]!)!);
      if (ref.path.length === 1) return base;
      return base.map((v) => {
        let cur: Value = v;
        for (let k = 1; k < ref.path.length && cur !== null; k++) cur = (cur as { [k: string]: Value })[ref.path[k]!] ?? null;
        return cur;
      });
    },
    vector: (ref) => (ref.path.length === 1 ? f.vector(top.get(ref.path[0]!)!) : null),
  });
  return {
    expr,
    type: c.type as DataType,
    columnIndex,
    evaluate(f: Frame): Value[] {
      if (f.numRows === 0) return [];
      if (columnIndex !== undefined) return f.column(columnIndex);
      const v = c.vector?.(input(f));
      return v ? vectorValues(v, c.type) : c.evaluate(input(f));
    },
    vector(f: Frame): Vec | null {
      if (columnIndex !== undefined) return f.vector(columnIndex);
      return f.numRows === 0 ? null : (c.vector?.(input(f)) ?? null);
    },
  };
}
