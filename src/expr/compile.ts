// The expression engine: an Expr is type-checked against a scope of relations (Spark's coercion rules) and
// compiled into closures that evaluate it column-at-a-time over one batch, with SQL three-valued logic.
// Values follow access/get.ts (long bigint, decimal unscaled bigint, timestamp micros, date days). No I/O.
//
// Arithmetic (Spark non-ANSI, with one deliberate difference):
// - x / 0 and x % 0 give NULL (also for doubles), as Spark non-ANSI.
// - integral and decimal results that overflow their type throw ArithmeticOverflowError (Spark non-ANSI wraps
//   longs and gives NULL for decimals; we never return a silently wrong value). Also unary minus and ABS of the
//   minimum value, timestamp + interval beyond the int64 microsecond range, and casts of numbers out of range.
// - CAST of a string that is not a value of the target type gives NULL (Spark non-ANSI).
import { ArithmeticOverflowError, ExpressionError } from '../errors.js';
import { typeToString } from '../schema/json.js';
import type { Value } from '../schema/access/get.js';
import { MICROS_PER_DAY, civilFromDays, daysFromCivil, floorDiv, formatDecimal, pow10 } from '../schema/values.js';
import { type ComparisonOp, type Expr, type Literal, positionOf } from './ast.js';
import type { Comparison, Compiled, Input, Scope } from './compiled.js';
import { caster, roundHalfUp } from './cast.js';
import { callFunction } from './functions.js';
import { flipOp, holds } from './literal_keys.js';
import { type ArithMode, type ArithOp, arithVec, compareVec, inVec, isNullVec, logicVec, negVec, notVec, scaleVec } from './kernels.js';
import { type NumVec, type Vec, constantVector, isNumVecType, isVecType } from './vectors.js';
import { digitsOf, literalRational, literalType } from './literals.js';
import { exprToString, literalToString } from './print.js';
import { type Relation, type ResolvedRef, resolveRef } from './resolve.js';
import { type Key, compareKeys, parseDecimalText, parseNonFiniteText, parseTimestampText, rescale } from './typed_values.js';
import {
  type SqlType,
  arithmeticType,
  asDecimal,
  decimalOf,
  isDatetime,
  isFloating,
  isIntegral,
  isNumeric,
  isPrimitiveType,
  typeName,
  widerType,
} from './types.js';

// ---------------------------------------------------------------------------------------------------------
// Errors and descriptions

/** ExpressionError for node `e`, naming its position in the SQL text it was parsed from. */
export function errorAt(e: Expr, message: string, Err: typeof ExpressionError = ExpressionError): ExpressionError {
  const p = positionOf(e);
  if (!p) return new Err(message);
  return new Err(`${message} (at position ${p.pos + 1} in: ${p.source})`, p.source, p.pos + 1);
}

function describe(e: Expr): string {
  if (e.kind === 'column') return `column '${e.path.join('.')}'`;
  if (e.kind === 'literal') return `literal ${literalToString(e)}`;
  return `'${exprToString(e)}'`;
}

function constant(type: SqlType, value: Value): Compiled {
  return {
    type,
    constant: { value },
    evaluate: (input) => new Array<Value>(input.numRows).fill(value),
  };
}

/** Fold an expression whose inputs are all constants into a constant (evaluated once, on one row). */
function folded(c: Compiled, inputs: readonly Compiled[]): Compiled {
  if (inputs.length === 0 || !inputs.every((x) => x.constant)) return c;
  try {
    return constant(c.type, c.evaluate({ numRows: 1, column: () => [] })[0] ?? null);
  } catch {
    return c; // e.g. an overflow: raised when (and only if) a row evaluates it
  }
}

function mapRows(n: number, f: (i: number) => Value): Value[] {
  const out = new Array<Value>(n);
  for (let i = 0; i < n; i++) out[i] = f(i);
  return out;
}

// ---------------------------------------------------------------------------------------------------------
// Vectors (column-at-a-time evaluation; see compiled.ts `vector`)

/** Whether `c` can be evaluated as a vector (a constant of a vector type, or a node with a vector form). */
function vectorizable(c: Compiled): boolean {
  return c.constant ? isVecType(c.type) || c.type === 'void' : c.vector !== undefined;
}

function vecOf(c: Compiled, input: Input): Vec | null {
  if (c.constant) return constantVector(c.constant.value, c.type, input.numRows);
  return c.vector ? c.vector(input) : null;
}

function numVecOf(c: Compiled, input: Input): NumVec | null {
  const v = vecOf(c, input);
  return v && v.kind === 'num' ? v : null;
}

function truthVecOf(c: Compiled, input: Input): Uint8Array | null {
  const v = vecOf(c, input);
  return v && v.kind === 'truth' ? v.values : null;
}

/** A key or numeric value as an exact double; undefined when it has none (a bigint beyond +-2^53, a string...). */
function exactNumber(k: Value | Key): number | undefined {
  if (typeof k === 'number') return k;
  if (typeof k === 'bigint') {
    const x = Number(k);
    return Number.isSafeInteger(x) ? x : undefined;
  }
  return undefined;
}

const allNull = (type: SqlType, n: number): Vec => constantVector(null, type, n)!;

// ---------------------------------------------------------------------------------------------------------
// Literals

