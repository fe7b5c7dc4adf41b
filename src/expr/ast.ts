// The expression AST: plain data nodes shared by the parser, the builder, the printer, the compiler and pruning.
// Predicates are expressions of boolean type. No behaviour here beyond walking the tree.
import type { DataType } from '../schema/types.js';

export interface ColumnRef {
  kind: 'column';
  /** Name parts: a (qualified) column and struct fields, e.g. ['a', 'b'] for `a.b`, ['t', 'id'] for `t.id`. */
  path: string[];
}

export type Literal =
  | { kind: 'literal'; type: 'null' }
  | { kind: 'literal'; type: 'string'; value: string }
  /** `text` keeps the exact decimal text typed in SQL (e.g. `12345678901234567.89`). */
  | { kind: 'literal'; type: 'number'; value: number; text?: string }
  | { kind: 'literal'; type: 'bigint'; value: bigint }
  | { kind: 'literal'; type: 'boolean'; value: boolean }
  /** Days since 1970-01-01. */
  | { kind: 'literal'; type: 'date'; days: number }
  /** Microseconds since the epoch (UTC). */
  | { kind: 'literal'; type: 'timestamp'; micros: bigint }
  | { kind: 'literal'; type: 'binary'; value: Uint8Array }
  /** An interval: a year-month part (months) or a day-time part (micros), as Spark's two interval types. */
  | { kind: 'literal'; type: 'interval'; months: number; micros: bigint };

/** What the predicate grammar of earlier versions allowed on each side of a comparison. */
export type Operand = ColumnRef | Literal;

export type ComparisonOp = '=' | '!=' | '<' | '<=' | '>' | '>=';
export type ArithmeticOp = '+' | '-' | '*' | '/' | '%';

export type Expr =
  | ColumnRef
  | Literal
  | { kind: 'cmp'; op: ComparisonOp; left: Expr; right: Expr }
  | { kind: 'in'; operand: Expr; values: Expr[] }
  | { kind: 'isNull'; operand: Expr; negated: boolean }
  | { kind: 'and'; children: Expr[] }
  | { kind: 'or'; children: Expr[] }
  | { kind: 'not'; child: Expr }
  /** `operand LIKE pattern` (`%` any run, `_` one character, `\` escapes). */
  | { kind: 'like'; operand: Expr; pattern: Expr }
  | { kind: 'arith'; op: ArithmeticOp; left: Expr; right: Expr }
  | { kind: 'neg'; operand: Expr }
  /** String concatenation `left || right`. */
  | { kind: 'concat'; left: Expr; right: Expr }
  /** `CASE WHEN c THEN v ... [ELSE e] END` (a simple `CASE x WHEN v` is parsed into `x = v` conditions). */
  | { kind: 'case'; branches: { when: Expr; then: Expr }[]; else?: Expr }
  | { kind: 'cast'; operand: Expr; to: DataType }
  /** A scalar function by upper-case name (COALESCE, NULLIF, ABS, ROUND, LOWER, UPPER, SUBSTRING, ...). */
  | { kind: 'call'; name: string; args: Expr[] };

/** Direct sub-expressions of a node, in source order. */
export function childrenOf(e: Expr): Expr[] {
  switch (e.kind) {
    case 'column':
    case 'literal':
      return [];
    case 'cmp':
    case 'arith':
    case 'concat':
      return [e.left, e.right];
    case 'in':
      return [e.operand, ...e.values];
    case 'isNull':
    case 'neg':
    case 'cast':
      return [e.operand];
    case 'like':
      return [e.operand, e.pattern];
    case 'and':
    case 'or':
      return e.children;
    case 'not':
      return [e.child];
    case 'case':
      return [...e.branches.flatMap((b) => [b.when, b.then]), ...(e.else ? [e.else] : [])];
    case 'call':
      return e.args;
  }
}

/** Distinct column paths the expression references, in first-use order. */
export function referencedColumnPaths(e: Expr): string[][] {
  const seen = new Set<string>();
  const out: string[][] = [];
  const walk = (x: Expr): void => {
    if (x.kind === 'column') {
      const k = JSON.stringify(x.path);
      if (!seen.has(k)) {
        seen.add(k);
        out.push(x.path);
      }
      return;
    }
    for (const c of childrenOf(x)) walk(c);
  };
  walk(e);
  return out;
}

/** Distinct referenced columns as dotted names (`a`, `s.x`), in first-use order. */
export function referencedColumns(e: Expr): string[] {
  return referencedColumnPaths(e).map((p) => p.join('.'));
}

/**
 * Where each node of a parsed expression came from: the SQL text and the 0-based offset of the node's first
 * token. Kept beside the tree (not in it) so that parsed and built expressions compare equal.
 */
const positions = new WeakMap<object, { source: string; pos: number }>();

export function setPosition(e: Expr, source: string, pos: number): void {
  positions.set(e, { source, pos });
}

export function positionOf(e: Expr): { source: string; pos: number } | undefined {
  return positions.get(e);
}
