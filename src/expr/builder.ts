// The typed builder: `col('a').add(1).gt(5)`, `when(col('x').gt(0), 'pos').otherwise('neg')`, `lit(3)`, `fn.abs(..)`.
// Every builder value is itself an AST node (own fields = the node), with chaining methods on its prototype.
import { InvalidArgumentError } from '../errors.js';
import type { DataType } from '../schema/types.js';
import type { ArithmeticOp, ColumnRef, ComparisonOp, Expr, Literal } from './ast.js';
import { dateLiteral, interval as intervalLit, isLiteral, literalOf, timestampLiteral, type LiteralValue } from './literals.js';

/** Anything the builder accepts where an expression goes: an expression (built or parsed) or a JS value. */
export type ExprInput = Expr | LiteralValue;

function isExpr(v: unknown): v is Expr {
  return v !== null && typeof v === 'object' && !(v instanceof Date) && !(v instanceof Uint8Array) && typeof (v as { kind?: unknown }).kind === 'string';
}

function toExpr(v: ExprInput): Expr {
  return isExpr(v) ? v : literalOf(v as LiteralValue);
}

/** Methods every built expression has; the node's fields are its own properties. */
export class ExprBuilder {
  private cmp(op: ComparisonOp, v: ExprInput): ExprNode {
    return node({ kind: 'cmp', op, left: this.self(), right: toExpr(v) });
  }
  private arith(op: ArithmeticOp, v: ExprInput): ExprNode {
    return node({ kind: 'arith', op, left: this.self(), right: toExpr(v) });
  }
  private self(): Expr {
    return this as unknown as Expr;
  }
  eq(v: ExprInput): ExprNode {
    return this.cmp('=', v);
  }
  ne(v: ExprInput): ExprNode {
    return this.cmp('!=', v);
  }
  lt(v: ExprInput): ExprNode {
    return this.cmp('<', v);
  }
  lte(v: ExprInput): ExprNode {
    return this.cmp('<=', v);
  }
  gt(v: ExprInput): ExprNode {
    return this.cmp('>', v);
  }
  gte(v: ExprInput): ExprNode {
    return this.cmp('>=', v);
  }
  in(values: readonly ExprInput[]): ExprNode {
    if (values.length === 0) throw new InvalidArgumentError(`IN list is empty`);
    return node({ kind: 'in', operand: this.self(), values: values.map(toExpr) });
  }
  notIn(values: readonly ExprInput[]): ExprNode {
    return not(this.in(values));
  }
  between(lo: ExprInput, hi: ExprInput): ExprNode {
    return and(this.gte(lo), this.lte(hi));
  }
  isNull(): ExprNode {
    return node({ kind: 'isNull', operand: this.self(), negated: false });
  }
  isNotNull(): ExprNode {
    return node({ kind: 'isNull', operand: this.self(), negated: true });
  }
  like(pattern: ExprInput): ExprNode {
    return node({ kind: 'like', operand: this.self(), pattern: toExpr(pattern) });
  }
  add(v: ExprInput): ExprNode {
    return this.arith('+', v);
  }
  sub(v: ExprInput): ExprNode {
    return this.arith('-', v);
  }
  mul(v: ExprInput): ExprNode {
    return this.arith('*', v);
  }
  div(v: ExprInput): ExprNode {
    return this.arith('/', v);
  }
  mod(v: ExprInput): ExprNode {
    return this.arith('%', v);
  }
  neg(): ExprNode {
    return node({ kind: 'neg', operand: this.self() });
  }
  concat(v: ExprInput): ExprNode {
    return node({ kind: 'concat', left: this.self(), right: toExpr(v) });
  }
  cast(to: DataType): ExprNode {
    return node({ kind: 'cast', operand: this.self(), to });
  }
  and(...others: ExprInput[]): ExprNode {
    return and(this.self(), ...others.map(toExpr));
  }
  or(...others: ExprInput[]): ExprNode {
    return or(this.self(), ...others.map(toExpr));
  }
  not(): ExprNode {
    return not(this.self());
  }
}

export type ExprNode = Expr & ExprBuilder;
export type ColumnBuilder = ColumnRef & ExprBuilder;

/** Give an AST node the builder methods (the node's fields stay its own, so it still equals a plain node). */
export function node<E extends Expr>(e: E): E & ExprBuilder {
  if (e instanceof ExprBuilder) return e as E & ExprBuilder;
  return Object.assign(Object.create(ExprBuilder.prototype) as ExprBuilder, e);
}