function literalValue(l: Literal, type: SqlType): Value {
  switch (l.type) {
    case 'null':
      return null;
    case 'string':
    case 'boolean':
    case 'binary':
      return l.value;
    case 'date':
      return l.days;
    case 'timestamp':
      return l.micros;
    case 'interval':
      return { months: l.months, micros: l.micros };
    case 'bigint':
    case 'number': {
      if (type === 'integer') return Number(l.value);
      if (type === 'long') return BigInt(l.value);
      if (type === 'double') return Number(l.value);
      const d = decimalOf(type)!;
      const r = rescale(literalRational(l)!, d.scale);
      return r.exact ? r.value : r.floor;
    }
  }
}

function compileLiteral(l: Literal): Compiled {
  const t = literalType(l);
  if (l.type === 'bigint' && digitsOf(l.value) > 38) throw errorAt(l, `integer literal ${l.value} has more than 38 digits`);
  return constant(t, literalValue(l, t));
}

/** An exact number literal as a decimal constant of just its digits (comparisons are exact, as before). */
function exactNumberLiteral(l: Literal): Compiled | null {
  const r = literalRational(l);
  if (!r) return null;
  const scale = r.scale;
  const precision = Math.max(digitsOf(r.unscaled), scale, 1);
  return constant(`decimal(${precision},${scale})`, r.unscaled);
}

// ---------------------------------------------------------------------------------------------------------
// Comparison

type Domain = 'num' | 'exact' | 'micros' | 'string' | 'binary' | 'boolean';

const TWO_53 = 2n ** 53n;

/** The double nearest an exact decimal (one correctly rounded division while both parts are exact doubles). */
export function decimalToDouble(unscaled: bigint, scale: number): number {
  if (scale <= 22 && unscaled < TWO_53 && unscaled > -TWO_53) return Number(unscaled) / 10 ** scale;
  return Number(formatDecimal(unscaled, scale));
}

/** A converter of values of type `t` into comparison keys of `domain` (exact: unscaled at `scale`). */
function keyOf(t: SqlType, domain: Domain, scale: number): (v: Value) => Key {
  switch (domain) {
    case 'num': {
      const d = decimalOf(t);
      if (d) return (v) => decimalToDouble(v as bigint, d.scale);
      return (v) => Number(v as number | bigint);
    }
    case 'exact': {
      const d = asDecimal(t)!;
      const mul = pow10(scale - d.scale);
      if (decimalOf(t)) return mul === 1n ? (v) => v as bigint : (v) => (v as bigint) * mul;
      return (v) => BigInt(v as number | bigint) * mul;
    }
    case 'micros':
      if (t === 'date') return (v) => BigInt(v as number) * MICROS_PER_DAY;
      return (v) => v as bigint;
    default:
      return (v) => v as Key;
  }
}

function comparisonDomain(a: SqlType, b: SqlType): { domain: Domain; scale: number } | null {
  if (isNumeric(a) && isNumeric(b)) {
    if (isFloating(a) || isFloating(b)) return { domain: 'num', scale: 0 };
    const da = asDecimal(a)!;
    const db = asDecimal(b)!;
    if (da.scale === 0 && db.scale === 0 && a !== 'long' && b !== 'long' && !decimalOf(a) && !decimalOf(b)) return { domain: 'num', scale: 0 };
    return { domain: 'exact', scale: Math.max(da.scale, db.scale) };
  }
  if (a === 'date' && b === 'date') return { domain: 'num', scale: 0 };
  if (isDatetime(a) && isDatetime(b)) return { domain: 'micros', scale: 0 };
  if (a === b && (a === 'string' || a === 'binary' || a === 'boolean')) return { domain: a, scale: 0 };
  return null;
}

function literalKindName(l: Literal): string {
  return l.type === 'number' || l.type === 'bigint' ? 'number' : l.type;
}

/**
 * A literal on one side of a comparison, converted to the other side's type where Spark would cast it: a string
 * to a number (exactly), date, timestamp or binary; a number exactly. Throws naming both sides when incomparable.
 */
