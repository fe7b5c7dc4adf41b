// A value assigned to a table column by UPDATE SET, MERGE update/insert: the expression compiled against its scope
// and converted to the column's type by Spark's store-assignment rule (ANSI), or a typed error naming the column.
import { Table } from 'apache-arrow';
import { ExpressionError } from '../../errors.js';
import { compileExpression, fieldByName, parseExpression, type CompiledExpression, type Expr, type ScopeInput } from '../../expr/index.js';
import { toArrowSchema } from '../../schema/arrow.js';
import { conformToSchema } from '../../schema/enforce.js';
import { typeToString } from '../../schema/json.js';
import type { StructField, StructType } from '../../schema/types.js';
import { tableFromData } from '../../schema/vectors.js';

const NUMERIC = /^(byte|short|integer|long|float|double|decimal\(\d+,\s*\d+\))$/;
const DATETIME = new Set(['date', 'timestamp', 'timestamp_ntz']);

function storeAssignable(from: unknown, to: unknown): boolean {
  if (from === 'void') return true;
  if (typeof from !== 'string' || typeof to !== 'string') return JSON.stringify(from) === JSON.stringify(to);
  if (from === to) return true;
  if (NUMERIC.test(from) && NUMERIC.test(to)) return true; // overflow is an ArithmeticOverflowError at run time
  if (DATETIME.has(from) && DATETIME.has(to)) return true;
  return to === 'string' && from !== 'binary' && from !== 'interval';
}

/**
 * Compile `expr` as the new value of column `field` (Spark's ANSI store assignment: the same type, NULL, numeric to
 * numeric with overflow an error, date/timestamp to each other, any atomic type to string; nothing else).
 */
export function compileAssignment(expr: Expr | string, field: StructField, scope: ScopeInput, what: string): CompiledExpression {
  const e = typeof expr === 'string' ? parseExpression(expr) : expr;
  const c = compileExpression(e, scope);
  if (JSON.stringify(c.type) === JSON.stringify(field.type)) return c;
  if (!storeAssignable(c.type, field.type)) {
    const shown = typeof c.type === 'string' ? c.type : typeToString(c.type);
    throw new ExpressionError(
      `${what}: cannot assign a value of type ${shown} to column '${field.name}' of type ${typeToString(field.type)}`,
    );
  }
  return compileExpression({ kind: 'cast', operand: e, to: field.type }, scope);
}

/** The table column a SET / INSERT key names (exact, then case-insensitive); nested fields are not assignable. */
export function targetField(schema: StructType, name: string, what: string): StructField {
  const f = fieldByName(schema, name);
  if (!f) {
    throw new ExpressionError(
      `${what}: unknown column '${name}' (table columns: ${schema.fields.map((x) => x.name).join(', ')})`,
    );
  }
  return f;
}

/** A column's own value, unchanged (relation `qualifier` when the scope has named relations). */
export function keepColumn(field: StructField, scope: ScopeInput, qualifier?: string): CompiledExpression {
  return compileExpression({ kind: 'column', path: qualifier ? [qualifier, field.name] : [field.name] }, scope);
}

/**
 * Rows of the table schema, one per row of `inputs` (aligned tables, one per relation of the scope), column i being
 * `columns[i]` evaluated over them; checked like any write (types, NOT NULL) by conformToSchema.
 */
export function buildRows(schema: StructType, columns: readonly CompiledExpression[], inputs: readonly Table[]): Table {
  const arrowSchema = toArrowSchema(schema);
  const n = inputs[0]?.numRows ?? 0;
  if (n === 0) return new Table(arrowSchema);
  const data = columns.map((c) => c.toArrow(...inputs));
  return conformToSchema(tableFromData(schema.fields.map((f) => f.name), data, arrowSchema), schema).table;
}