/** `col('a')`, `col('a.b')` (dotted = nested struct field, or relation.column), or `col(['weird.name'])`. */
export function col(name: string | readonly string[]): ColumnBuilder {
  const path = typeof name === 'string' ? name.split('.') : [...name];
  if (path.length === 0 || path.some((p) => p.length === 0)) throw new InvalidArgumentError(`invalid column name '${path.join('.')}'`);
  return node({ kind: 'column', path });
}

/** A literal: `lit(1)`, `lit('x')`, `lit(null)`, `lit(new Date(...))`, `lit(10n)`. */
export function lit(v: LiteralValue | Literal): Literal & ExprBuilder {
  return node(isLiteral(v) ? v : literalOf(v));
}

/** A DATE literal from `YYYY-MM-DD`. */
export function dateLit(text: string): Literal & ExprBuilder {
  return node(dateLiteral(text));
}

/** A TIMESTAMP literal from text (`YYYY-MM-DD HH:MM:SS[.ffffff]`, ISO-8601; no zone = UTC) or microseconds. */
export function timestampLit(v: string | bigint): Literal & ExprBuilder {
  return node(timestampLiteral(v));
}

/** An interval literal: `interval(5, 'minute')` is `INTERVAL '5' MINUTE`. */
export function interval(n: number | bigint, unit: string): Literal & ExprBuilder {
  return node(intervalLit(n, unit));
}

export function and(...children: ExprInput[]): ExprNode {
  if (children.length === 0) throw new InvalidArgumentError('and() needs at least one expression');
  if (children.length === 1) return node(toExpr(children[0]!));
  return node({ kind: 'and', children: children.map(toExpr) });
}

export function or(...children: ExprInput[]): ExprNode {
  if (children.length === 0) throw new InvalidArgumentError('or() needs at least one expression');
  if (children.length === 1) return node(toExpr(children[0]!));
  return node({ kind: 'or', children: children.map(toExpr) });
}

export function not(child: ExprInput): ExprNode {
  return node({ kind: 'not', child: toExpr(child) });
}

/** `CASE WHEN ... THEN ... [ELSE ...] END`: `when(c1, v1).when(c2, v2).otherwise(v3)` (without otherwise: NULL). */
export class CaseBuilder extends ExprBuilder {
  readonly kind = 'case' as const;
  readonly branches: { when: Expr; then: Expr }[];
  constructor(branches: { when: Expr; then: Expr }[]) {
    super();
    this.branches = branches;
  }
  when(condition: ExprInput, value: ExprInput): CaseBuilder {
    return new CaseBuilder([...this.branches, { when: toExpr(condition), then: toExpr(value) }]);
  }
  otherwise(value: ExprInput): ExprNode {
    return node({ kind: 'case', branches: this.branches, else: toExpr(value) });
  }
}

export function when(condition: ExprInput, value: ExprInput): CaseBuilder {
  return new CaseBuilder([{ when: toExpr(condition), then: toExpr(value) }]);
}

/** A scalar function call by name: `call('coalesce', col('a'), 0)`. */
export function call(name: string, ...args: ExprInput[]): ExprNode {
  return node({ kind: 'call', name: name.toUpperCase(), args: args.map(toExpr) });
}

/** The engine's functions as builder calls. */
export const fn = {
  coalesce: (...args: ExprInput[]) => call('COALESCE', ...args),
  nullif: (a: ExprInput, b: ExprInput) => call('NULLIF', a, b),
  abs: (a: ExprInput) => call('ABS', a),
  round: (a: ExprInput, scale = 0) => call('ROUND', a, scale),
  lower: (a: ExprInput) => call('LOWER', a),
  upper: (a: ExprInput) => call('UPPER', a),
  substring: (a: ExprInput, pos: ExprInput, len?: ExprInput) => (len === undefined ? call('SUBSTRING', a, pos) : call('SUBSTRING', a, pos, len)),
  length: (a: ExprInput) => call('LENGTH', a),
  concat: (...args: ExprInput[]) => call('CONCAT', ...args),
  dateTrunc: (unit: string, ts: ExprInput) => call('DATE_TRUNC', unit, ts),
  currentTimestamp: () => call('CURRENT_TIMESTAMP'),
};