function coerceComparedLiteral(l: Literal, other: Compiled, otherExpr: Expr): Compiled | null {
  const t = other.type;
  if (l.type === 'null' || t === 'void') return null;
  const fail = (): never => {
    const target = otherExpr.kind === 'column' ? `column '${otherExpr.path.join('.')}'` : describe(otherExpr);
    throw errorAt(l, `predicate literal ${literalToString(l)} (${literalKindName(l)}) cannot be compared with ${target} of type ${typeName(t)}`);
  };
  if (!isPrimitiveType(t)) return null;
  if (l.type === 'string') {
    if (t === 'string') return null;
    if (isNumeric(t)) {
      const special = isFloating(t) ? parseNonFiniteText(l.value) : null;
      if (special !== null) return constant('double', special);
      if (!/^\s*[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?\s*$/.test(l.value)) return fail();
      if (isFloating(t)) return constant('double', Number(l.value));
      const r = parseDecimalText(l.value)!;
      return constant(`decimal(${Math.max(digitsOf(r.unscaled), r.scale, 1)},${r.scale})`, r.unscaled);
    }
    if (isDatetime(t)) {
      const p = parseTimestampText(l.value);
      if (!p) return fail();
      return p.dateOnly ? constant('date', Number(p.micros / MICROS_PER_DAY)) : constant('timestamp', p.micros);
    }
    if (t === 'binary') return constant('binary', new TextEncoder().encode(l.value));
    return fail();
  }
  if (l.type === 'number' || l.type === 'bigint') {
    if (!isNumeric(t)) return fail();
    if (isFloating(t)) return null;
    return exactNumberLiteral(l);
  }
  if (l.type === 'boolean' && t !== 'boolean') return fail();
  if ((l.type === 'date' || l.type === 'timestamp') && !isDatetime(t)) return fail();
  if (l.type === 'binary' && t !== 'binary') return fail();
  return null;
}

function checkComparable(e: Expr, c: Compiled): void {
  if (typeof c.type === 'object') {
    throw errorAt(e, `${describe(e)} of type ${typeToString(c.type)} cannot be used in a predicate comparison`);
  }
}

/** Both sides of a comparison, coerced to one comparison domain. */
function comparison(scope: Scope, where: Expr, le: Expr, re: Expr): Comparison {
  let left = compileNode(le, scope);
  let right = compileNode(re, scope);
  checkComparable(le, left);
  checkComparable(re, right);
  if (le.kind === 'literal') left = coerceComparedLiteral(le, right, re) ?? left;
  if (re.kind === 'literal') right = coerceComparedLiteral(re, left, le) ?? right;
  if (left.type === 'void' || right.type === 'void') {
    return { left, right, lkey: (v) => v as Key, rkey: (v) => v as Key, void: true, domain: 'void' };
  }
  const d = comparisonDomain(left.type, right.type);
  if (!d) {
    throw errorAt(where, `cannot compare ${describe(le)} (${typeName(left.type)}) with ${describe(re)} (${typeName(right.type)})`);
  }
  return { left, right, lkey: keyOf(left.type, d.domain, d.scale), rkey: keyOf(right.type, d.domain, d.scale), void: false, domain: `${d.domain}:${d.scale}` };
}

function compileCmp(e: Extract<Expr, { kind: 'cmp' }>, scope: Scope): Compiled {
  const c = comparison(scope, e, e.left, e.right);
  const { op } = e;
  if (c.void) return constant('boolean', null);
  const { lkey, rkey } = c;
  const result: Compiled = {
    type: 'boolean',
    evaluate: (input) => {
      const n = input.numRows;
      const out = new Array<Value>(n);
      if (c.right.constant) {
        const rv = c.right.constant.value;
        if (rv === null) return out.fill(null);
        const k = rkey(rv);
        const a = c.left.evaluate(input);
        for (let i = 0; i < n; i++) {
          const x = a[i]!;
          out[i] = x === null ? null : holds(op, compareKeys(lkey(x), k));
        }
        return out;
      }
      const a = c.left.evaluate(input);
      const b = c.right.evaluate(input);
      for (let i = 0; i < n; i++) {
        const x = a[i]!;
        const y = b[i]!;
        out[i] = x === null || y === null ? null : holds(op, compareKeys(lkey(x), rkey(y)));
      }
      return out;
    },
  };
  const v = cmpVector(c, op);
  if (v) result.vector = v;
  return folded(result, [c.left, c.right]);
}

/**
 * The vector form of a comparison whose keys are numbers that vectors hold exactly (numeric, integral exact and
 * timestamp domains; a date compared with a timestamp is scaled to micros); undefined when there is none.
 */
function cmpVector(c: Comparison, op: ComparisonOp): Compiled['vector'] {
  if (c.domain !== 'num:0' && c.domain !== 'exact:0' && c.domain !== 'micros:0') return undefined;
  const side = (x: Compiled): boolean => (x.constant ? true : x.vector !== undefined && isNumVecType(x.type));
  if (!side(c.left) || !side(c.right) || (c.left.constant && c.right.constant)) return undefined;
  const nan = isFloating(c.left.type) || isFloating(c.right.type);
  const sideVec = (x: Compiled, input: Input): NumVec | null => {
    const v = numVecOf(x, input);
    return v && c.domain === 'micros:0' && x.type === 'date' ? scaleVec(v, Number(MICROS_PER_DAY)) : v;
  };
  return (input) => {
    const k = c.right.constant ? c.right : c.left.constant ? c.left : null;
    if (k) {
      const value = k.constant!.value;
      if (value === null) return allNull('boolean', input.numRows);
      const key = exactNumber(k === c.right ? c.rkey(value) : c.lkey(value));
      const a = sideVec(k === c.right ? c.left : c.right, input);
      if (key === undefined || !a) return null;
      return compareVec(k === c.right ? op : flipOp(op), a, key, nan);
    }
    const a = sideVec(c.left, input);
    const b = a && sideVec(c.right, input);
    return a && b ? compareVec(op, a, b, nan) : null;
  };
}

function compileIn(e: Extract<Expr, { kind: 'in' }>, scope: Scope): Compiled {
  if (e.values.length === 0) throw errorAt(e, 'IN list is empty');
  const pairs = e.values.map((v) => comparison(scope, e, e.operand, v));
  const allConstant = pairs.every((p) => p.right.constant);
  const sameKey = pairs.every((p) => p.void || (p.domain === pairs[0]!.domain && p.left.type === pairs[0]!.left.type));
  const result: Compiled = {
    type: 'boolean',
    evaluate: (input) => {
      const n = input.numRows;
      const a = pairs[0]!.left.type === 'void' ? null : pairs[0]!.left.evaluate(input);
      const out = new Array<Value>(n);
      if (!a) return out.fill(null);
      if (allConstant && sameKey) {
        // Fast path: keys in a Set (SameValueZero: number/bigint/string/boolean compare by value).
        const set = new Set<Key>();
        let sawNull = false;
        let bytes = false;
        for (const p of pairs) {
          const v = p.right.constant!.value;
          if (p.void || v === null) sawNull = true;
          else {
            const k = p.rkey(v);
            if (k instanceof Uint8Array || (typeof k === 'number' && Number.isNaN(k))) bytes = true;
            set.add(k);
          }
        }
        if (!bytes) {
          const lkey = pairs[0]!.lkey;
          for (let i = 0; i < n; i++) {
            const x = a[i]!;
            out[i] = x === null ? null : set.has(lkey(x)) ? true : sawNull ? null : false;
          }
          return out;
        }
      }
      // Each pair has the operand coerced for its own value (a literal operand may convert differently per value).
      const lefts = pairs.map((p, k) => (k === 0 ? a : p.void ? null : p.left.evaluate(input)));
      const lists = pairs.map((p) => (p.void ? null : p.right.evaluate(input)));
      for (let i = 0; i < n; i++) {
        if (a[i] === null) {
          out[i] = null;
          continue;
        }
        let r: boolean | null = false;
        for (let k = 0; k < pairs.length; k++) {
          const y = lists[k] ? lists[k]![i]! : null;
          if (y === null) r = null;
          else if (compareKeys(pairs[k]!.lkey(lefts[k]![i]!), pairs[k]!.rkey(y)) === 0) {
            r = true;
            break;
          }
        }
        out[i] = r;
      }
      return out;
    },
  };
  const operand = pairs[0]!.left;
  const vecDomain = ['num:0', 'exact:0', 'micros:0'].includes(pairs[0]!.domain) && !(pairs[0]!.domain === 'micros:0' && operand.type === 'date');
  if (allConstant && sameKey && vecDomain && !operand.constant && operand.vector && isNumVecType(operand.type)) {
    let keys: Set<number> | null = new Set<number>();
    let sawNull = false;
    for (const p of pairs) {
      const v = p.right.constant!.value;
      if (p.void || v === null) sawNull = true;
      else {
        const k = exactNumber(p.rkey(v));
        if (k === undefined) keys = null;
        else keys?.add(k);
      }
    }
    if (keys) {
      const set = keys;
      result.vector = (input) => {
        const a = numVecOf(operand, input);
        return a ? inVec(a, set, sawNull) : null;
      };
    }
  }
  return folded(result, [pairs[0]!.left, ...pairs.map((p) => p.right)]);
}

// ---------------------------------------------------------------------------------------------------------
// Boolean logic

function booleanOperand(e: Expr, scope: Scope, what: string): Compiled {
  const c = compileNode(e, scope);
  if (c.type !== 'boolean' && c.type !== 'void') {
    throw errorAt(e, `${what} needs a boolean, but ${describe(e)} is ${typeName(c.type)}`);
  }
  return c;
}

function compileLogic(e: Extract<Expr, { kind: 'and' | 'or' }>, scope: Scope): Compiled {
  const kids = e.children.map((c) => booleanOperand(c, scope, e.kind.toUpperCase()));
  const isAnd = e.kind === 'and';
  const result: Compiled = {
    type: 'boolean',
    evaluate: (input) => {
      const acc = kids[0]!.evaluate(input).slice();
      for (let k = 1; k < kids.length; k++) {
        const next = kids[k]!.evaluate(input);
        for (let i = 0; i < acc.length; i++) {
          const a = acc[i];
          const b = next[i];
          if (isAnd) acc[i] = a === false || b === false ? false : a === null || b === null ? null : true;
          else acc[i] = a === true || b === true ? true : a === null || b === null ? null : false;
        }
      }
      return acc;
    },
  };
  if (kids.every(vectorizable)) {
    result.vector = (input) => {
      let acc = truthVecOf(kids[0]!, input);
      for (let k = 1; k < kids.length && acc; k++) {
        const next = truthVecOf(kids[k]!, input);
        acc = next && logicVec(isAnd, acc, next);
      }
      return acc && { kind: 'truth', values: kids.length === 1 ? acc.slice() : acc };
    };
  }
  return folded(result, kids);
}

function compileNot(e: Extract<Expr, { kind: 'not' }>, scope: Scope): Compiled {
  const child = booleanOperand(e.child, scope, 'NOT');
  const result: Compiled = { type: 'boolean', evaluate: (input) => child.evaluate(input).map((v) => (v === null ? null : !v)) };
  if (vectorizable(child)) {
    result.vector = (input) => {
      const t = truthVecOf(child, input);
      return t && { kind: 'truth', values: notVec(t) };
    };
  }
  return folded(result, [child]);
}

function compileIsNull(e: Extract<Expr, { kind: 'isNull' }>, scope: Scope): Compiled {
  const c = compileNode(e.operand, scope);
  const neg = e.negated;
  const result: Compiled = { type: 'boolean', evaluate: (input) => c.evaluate(input).map((v) => (v === null) !== neg) };
  if (c.vector && isVecType(c.type)) {
    result.vector = (input) => {
      const v = c.vector!(input);
      if (!v) return null;
      return v.kind === 'truth' ? isNullVec(null, v.values, input.numRows, neg) : isNullVec(v.valid, null, input.numRows, neg);
    };
  }
  return folded(result, [c]);
}

/** SQL LIKE pattern as an anchored RegExp (`%` any run, `_` one character, `\` escapes the next character). */
export function likeRegExp(pattern: string): RegExp {
  let re = '';
  const chars = [...pattern];
  for (let i = 0; i < chars.length; i++) {
    const ch = chars[i]!;
    if (ch === '\\' && i + 1 < chars.length) re += chars[++i]!.replace(/[.*+?^${}()|[\]\\/-]/g, '\\$&');
    else if (ch === '%') re += '.*';
    else if (ch === '_') re += '.';
    else re += ch.replace(/[.*+?^${}()|[\]\\/-]/g, '\\$&');
  }
  return new RegExp(`^${re}$`, 'su');
}

function stringOperand(e: Expr, scope: Scope, what: string): Compiled {
  const c = compileNode(e, scope);
  if (c.type === 'string' || c.type === 'void') return c;
  if (isPrimitiveType(c.type)) return castTo(c, 'string', e);
  throw errorAt(e, `${what} needs a string, but ${describe(e)} is ${typeName(c.type)}`);
}

function compileLike(e: Extract<Expr, { kind: 'like' }>, scope: Scope): Compiled {
  const s = stringOperand(e.operand, scope, 'LIKE');
  const p = stringOperand(e.pattern, scope, 'LIKE');
  const cache = new Map<string, RegExp>();
  const regexOf = (pat: string): RegExp => {
    let r = cache.get(pat);
    if (!r) {
      r = likeRegExp(pat);
      if (cache.size < 1000) cache.set(pat, r);
    }
    return r;
  };
  const result: Compiled = {
    type: 'boolean',
    evaluate: (input) => {
      const a = s.evaluate(input);
      const b = p.evaluate(input);
      return mapRows(input.numRows, (i) => (a[i] === null || b[i] === null ? null : regexOf(b[i] as string).test(a[i] as string)));
    },
  };
  return folded(result, [s, p]);
}

// ---------------------------------------------------------------------------------------------------------
// Arithmetic

const LONG_MIN = -(2n ** 63n);
const LONG_MAX = 2n ** 63n - 1n;

const INT_MIN: Record<string, number> = { byte: -128, short: -32768, integer: -2147483648 };
const INT_MAX: Record<string, number> = { byte: 127, short: 32767, integer: 2147483647 };

function checkLong(v: bigint, e: Expr, a: Value, b: Value | undefined, op = ''): bigint {
  if (v < LONG_MIN || v > LONG_MAX) {
    const what = b === undefined ? `-(${String(a)})` : `${String(a)} ${op} ${String(b)}`;
    overflow(e, 'long', `${what} = ${v} is outside the long range`);
  }
  return v;
}

function overflow(e: Expr, type: SqlType, detail: string): never {
  throw errorAt(e, `${typeName(type)} overflow in ${exprToString(e)}: ${detail}`, ArithmeticOverflowError);
}

/** Convert a compiled value to type `to` (an implicit cast inserted by coercion). */
function castTo(c: Compiled, to: SqlType, e: Expr): Compiled {
  if (c.type === to) return c;
  const f = caster(c.type, to, () => exprToString(e));
  const result: Compiled = { type: to, evaluate: (input) => c.evaluate(input).map(f) };
  const v = c.vector && castVector(c, to);
  if (v) result.vector = v;
  return folded(result, [c]);
}

/** Vector form of the casts that keep numbers exact: integral to integral (in range), to double / float, date to timestamp. */
function castVector(c: Compiled, to: SqlType): Compiled['vector'] {
  const from = c.type;
  if (!isNumVecType(from) || !isNumVecType(to)) return undefined;
  if (isIntegral(from) && isIntegral(to)) {
    const min = to === 'long' ? -Number.MAX_SAFE_INTEGER : INT_MIN[to as string]!;
    const max = to === 'long' ? Number.MAX_SAFE_INTEGER : INT_MAX[to as string]!;
    return (input) => {
      const v = numVecOf(c, input);
      if (!v) return null;
      for (let i = 0; i < v.values.length; i++) if ((v.values[i]! < min || v.values[i]! > max) && (!v.valid || v.valid[i])) return null;
      return v;
    };
  }
  if (to === 'double' && (isIntegral(from) || isFloating(from))) return (input) => numVecOf(c, input);
  if (to === 'float' && (isIntegral(from) || isFloating(from))) {
    return (input) => {
      const v = numVecOf(c, input);
      return v && { kind: 'num', values: v.values.map(Math.fround), valid: v.valid };
    };
  }
  if (from === 'date' && (to === 'timestamp' || to === 'timestamp_ntz')) {
    return (input) => {
      const v = numVecOf(c, input);
      return v && scaleVec(v, Number(MICROS_PER_DAY));
    };
  }
  return undefined;
}

function numericOperand(e: Expr, scope: Scope, what: string): Compiled {
  const c = compileNode(e, scope);
  if (isNumeric(c.type) || c.type === 'void' || c.type === 'interval' || isDatetime(c.type)) return c;
  if (c.type === 'string') return castTo(c, 'double', e); // Spark casts strings in arithmetic to double
  throw errorAt(e, `${what} needs a number, but ${describe(e)} is ${typeName(c.type)}`);
}

/** Add `months` calendar months to a timestamp (day of month clamped, as Spark's add_months). */
function addMonthsMicros(micros: bigint, months: number): bigint {
  if (months === 0) return micros;
  const days = Number(floorDiv(micros, MICROS_PER_DAY));
  const rest = micros - BigInt(days) * MICROS_PER_DAY;
  return BigInt(addMonthsDays(days, months)) * MICROS_PER_DAY + rest;
}

function addMonthsDays(days: number, months: number): number {
  if (months === 0) return days;
  const { y, m, d } = civilFromDays(days);
  const total = y * 12 + (m - 1) + months;
  const ny = Math.floor(total / 12);
  const nm = total - ny * 12 + 1;
  const dim = new Date(Date.UTC(2000, nm, 0)).getUTCDate();
  const leap = nm === 2 && ((ny % 4 === 0 && ny % 100 !== 0) || ny % 400 === 0);
  return daysFromCivil(ny, nm, Math.min(d, nm === 2 ? (leap ? 29 : 28) : dim));
}

function compileDatetimeArith(e: Extract<Expr, { kind: 'arith' }>, l: Compiled, r: Compiled): Compiled {
  const [dt, iv, ivFirst] = l.type === 'interval' ? [r, l, true] : [l, r, false];
  if (iv.type !== 'interval' || !isDatetime(dt.type) || (e.op !== '+' && e.op !== '-') || (ivFirst && e.op === '-')) {
    throw errorAt(e, `cannot apply '${e.op}' to ${describe(e.left)} (${typeName(l.type)}) and ${describe(e.right)} (${typeName(r.type)})`);
  }
  const sign = e.op === '-' ? -1 : 1;
  const ivConst = iv.constant?.value as { months: number; micros: bigint } | null | undefined;
  const dateResult = dt.type === 'date' && ivConst !== undefined && (ivConst === null || ivConst.micros % MICROS_PER_DAY === 0n);
  const type: SqlType = dateResult ? 'date' : dt.type === 'date' ? 'timestamp' : dt.type;
  const result: Compiled = {
    type,
    evaluate: (input) => {
      const a = dt.evaluate(input);
      const b = iv.evaluate(input);
      return mapRows(input.numRows, (i) => {
        const x = a[i]!;
        const y = b[i] as { months: number; micros: bigint } | null;
        if (x === null || y === null) return null;
        if (dateResult) return addMonthsDays(x as number, sign * y.months) + sign * Number(y.micros / MICROS_PER_DAY);
        const micros = dt.type === 'date' ? BigInt(x as number) * MICROS_PER_DAY : (x as bigint);
        const v = addMonthsMicros(micros, sign * y.months) + BigInt(sign) * y.micros;
        if (v < LONG_MIN || v > LONG_MAX) overflow(e, type, 'the timestamp is outside the supported range');
        return v;
      });
    },
  };
  return folded(result, [dt, iv]);
}

function compileArith(e: Extract<Expr, { kind: 'arith' }>, scope: Scope): Compiled {
  const l = numericOperand(e.left, scope, `'${e.op}'`);
  const r = numericOperand(e.right, scope, `'${e.op}'`);
  if (l.type === 'void' || r.type === 'void') {
    const other = l.type === 'void' ? r.type : l.type;
    const t = other === 'void' ? 'double' : other === 'interval' || isDatetime(other) ? other : (arithmeticType(e.op, other, other) ?? 'double');
    return constant(t, null);
  }
  if (l.type === 'interval' || r.type === 'interval' || isDatetime(l.type) || isDatetime(r.type)) return compileDatetimeArith(e, l, r);
  const type = arithmeticType(e.op, l.type, r.type)!;
  const op = e.op;
  let f: (x: Value, y: Value) => Value;
  if (type === 'double' || type === 'float') {
    const lt = castTo(l, 'double', e.left);
    const rt = castTo(r, 'double', e.right);
    const round = type === 'float' ? Math.fround : (x: number) => x;
    f = (x, y) => {
      const a = x as number;
      const b = y as number;
      switch (op) {
        case '+':
          return round(a + b);
        case '-':
          return round(a - b);
        case '*':
          return round(a * b);
        case '/':
          return b === 0 ? null : round(a / b);
        case '%':
          return b === 0 ? null : round(a % b);
      }
    };
    return withArithVector(binary(type, lt, rt, f), op, lt, rt, { kind: type === 'float' ? 'float' : 'double', min: 0, max: 0 });
  }
  if (isIntegral(type)) {
    if (type === 'long') {
      f = (x, y) => {
        const a = BigInt(x as number | bigint);
        const b = BigInt(y as number | bigint);
        switch (op) {
          case '+':
            return checkLong(a + b, e, x, y, '+');
          case '-':
            return checkLong(a - b, e, x, y, '-');
          case '*':
            return checkLong(a * b, e, x, y, '*');
          case '%':
            return b === 0n ? null : a % b;
          default:
            return null;
        }
      };
    } else {
      f = (x, y) => {
        const a = x as number;
        const b = y as number;
        let v: number;
        switch (op) {
          case '+':
            v = a + b;
            break;
          case '-':
            v = a - b;
            break;
          case '*':
            v = a * b;
            break;
          case '%':
            return b === 0 ? null : a % b;
          default:
            return null;
        }
        if (v < INT_MIN[type as string]! || v > INT_MAX[type as string]!) overflow(e, type, `${a} ${op} ${b} = ${v} is outside the ${typeName(type)} range`);
        return v;
      };
    }
    const min = type === 'long' ? -Number.MAX_SAFE_INTEGER : INT_MIN[type as string]!;
    const max = type === 'long' ? Number.MAX_SAFE_INTEGER : INT_MAX[type as string]!;
    return withArithVector(binary(type, l, r, f, e), op, l, r, { kind: 'exact', min, max });
  }
  // Decimal arithmetic on exact unscaled values.
  const res = decimalOf(type)!;
  const da = asDecimal(l.type)!;
  const db = asDecimal(r.type)!;
  const ua = (v: Value): bigint => (decimalOf(l.type) ? (v as bigint) : BigInt(v as number | bigint));
  const ub = (v: Value): bigint => (decimalOf(r.type) ? (v as bigint) : BigInt(v as number | bigint));
  const limit = pow10(res.precision);
  const fit = (u: bigint, x: Value, y: Value): bigint => {
    if (u >= limit || u <= -limit) overflow(e, type, `${String(x)} ${op} ${String(y)} (unscaled) needs more than ${res.precision} digits`);
    return u;
  };
  f = (x, y) => {
    const a = ua(x);
    const b = ub(y);
    switch (op) {
      case '+':
      case '-': {
        const s = Math.max(da.scale, db.scale);
        const aa = a * pow10(s - da.scale);
        const bb = b * pow10(s - db.scale);
        return fit(roundHalfUp(op === '+' ? aa + bb : aa - bb, s, res.scale), x, y);
      }
      case '*':
        return fit(roundHalfUp(a * b, da.scale + db.scale, res.scale), x, y);
      case '/': {
        if (b === 0n) return null;
        // a/10^sa / (b/10^sb) at scale rs = a * 10^(rs - sa + sb) / b, rounded half up
        const exp = res.scale - da.scale + db.scale;
        let num = a;
        let den = b;
        if (exp >= 0) num *= pow10(exp);
        else den *= pow10(-exp);
        let q = num / den;
        const rem = num % den;
        if (rem !== 0n && (rem < 0n ? -rem : rem) * 2n >= (den < 0n ? -den : den)) q += (num < 0n) !== (den < 0n) ? -1n : 1n;
        return fit(q, x, y);
      }
      case '%': {
        if (b === 0n) return null;
        const s = Math.max(da.scale, db.scale);
        return fit(roundHalfUp((a * pow10(s - da.scale)) % (b * pow10(s - db.scale)), s, res.scale), x, y);
      }
    }
  };
  return binary(type, l, r, f, e);
}

/** Attach the vector form of `l op r` (numbers held exactly by vectors; see kernels.ts arithVec) to `c`. */
function withArithVector(c: Compiled, op: ArithOp, l: Compiled, r: Compiled, mode: ArithMode): Compiled {
  if (c.constant || !vectorizable(l) || !vectorizable(r) || !isNumVecType(l.type) || !isNumVecType(r.type)) return c;
  const scalar = (x: Compiled): number | null | undefined => (x.constant ? (x.constant.value === null ? null : exactNumber(x.constant.value)) : undefined);
  c.vector = (input) => {
    const ks = [scalar(l), scalar(r)];
    if (ks.includes(null)) return allNull(c.type, input.numRows);
    const a = ks[0] ?? numVecOf(l, input);
    const b = ks[1] ?? numVecOf(r, input);
    return a === null || b === null ? null : arithVec(op, a, b, mode);
  };
  return c;
}

function binary(type: SqlType, l: Compiled, r: Compiled, f: (x: Value, y: Value) => Value, e?: Expr): Compiled {
  void e;
  const result: Compiled = {
    type,
    evaluate: (input) => {
      const a = l.evaluate(input);
      const b = r.evaluate(input);
      return mapRows(input.numRows, (i) => (a[i] === null || b[i] === null ? null : f(a[i]!, b[i]!)));
    },
  };
  return folded(result, [l, r]);
}

function compileNeg(e: Extract<Expr, { kind: 'neg' }>, scope: Scope): Compiled {
  const c = numericOperand(e.operand, scope, 'unary minus');
  const t = c.type;
  let f: (v: Value) => Value;
  if (t === 'interval') f = (v) => ({ months: -(v as { months: number }).months, micros: -(v as { micros: bigint }).micros });
  else if (t === 'long') f = (v) => checkLong(-(v as bigint), e, v, undefined);
  else if (isIntegral(t)) f = (v) => (-(v as number) > INT_MAX[t as string]! ? overflow(e, t, `-(${String(v)}) is outside the ${typeName(t)} range`) : -(v as number));
  else if (decimalOf(t)) f = (v) => -(v as bigint);
  else if (isFloating(t)) f = (v) => -(v as number);
  else throw errorAt(e, `unary minus needs a number, but ${describe(e.operand)} is ${typeName(t)}`);
  const result: Compiled = { type: t, evaluate: (input) => c.evaluate(input).map((v) => (v === null ? null : f(v))) };
  if (c.vector && isNumVecType(t)) {
    const bounds = t === 'long' ? { min: -Number.MAX_SAFE_INTEGER, max: Number.MAX_SAFE_INTEGER } : isIntegral(t) ? { min: INT_MIN[t as string]!, max: INT_MAX[t as string]! } : null;
    result.vector = (input) => {
      const v = numVecOf(c, input);
      return v && negVec(v, bounds);
    };
  }
  return folded(result, [c]);
}

function compileConcat(e: Extract<Expr, { kind: 'concat' }>, scope: Scope): Compiled {
  const l = stringOperand(e.left, scope, "'||'");
  const r = stringOperand(e.right, scope, "'||'");
  return binary('string', l, r, (x, y) => (x as string) + (y as string));
}

// ---------------------------------------------------------------------------------------------------------
// CASE, CAST

/** Rows `idx` of an input, as an input of their own (lazy per column). */
function subInput(input: Input, idx: readonly number[]): Input {
  const cache = new Map<ResolvedRef, Value[]>();
  return {
    numRows: idx.length,
    column(ref) {
      let v = cache.get(ref);
      if (!v) {
        const all = input.column(ref);
        v = idx.map((i) => all[i]!);
        cache.set(ref, v);
      }
      return v;
    },
  };
}

/** The wider common type of several expressions (CASE branches, COALESCE, ...), or an error naming the clash. */
export function commonTypeOf(parts: readonly { e: Expr; c: Compiled }[], what: string, where: Expr): SqlType {
  let t: SqlType = 'void';
  for (const p of parts) {
    const w = widerType(t, p.c.type);
    if (w === null) throw errorAt(where, `${what} has incompatible types ${typeName(t)} and ${typeName(p.c.type)} (${describe(p.e)})`);
    t = w;
  }
  return t;
}

function compileCase(e: Extract<Expr, { kind: 'case' }>, scope: Scope): Compiled {
  const conds = e.branches.map((b) => booleanOperand(b.when, scope, 'WHEN'));
  const valueParts = [...e.branches.map((b) => b.then), ...(e.else ? [e.else] : [])].map((x) => ({ e: x, c: compileNode(x, scope) }));
  const type = commonTypeOf(valueParts, 'CASE', e);
  const values = valueParts.map((p) => castTo(p.c, type, p.e));
  const otherwise = e.else ? values[values.length - 1]! : null;
  const result: Compiled = {
    type,
    evaluate: (input) => {
      const n = input.numRows;
      const out = new Array<Value>(n).fill(null);
      // Each branch value is computed only on the rows that take it (an error in another row's branch is not raised).
      let pending: number[] = Array.from({ length: n }, (_, i) => i);
      for (let k = 0; k < conds.length && pending.length; k++) {
        const sub = pending.length === n ? input : subInput(input, pending);
        const c = conds[k]!.evaluate(sub);
        const take: number[] = [];
        const rest: number[] = [];
        pending.forEach((row, j) => (c[j] === true ? take : rest).push(row));
        if (take.length) {
          const v = values[k]!.evaluate(take.length === n ? input : subInput(input, take));
          take.forEach((row, j) => (out[row] = v[j]!));
        }
        pending = rest;
      }
      if (otherwise && pending.length) {
        const v = otherwise.evaluate(pending.length === n ? input : subInput(input, pending));
        pending.forEach((row, j) => (out[row] = v[j]!));
      }
      return out;
    },
  };
  return folded(result, [...conds, ...values]);
}

function compileCast(e: Extract<Expr, { kind: 'cast' }>, scope: Scope): Compiled {
  const c = compileNode(e.operand, scope);
  try {
    return castTo(c, e.to, e.operand);
  } catch (err) {
    if (err instanceof ExpressionError && !(err instanceof ArithmeticOverflowError)) throw errorAt(e, err.message);
    throw err;
  }
}

// ---------------------------------------------------------------------------------------------------------
// Dispatch

export function compileNode(e: Expr, scope: Scope): Compiled {
  switch (e.kind) {
    case 'column': {
      const ref = resolveRef(scope.relations, e.path);
      if (!ref) {
        const cols = scope.relations.flatMap((r) => r.schema.fields.map((f) => (r.name ? `${r.name}.${f.name}` : f.name)));
        throw errorAt(e, `unknown column '${e.path.join('.')}' (table columns: ${cols.join(', ')})`);
      }
      const col: Compiled = { type: ref.type, evaluate: (input) => input.column(ref) };
      if (isVecType(ref.type)) col.vector = (input) => (input.vector ? input.vector(ref) : null);
      return col;
    }
    case 'literal':
      return compileLiteral(e);
    case 'cmp':
      return compileCmp(e, scope);
    case 'in':
      return compileIn(e, scope);
    case 'isNull':
      return compileIsNull(e, scope);
    case 'and':
    case 'or':
      return compileLogic(e, scope);
    case 'not':
      return compileNot(e, scope);
    case 'like':
      return compileLike(e, scope);
    case 'arith':
      return compileArith(e, scope);
    case 'neg':
      return compileNeg(e, scope);
    case 'concat':
      return compileConcat(e, scope);
    case 'case':
      return compileCase(e, scope);
    case 'cast':
      return compileCast(e, scope);
    case 'call': {
      const args = e.args.map((a) => ({ e: a, c: compileNode(a, scope) }));
      const c = callFunction(e, args, scope, { castTo, errorAt, describe, comparison: (l, r) => comparison(scope, e, l, r), commonTypeOf });
      return folded(c, e.name === 'CURRENT_TIMESTAMP' ? [] : args.map((a) => a.c));
    }
  }
}
