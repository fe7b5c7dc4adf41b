// Aggregate functions of streaming queries (count, sum, avg, min, max, first, last, countDistinct): the specs users
// build, their result types, and accumulators whose state is plain data (it is checkpointed as JSON). No I/O.
import { ArithmeticOverflowError, InvalidArgumentError } from '../../errors.js';
import type { Expr } from '../../expr/ast.js';
import type { ExprInput } from '../../expr/builder.js';
import { compareKeys } from '../../expr/typed_values.js';
import { decimalOf, isFloating, isIntegral, isNumeric, type SqlType, typeName } from '../../expr/types.js';
import type { Value } from '../../schema/access/get.js';
import type { DataType } from '../../schema/types.js';

export type AggFunction = 'count' | 'sum' | 'avg' | 'min' | 'max' | 'first' | 'last' | 'countDistinct';

/** One aggregate of `.agg({...})`: a function over an expression (SQL text, column name or typed builder). */
export interface AggSpec {
  readonly fn: AggFunction;
  /** Undefined for count(): every row. */
  readonly input?: Expr | string;
}

function spec(fn: AggFunction, input: ExprInput | undefined, required: boolean): AggSpec {
  if (input === undefined) {
    if (required) throw new InvalidArgumentError(`${fn}() needs a column or expression`);
    return { fn };
  }
  if (typeof input !== 'string' && (input === null || typeof input !== 'object' || !('kind' in input))) {
    throw new InvalidArgumentError(`${fn}(): expected a column name, SQL expression or expression builder, got ${String(input)}`);
  }
  return { fn, input: input as Expr | string };
}

/** count(): rows; count(col): rows where col is not null. */
export const count = (input?: ExprInput): AggSpec => spec('count', input, false);
/** Sum: integral inputs give long (overflow is an error), floating give double, decimal(p,s) give decimal(p+10,s). */
export const sum = (input: ExprInput): AggSpec => spec('sum', input, true);
/** Average as double (nulls skipped; null when there are no values). */
export const avg = (input: ExprInput): AggSpec => spec('avg', input, true);
export const min = (input: ExprInput): AggSpec => spec('min', input, true);
export const max = (input: ExprInput): AggSpec => spec('max', input, true);
/** The value of the earliest event (event time, then arrival order); nulls count as values, as Spark's first(). */
export const first = (input: ExprInput): AggSpec => spec('first', input, true);
/** The value of the latest event (event time, then arrival order). */
export const last = (input: ExprInput): AggSpec => spec('last', input, true);
/** Exact number of distinct non-null values. */
export const countDistinct = (input: ExprInput): AggSpec => spec('countDistinct', input, true);

const LONG_MAX = (1n << 63n) - 1n;
const LONG_MIN = -(1n << 63n);

/** Accumulator state: JSON data (bigints are encoded by the state codec). */
export type AccState = Value | AccState[] | { [k: string]: AccState };

/** An aggregate bound to its input type: folds values into a state and merges states (sessions). */
export interface Accumulator {
  readonly resultType: DataType;
  init(): AccState;
  /** Fold value `v` of an event at (time t, arrival seq) into state `s`; returns the new state. */
  add(s: AccState, v: Value, t: number, seq: number): AccState;
  merge(a: AccState, b: AccState): AccState;
  result(s: AccState): Value;
}

function orderable(t: SqlType): boolean {
  return isNumeric(t) || t === 'string' || t === 'boolean' || t === 'date' || t === 'timestamp' || t === 'timestamp_ntz';
}

/** The accumulator of `fn` over values of `type`; InvalidArgumentError naming `name` when the type does not fit. */
export function accumulatorFor(fn: AggFunction, type: SqlType | undefined, name: string): Accumulator {
  const wrong = (what: string): never => {
    throw new InvalidArgumentError(`aggregate '${name}': ${fn}() needs ${what}, but its input is ${typeName(type!)}`);
  };
  if (type !== undefined && (type === 'void' || type === 'interval')) wrong('a column value');
  switch (fn) {
    case 'count':
      return countAcc(type === undefined);
    case 'countDistinct':
      if (!orderable(type!)) wrong('a primitive type');
      return distinctAcc();
    case 'sum':
      if (!isNumeric(type!)) wrong('a numeric input');
      return sumAcc(type!);
    case 'avg':
      if (!isNumeric(type!)) wrong('a numeric input');
      return avgAcc(type!);
    case 'min':
    case 'max':
      if (!orderable(type!)) wrong('an orderable primitive type (number, string, boolean, date, timestamp)');
      return extremeAcc(fn === 'min' ? -1 : 1, type as DataType);
    case 'first':
    case 'last':
      if (!orderable(type!)) wrong('a primitive type');
      return positionalAcc(fn === 'first', type as DataType);
  }
}

function countAcc(rows: boolean): Accumulator {
  return {
    resultType: 'long',
    init: () => 0,
    add: (s, v) => (rows || v !== null ? (s as number) + 1 : s),
    merge: (a, b) => (a as number) + (b as number),
    result: (s) => BigInt(s as number),
  };
}

