// A micro-batch as typed value columns (the rows a streaming query's stages pass along), read once from Arrow
// (sliced, multi-chunk) and turned back into an Arrow table for the sink. Also compiles expressions over a frame.
import * as arrow from 'apache-arrow';
import { ExpressionError } from '../../errors.js';
import type { Expr } from '../../expr/ast.js';
import { compileNode } from '../../expr/compile.js';
import type { Compiled } from '../../expr/compiled.js';
import { readColumn } from '../../expr/evaluate.js';
import { parseExpression } from '../../expr/parse.js';
import { typeName } from '../../expr/types.js';
import type { Value } from '../../schema/access/get.js';
import { toArrowSchema } from '../../schema/arrow.js';
import type { DataType, StructType } from '../../schema/types.js';
import { buildData, tableFromData } from '../../schema/vectors.js';

/** Rows of one batch, column by column; values are normalized as schema/access/get.ts describes. */
export interface Frame {
  schema: StructType;
  numRows: number;
  columns: Value[][];
}

/** Read every column of `table` (any batch layout, sliced or not) as `schema`'s types. */
export function frameOf(table: arrow.Table, schema: StructType): Frame {
  const columns: Value[][] = schema.fields.map(() => []);
  for (const batch of table.batches) {
    if (batch.numRows === 0) continue;
    schema.fields.forEach((f, i) => {
      const vals = readColumn(batch, { path: [f.name], type: f.type });
      const col = columns[i]!;
      for (let k = 0; k < vals.length; k++) col.push(vals[k]!);
    });
  }
  return { schema, numRows: table.numRows, columns };
}

export function frameToArrow(f: Frame): arrow.Table {
  const data = f.schema.fields.map((fd, i) => buildData(f.columns[i]!, fd.type));
  return tableFromData(
    f.schema.fields.map((x) => x.name),
    data,
    toArrowSchema(f.schema),
  );
}

/** The rows where mask[i] is 1. */
export function filterFrame(f: Frame, mask: Uint8Array): Frame {
  const idx: number[] = [];
  for (let i = 0; i < f.numRows; i++) if (mask[i]) idx.push(i);
  return { schema: f.schema, numRows: idx.length, columns: f.columns.map((c) => idx.map((i) => c[i]!)) };
}

/** An expression compiled against a frame's schema, evaluated over frames of that schema. */
export interface FrameExpr {
  expr: Expr;
  type: DataType;
  evaluate(f: Frame): Value[];
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
  return {
    expr,
    type: c.type as DataType,
    evaluate(f: Frame): Value[] {
      if (f.numRows === 0) return [];
      return c.evaluate({
        numRows: f.numRows,
        column(ref) {
          const base = f.columns[top.get(ref.path[0]!)!]!;
          if (ref.path.length === 1) return base;
          return base.map((v) => {
            let cur: Value = v;
            for (let k = 1; k < ref.path.length && cur !== null; k++) cur = (cur as { [k: string]: Value })[ref.path[k]!] ?? null;
            return cur;
          });
        },
      });
    },
  };
}
