// The expression engine's surface for the rest of deltats (scan, replaceWhere, DML, streaming queries): parse,
// build, print, compile and evaluate expressions; resolve columns. src/index.ts re-exports the public part.
export type { ArithmeticOp, ColumnRef, ComparisonOp, Expr, Literal, Operand } from './ast.js';
export { childrenOf, referencedColumnPaths, referencedColumns } from './ast.js';
export { parseExpression, parsePredicate } from './parse.js';
export { exprToString, literalToString } from './print.js';
export type { ExprInput, ExprNode, ColumnBuilder } from './builder.js';
export { ExprBuilder, CaseBuilder, and, call, col, dateLit, fn, interval, lit, not, or, timestampLit, when } from './builder.js';
export type { LiteralValue } from './literals.js';
export { literalType } from './literals.js';
export type { Relation, ResolvedColumn, ResolvedRef } from './resolve.js';
export { fieldByName, resolveColumn, resolveRef } from './resolve.js';
export type { Compiled, Input, Scope } from './compiled.js';
export type { SqlType } from './types.js';
export type { NumVec, TruthVec, Vec } from './vectors.js';
export { widerType } from './types.js';
export type { ScopeInput } from './evaluate.js';
export {
  CompiledExpression,
  tableInput,
  compileExpression,
  compilePredicate,
  evaluateMask,
  evaluateTruth,
  filterBatch,
  readColumn,
  validateExpr,
} from './evaluate.js';
export type { CoercedLiteral, Truth } from './literal_keys.js';
export { FALSE, NULL, TRUE, and3, coerceLiteral, compareWithLiteral, flipOp, inList, not3, or3 } from './literal_keys.js';
// Comparison keys by Delta type (pruning and stats compare with these)
export type { Domain, Key, Rational } from './typed_values.js';
export { compareKeys, compareStrings, domainOf, numberToRational, parseDecimalText, parseNonFiniteText, parseTimestampText, rescale } from './typed_values.js';