function checkLong(v: bigint): bigint {
  if (v > LONG_MAX || v < LONG_MIN) throw new ArithmeticOverflowError(`sum overflows the long type (${v})`);
  return v;
}

function sumAcc(type: SqlType): Accumulator {
  if (isFloating(type)) {
    return {
      resultType: 'double',
      init: () => null,
      add: (s, v) => (v === null ? s : ((s as number | null) ?? 0) + (v as number)),
      merge: (a, b) => (a === null ? b : b === null ? a : (a as number) + (b as number)),
      result: (s) => s as Value,
    };
  }
  const d = decimalOf(type);
  // Spark: sum of decimal(p, s) is decimal(min(38, p + 10), s); its overflow is an error here.
  const precision = d ? Math.min(38, d.precision + 10) : 0;
  const bound = d ? 10n ** BigInt(precision) : 0n;
  const check = d
    ? (v: bigint): bigint => {
        if (v >= bound || v <= -bound) throw new ArithmeticOverflowError(`sum overflows decimal(${precision},${d.scale})`);
        return v;
      }
    : checkLong;
  const big = (v: Value): bigint => (typeof v === 'bigint' ? v : BigInt(v as number));
  return {
    resultType: (d ? `decimal(${precision},${d.scale})` : 'long') as DataType,
    init: () => null,
    add: (s, v) => (v === null ? s : check((s === null ? 0n : (s as bigint)) + big(v))),
    merge: (a, b) => (a === null ? b : b === null ? a : check((a as bigint) + (b as bigint))),
    result: (s) => s as Value,
  };
}

function avgAcc(type: SqlType): Accumulator {
  // Exact sums (bigint) for integral and decimal inputs; the division is done once, in double.
  const exact = isIntegral(type) || decimalOf(type) !== null;
  const scale = decimalOf(type)?.scale ?? 0;
  const zero = exact ? 0n : 0;
  return {
    resultType: 'double',
    init: () => [zero, 0],
    add: (s, v) => {
      if (v === null) return s;
      // In place: the state array belongs to this group only.
      const st = s as [number | bigint, number];
      st[0] = exact ? (st[0] as bigint) + (typeof v === 'bigint' ? v : BigInt(v as number)) : (st[0] as number) + (v as number);
      st[1]++;
      return st;
    },
    merge: (a, b) => {
      const [ta, na] = a as [number | bigint, number];
      const [tb, nb] = b as [number | bigint, number];
      return [exact ? (ta as bigint) + (tb as bigint) : (ta as number) + (tb as number), na + nb];
    },
    result: (s) => {
      const [t, n] = s as [number | bigint, number];
      if (n === 0) return null;
      return exact ? Number(t) / 10 ** scale / n : (t as number) / n;
    },
  };
}

function extremeAcc(sign: 1 | -1, type: DataType): Accumulator {
  const better = (a: Value, b: Value): Value => (a === null ? b : b === null ? a : sign * compareKeys(b as never, a as never) > 0 ? b : a);
  return { resultType: type, init: () => null, add: (s, v) => better(s as Value, v), merge: (a, b) => better(a as Value, b as Value), result: (s) => s as Value };
}

/** first/last: state [time, seq, value]; the earliest (first) or latest (last) by event time, then arrival. */
function positionalAcc(isFirst: boolean, type: DataType): Accumulator {
  const pick = (a: AccState, b: AccState): AccState => {
    if (a === null) return b;
    if (b === null) return a;
    const [ta, qa] = a as [number, number];
    const [tb, qb] = b as [number, number];
    const c = ta !== tb ? ta - tb : qa - qb;
    return isFirst ? (c <= 0 ? a : b) : c >= 0 ? a : b;
  };
  return {
    resultType: type,
    init: () => null,
    add: (s, v, t, seq) => pick(s, [t, seq, v]),
    merge: pick,
    result: (s) => (s === null ? null : ((s as AccState[])[2] as Value)),
  };
}

function distinctAcc(): Accumulator {
  // State: sorted distinct values (exact; JSON-friendly).
  const union = (a: Value[], b: Value[]): Value[] => {
    const out: Value[] = [];
    let i = 0;
    let j = 0;
    while (i < a.length || j < b.length) {
      const c = i >= a.length ? 1 : j >= b.length ? -1 : compareKeys(a[i] as never, b[j] as never);
      if (c <= 0) out.push(a[i++]!);
      else out.push(b[j++]!);
      if (c === 0) j++;
    }
    return out;
  };
  return {
    resultType: 'long',
    init: () => [],
    add: (s, v) => {
      if (v === null) return s;
      const arr = s as Value[];
      // Binary search insert.
      let lo = 0;
      let hi = arr.length;
      while (lo < hi) {
        const mid = (lo + hi) >> 1;
        const c = compareKeys(arr[mid] as never, v as never);
        if (c === 0) return arr;
        if (c < 0) lo = mid + 1;
        else hi = mid;
      }
      arr.splice(lo, 0, v);
      return arr;
    },
    merge: (a, b) => union(a as Value[], b as Value[]),
    result: (s) => BigInt((s as Value[]).length),
  };
}
