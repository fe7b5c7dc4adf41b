// Literals in a column's comparison domain, and comparisons of one key with them in SQL three-valued logic:
// what partition pruning and stats skipping decide with (evaluating rows is compile.ts's job). No I/O.
import { ExpressionError } from '../errors.js';
import { typeToString } from '../schema/json.js';
import type { DataType } from '../schema/types.js';
import { MICROS_PER_DAY, floorDiv } from '../schema/values.js';
import type { ComparisonOp, Literal } from './ast.js';
import { literalRational as numberRational } from './literals.js';
import { literalToString } from './print.js';
import { type Domain, type Key, compareKeys, domainOf, parseDecimalText, parseNonFiniteText, parseTimestampText, rescale, type Rational } from './typed_values.js';

/**
 * A literal converted into a column's comparison domain. `between`: the literal is not representable in the
 * column type (e.g. 2.5 vs an integer column) and lies strictly between `floor` and `ceil`.
 */
export type CoercedLiteral =
  | { kind: 'null' }
  | { kind: 'exact'; key: Key }
  | { kind: 'between'; floor: Key; ceil: Key };

function literalTypeName(l: Literal): string {
  return l.type === 'number' || l.type === 'bigint' ? 'number' : l.type;
}

function incompatible(l: Literal, column: string, t: DataType): never {
  throw new ExpressionError(
    `predicate literal ${literalToString(l)} (${literalTypeName(l)}) cannot be compared with column '${column}' of type ${typeToString(t)}`,
  );
}

function literalRational(l: Literal): Rational | null {
  if (l.type === 'number' || l.type === 'bigint') return numberRational(l);
  if (l.type === 'string') return /^\s*[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?\s*$/.test(l.value) ? parseDecimalText(l.value) : null;
  return null;
}

function temporalMicros(l: Literal): { micros: bigint; dateOnly: boolean } | null {
  if (l.type === 'timestamp') return { micros: l.micros, dateOnly: false };
  if (l.type === 'date') return { micros: BigInt(l.days) * MICROS_PER_DAY, dateOnly: true };
  if (l.type === 'string') {
    const p = parseTimestampText(l.value);
    return p ? { micros: p.micros, dateOnly: p.dateOnly } : null;
  }
  return null;
}

/**
 * Convert a literal to the comparison domain of a column of Delta type `t` (see typed_values.ts `Domain`).
 * Comparisons follow Spark: a date compared with a timestamp is promoted to a timestamp (midnight UTC); strings
 * compared with date/timestamp/numeric columns are cast. Throws InvalidArgumentError when incomparable.
 */
export function coerceLiteral(l: Literal, t: DataType, column: string): CoercedLiteral {
  if (l.type === 'null') return { kind: 'null' };
  const d: Domain | null = domainOf(t);
  if (!d) {
    throw new ExpressionError(`column '${column}' of type ${typeToString(t)} cannot be compared with a literal`);
  }
  switch (d.kind) {
    case 'int':
    case 'long':
    case 'decimal': {
      const r = literalRational(l);
      if (!r) return incompatible(l, column, t);
      const scale = d.kind === 'decimal' ? d.scale : 0;
      const s = rescale(r, scale);
      const conv = (x: bigint): Key => (d.kind === 'int' ? Number(x) : x);
      return s.exact ? { kind: 'exact', key: conv(s.value) } : { kind: 'between', floor: conv(s.floor), ceil: conv(s.ceil) };
    }
    case 'float': {
      if (l.type === 'number') return { kind: 'exact', key: l.value };
      if (l.type === 'bigint') return { kind: 'exact', key: Number(l.value) };
      if (l.type === 'string') {
        // Spark casts the string to the column's type: 'NaN', 'Infinity', '-inf' ... name those values.
        const special = parseNonFiniteText(l.value);
        if (special !== null) return { kind: 'exact', key: special };
      }
      const r = literalRational(l);
      if (!r || l.type !== 'string') return incompatible(l, column, t);
      return { kind: 'exact', key: Number(l.value) };
    }
    case 'string':
      if (l.type !== 'string') return incompatible(l, column, t);
      return { kind: 'exact', key: l.value };
    case 'binary':
      if (l.type === 'binary') return { kind: 'exact', key: l.value };
      if (l.type === 'string') return { kind: 'exact', key: new TextEncoder().encode(l.value) };
      return incompatible(l, column, t);
    case 'boolean':
      if (l.type !== 'boolean') return incompatible(l, column, t);
      return { kind: 'exact', key: l.value };
    case 'date': {
      const m = temporalMicros(l);
      if (!m) return incompatible(l, column, t);
      const floor = floorDiv(m.micros, MICROS_PER_DAY);
      if (floor * MICROS_PER_DAY === m.micros) return { kind: 'exact', key: Number(floor) };
      return { kind: 'between', floor: Number(floor), ceil: Number(floor) + 1 };
    }
    case 'timestamp': {
      const m = temporalMicros(l);
      if (!m) return incompatible(l, column, t);
      return { kind: 'exact', key: m.micros };
    }
  }
}

/** Three-valued truth: FALSE, TRUE, NULL (unknown). */
export const FALSE = 0;
export const TRUE = 1;
export const NULL = 2;
export type Truth = 0 | 1 | 2;

const FLIP: Record<ComparisonOp, ComparisonOp> = { '=': '=', '!=': '!=', '<': '>', '<=': '>=', '>': '<', '>=': '<=' };

/** Flip `lit op col` into `col op' lit`. */
export function flipOp(op: ComparisonOp): ComparisonOp {
  return FLIP[op];
}

/** Whether a comparison result `c` (<0, 0, >0) satisfies `op`. */
export function holds(op: ComparisonOp, c: number): boolean {
  switch (op) {
    case '=':
      return c === 0;
    case '!=':
      return c !== 0;
    case '<':
      return c < 0;
    case '<=':
      return c <= 0;
    case '>':
      return c > 0;
    case '>=':
      return c >= 0;
  }
}

/** `value op literal` for one value already in the column's domain (null value -> NULL). */
export function compareWithLiteral(op: ComparisonOp, value: Key | null, l: CoercedLiteral): Truth {
  if (value === null || l.kind === 'null') return NULL;
  if (l.kind === 'exact') return holds(op, compareKeys(value, l.key)) ? TRUE : FALSE;
  // The literal lies strictly between floor and ceil (adjacent representable values).
  switch (op) {
    case '=':
      return FALSE;
    case '!=':
      return TRUE;
    case '<':
    case '<=':
      return compareKeys(value, l.floor) <= 0 ? TRUE : FALSE;
    case '>':
    case '>=':
      return compareKeys(value, l.ceil) >= 0 ? TRUE : FALSE;
  }
}

/** `value IN (literals)` with SQL semantics: NULL when no match and the value or a list element is null. */
export function inList(value: Key | null, list: CoercedLiteral[]): Truth {
  if (value === null) return NULL;
  let sawNull = false;
  for (const l of list) {
    if (l.kind === 'null') sawNull = true;
    else if (l.kind === 'exact' && compareKeys(value, l.key) === 0) return TRUE;
  }
  return sawNull ? NULL : FALSE;
}

export function and3(a: Truth, b: Truth): Truth {
  if (a === FALSE || b === FALSE) return FALSE;
  if (a === NULL || b === NULL) return NULL;
  return TRUE;
}

export function or3(a: Truth, b: Truth): Truth {
  if (a === TRUE || b === TRUE) return TRUE;
  if (a === NULL || b === NULL) return NULL;
  return FALSE;
}

export function not3(a: Truth): Truth {
  return a === NULL ? NULL : a === TRUE ? FALSE : TRUE;
}

