// The shapes of a compiled expression: what it reads (Input), what it yields (typed Value columns), and the scope
// it was compiled in. Shared by the compiler and the function library; no logic here.
import type { ExpressionError } from '../errors.js';
import type { Value } from '../schema/access/get.js';
import type { Expr } from './ast.js';
import type { Relation, ResolvedRef } from './resolve.js';
import type { Key } from './typed_values.js';
import type { SqlType } from './types.js';
import type { Vec } from './vectors.js';

/** Rows of one batch as the compiled expression sees them. */
export interface Input {
  numRows: number;
  /** Values of a resolved column (of `ref.relation`) for every row of the batch. */
  column(ref: ResolvedRef): Value[];
  /** The column as a vector (vectors.ts), or null when it has none (then `column` is read). */
  vector?(ref: ResolvedRef): Vec | null;
}

export interface Compiled {
  type: SqlType;
  /** Present when the value does not depend on the row (literals and expressions of literals). */
  constant?: { value: Value };
  evaluate(input: Input): Value[];
  /**
   * Column-at-a-time evaluation (present when the node and its inputs have vector forms): the same results as
   * `evaluate`, or null when this batch needs the row engine (a column without a vector, a value beyond +-2^53,
   * a row that would raise an error).
   */
  vector?(input: Input): Vec | null;
}

export interface Scope {
  relations: readonly Relation[];
  /** CURRENT_TIMESTAMP in microseconds since the epoch (default: the time of compilation, one value per query). */
  now?: bigint;
}

/** Both sides of a comparison, converted to comparison keys of one domain. */
export interface Comparison {
  left: Compiled;
  right: Compiled;
  lkey: (v: Value) => Key;
  rkey: (v: Value) => Key;
  /** A side is the NULL literal: every comparison is NULL. */
  void: boolean;
  /** The key domain (equal domains compare keys directly). */
  domain: string;
}

/** Compiler helpers the function library uses (passed in, so that functions.ts does not import the compiler). */
export interface CompileHelpers {
  castTo(c: Compiled, to: SqlType, e: Expr): Compiled;
  errorAt(e: Expr, message: string, Err?: typeof ExpressionError): ExpressionError;
  describe(e: Expr): string;
  comparison(l: Expr, r: Expr): Comparison;
  commonTypeOf(parts: readonly { e: Expr; c: Compiled }[], what: string, where: Expr): SqlType;
}
