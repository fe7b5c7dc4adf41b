// Scalar functions of the expression engine, one entry each (name, argument check, result type, evaluation):
// COALESCE, NULLIF, ABS, ROUND, LOWER, UPPER, SUBSTRING, LENGTH, CONCAT, DATE_TRUNC, CURRENT_TIMESTAMP.
// Semantics follow Spark SQL; see each entry. No I/O.
import { ArithmeticOverflowError } from '../errors.js';
import type { Value } from '../schema/access/get.js';
import { MICROS_PER_DAY, civilFromDays, daysFromCivil, floorDiv, pow10 } from '../schema/values.js';
import type { Expr } from './ast.js';
import { checkIntegral, roundHalfUp } from './cast.js';
import type { CompileHelpers, Compiled, Input, Scope } from './compiled.js';
import { compareKeys, parseDecimalText } from './typed_values.js';
import { type SqlType, boundedDecimal, decimalOf, isDatetime, isFloating, isIntegral, isNumeric, typeName } from './types.js';

type Arg = { e: Expr; c: Compiled };
type Call = Extract<Expr, { kind: 'call' }>;

interface FunctionDef {
  /** Allowed argument counts [min, max]. */
  arity: [number, number];
  compile(call: Call, args: Arg[], scope: Scope, h: CompileHelpers): Compiled;
}

function rows(input: Input, f: (i: number) => Value): Value[] {
  const out = new Array<Value>(input.numRows);
  for (let i = 0; i < input.numRows; i++) out[i] = f(i);
  return out;
}

/** A function of one argument applied row by row (NULL in, NULL out). */
function unary(type: SqlType, a: Compiled, f: (v: Value) => Value): Compiled {
  return { type, evaluate: (input) => a.evaluate(input).map((v) => (v === null ? null : f(v))) };
}

function needNumber(call: Call, a: Arg, h: CompileHelpers): void {
  if (!isNumeric(a.c.type) && a.c.type !== 'void') {
    throw h.errorAt(a.e, `${call.name} needs a number, but ${h.describe(a.e)} is ${typeName(a.c.type)}`);
  }
}

function stringArg(call: Call, a: Arg, h: CompileHelpers): Compiled {
  if (a.c.type === 'string' || a.c.type === 'void') return a.c;
  if (typeof a.c.type === 'string' && a.c.type !== 'interval') return h.castTo(a.c, 'string', a.e);
  throw h.errorAt(a.e, `${call.name} needs a string, but ${h.describe(a.e)} is ${typeName(a.c.type)}`);
}

function constantInt(call: Call, a: Arg, h: CompileHelpers, what: string): number {
  const v = a.c.constant?.value;
  if (!isIntegral(a.c.type) || v === undefined || v === null) throw h.errorAt(a.e, `${what} of ${call.name} must be an integer literal`);
  return Number(v);
}

/** Code points of a string (Spark counts and slices UTF8String by characters, not UTF-16 units). */
function codePoints(s: string): string[] {
  return [...s];
}

/** Spark's UTF8String.substringSQL: 1-based `pos` (0 = 1, negative counts from the end), optional length. */
export function substringSql(s: string, pos: number, len?: number): string {
  const cps = codePoints(s);
  const n = cps.length;
  let start = pos > 0 ? pos - 1 : pos < 0 ? n + pos : 0;
  const end = len === undefined ? n : start + len;
  start = Math.max(start, 0);
  if (start >= end) return '';
  return cps.slice(start, Math.min(end, n)).join('');
}

const TRUNC_UNITS: Record<string, string> = {
  YEAR: 'YEAR', YYYY: 'YEAR', YY: 'YEAR',
  QUARTER: 'QUARTER',
  MONTH: 'MONTH', MON: 'MONTH', MM: 'MONTH',
  WEEK: 'WEEK',
  DAY: 'DAY', DD: 'DAY',
  HOUR: 'HOUR', MINUTE: 'MINUTE', SECOND: 'SECOND', MILLISECOND: 'MILLISECOND', MICROSECOND: 'MICROSECOND',
};

/** Truncate microseconds since the epoch (UTC) to `unit` (Spark's date_trunc; WEEK starts on Monday). */
export function truncateMicros(micros: bigint, unit: string): bigint {
  const fixed: Record<string, bigint> = { DAY: MICROS_PER_DAY, HOUR: 3_600_000_000n, MINUTE: 60_000_000n, SECOND: 1_000_000n, MILLISECOND: 1000n, MICROSECOND: 1n };
  const step = fixed[unit];
  if (step !== undefined) return floorDiv(micros, step) * step;
  const days = Number(floorDiv(micros, MICROS_PER_DAY));
  if (unit === 'WEEK') {
    const dow = (((days + 3) % 7) + 7) % 7; // 1970-01-01 was a Thursday; Monday = 0
    return BigInt(days - dow) * MICROS_PER_DAY;
  }
  const { y, m } = civilFromDays(days);
  const month = unit === 'YEAR' ? 1 : unit === 'QUARTER' ? m - ((m - 1) % 3) : m;
  return BigInt(daysFromCivil(y, month, 1)) * MICROS_PER_DAY;
}

const FUNCTIONS: Record<string, FunctionDef> = {
  /** First non-null argument, in the wider common type of all. */
  COALESCE: {
    arity: [1, Infinity],
    compile(call, args, _scope, h) {
      const type = h.commonTypeOf(args, 'COALESCE', call);
      const cs = args.map((a) => h.castTo(a.c, type, a.e));
      return {
        type,
        evaluate: (input) => {
          const out = cs[0]!.evaluate(input).slice();
          for (let k = 1; k < cs.length; k++) {
            if (!out.includes(null)) break;
            const next = cs[k]!.evaluate(input);
            for (let i = 0; i < out.length; i++) if (out[i] === null) out[i] = next[i]!;
          }
          return out;
        },
      };
    },
  },
  /** NULL when the arguments are equal, else the first. */
  NULLIF: {
    arity: [2, 2],
    compile(_call, args, _scope, h) {
      const cmp = h.comparison(args[0]!.e, args[1]!.e);
      const a = args[0]!.c;
      return {
        type: a.type,
        evaluate: (input) => {
          const x = a.evaluate(input);
          if (cmp.void) return x;
          const l = cmp.left.evaluate(input);
          const r = cmp.right.evaluate(input);
          return rows(input, (i) => (l[i] !== null && r[i] !== null && compareKeys(cmp.lkey(l[i]!), cmp.rkey(r[i]!)) === 0 ? null : x[i]!));
        },
      };
    },
  },
  /** Absolute value in the argument's type (ABS of the minimum integral value overflows). */
  ABS: {
    arity: [1, 1],
    compile(call, [a], _scope, h) {
      needNumber(call, a!, h);
      const t = a!.c.type;
      if (t === 'long') {
        return unary(t, a!.c, (v) => {
          const x = v as bigint;
          if (x === -(2n ** 63n)) throw h.errorAt(call, `long overflow in ABS(${x})`, ArithmeticOverflowError);
          return x < 0n ? -x : x;
        });
      }
      if (isIntegral(t)) return unary(t, a!.c, (v) => checkIntegral(BigInt(Math.abs(v as number)), t as string, () => `${typeName(t)} overflow in ABS(${String(v)})`));
      if (decimalOf(t)) return unary(t, a!.c, (v) => ((v as bigint) < 0n ? -(v as bigint) : v));
      return unary(t, a!.c, (v) => Math.abs(v as number));
    },
  },
  /** Round HALF_UP to `d` decimal places (default 0); decimals get Spark's result precision. */
  ROUND: {
    arity: [1, 2],
    compile(call, args, _scope, h) {
      const a = args[0]!;
      needNumber(call, a, h);
      const d = args[1] ? constantInt(call, args[1], h, 'the scale') : 0;
      const t = a.c.type;
      if (t === 'void') return a.c;
      if (isFloating(t)) {
        const round = t === 'float' ? Math.fround : (x: number) => x;
        return unary(t, a.c, (v) => {
          const x = v as number;
          if (!Number.isFinite(x)) return x;
          const r = parseDecimalText(String(x))!;
          const u = roundHalfUp(r.unscaled, r.scale, d);
          return round(d >= 0 ? Number(`${u}e-${d}`) : Number(u * pow10(-d)));
        });
      }
      if (isIntegral(t)) {
        if (d >= 0) return a.c;
        const p = pow10(-d);
        return unary(t, a.c, (v) =>
          checkIntegral(roundHalfUp(BigInt(v as number | bigint), 0, d) * p, t as string, () => `${typeName(t)} overflow in ROUND(${String(v)}, ${d})`),
        );
      }
      const dec = decimalOf(t)!;
      const scale = Math.max(0, Math.min(dec.scale, d));
      const r = boundedDecimal(dec.precision - dec.scale + 1 + scale, scale);
      const type: SqlType = `decimal(${r.precision},${r.scale})`;
      return unary(type, a.c, (v) => {
        const u = roundHalfUp(v as bigint, dec.scale, d);
        if (d < 0) return u * pow10(-d);
        return d > scale ? u / pow10(d - scale) : u;
      });
    },
  },
  LOWER: {
    arity: [1, 1],
    compile(call, [a], _scope, h) {
      return unary('string', stringArg(call, a!, h), (v) => (v as string).toLowerCase());
    },
  },
  UPPER: {
    arity: [1, 1],
    compile(call, [a], _scope, h) {
      return unary('string', stringArg(call, a!, h), (v) => (v as string).toUpperCase());
    },
  },
  /** SUBSTRING(s, pos [, len]): 1-based character positions (Spark's substringSQL). */
  SUBSTRING: {
    arity: [2, 3],
    compile(call, args, _scope, h) {
      const s = stringArg(call, args[0]!, h);
      for (const a of args.slice(1)) {
        if (!isIntegral(a.c.type) && a.c.type !== 'void') throw h.errorAt(a.e, `${call.name} needs an integer position/length, but ${h.describe(a.e)} is ${typeName(a.c.type)}`);
      }
      const pos = args[1]!.c;
      const len = args[2]?.c;
      return {
        type: 'string',
        evaluate: (input) => {
          const a = s.evaluate(input);
          const p = pos.evaluate(input);
          const l = len?.evaluate(input);
          return rows(input, (i) => {
            if (a[i] === null || p[i] === null || (l && l[i] === null)) return null;
            return substringSql(a[i] as string, Number(p[i]), l ? Number(l[i]) : undefined);
          });
        },
      };
    },
  },
  /** Characters of a string (code points), bytes of a binary. */
  LENGTH: {
    arity: [1, 1],
    compile(call, [a], _scope, h) {
      if (a!.c.type === 'binary') return unary('integer', a!.c, (v) => (v as Uint8Array).length);
      return unary('integer', stringArg(call, a!, h), (v) => codePoints(v as string).length);
    },
  },
  CONCAT: {
    arity: [1, Infinity],
    compile(call, args, _scope, h) {
      const cs = args.map((a) => stringArg(call, a, h));
      return {
        type: 'string',
        evaluate: (input) => {
          const vals = cs.map((c) => c.evaluate(input));
          return rows(input, (i) => {
            let s = '';
            for (const v of vals) {
              if (v[i] === null) return null;
              s += v[i] as string;
            }
            return s;
          });
        },
      };
    },
  },
  /** DATE_TRUNC(unit, ts): a timestamp truncated to YEAR, QUARTER, MONTH, WEEK, DAY, HOUR, MINUTE, SECOND, ... (UTC). */
  DATE_TRUNC: {
    arity: [2, 2],
    compile(call, [u, a], _scope, h) {
      const unitValue = u!.c.constant?.value;
      if (u!.c.type !== 'string' || typeof unitValue !== 'string') throw h.errorAt(u!.e, 'the unit of DATE_TRUNC must be a string literal');
      const unit = TRUNC_UNITS[unitValue.toUpperCase()];
      if (!unit) throw h.errorAt(u!.e, `unknown DATE_TRUNC unit '${unitValue}' (use one of ${Object.keys(TRUNC_UNITS).join(', ')})`);
      let ts = a!.c;
      if (ts.type === 'date' || ts.type === 'string') ts = h.castTo(ts, 'timestamp', a!.e);
      else if (!isDatetime(ts.type) && ts.type !== 'void') throw h.errorAt(a!.e, `DATE_TRUNC needs a timestamp, but ${h.describe(a!.e)} is ${typeName(ts.type)}`);
      const type: SqlType = ts.type === 'void' ? 'timestamp' : ts.type;
      return unary(type, ts, (v) => truncateMicros(v as bigint, unit));
    },
  },
  /** The query's start time: one value for every row and every call of one compiled expression (as Spark). */
  CURRENT_TIMESTAMP: {
    arity: [0, 0],
    compile(_call, _args, scope) {
      const now = scope.now ?? BigInt(Date.now()) * 1000n;
      return { type: 'timestamp', constant: { value: now }, evaluate: (input) => new Array<Value>(input.numRows).fill(now) };
    },
  },
};

const ALIASES: Record<string, string> = { SUBSTR: 'SUBSTRING', CHAR_LENGTH: 'LENGTH', CHARACTER_LENGTH: 'LENGTH', NOW: 'CURRENT_TIMESTAMP', IFNULL: 'COALESCE', NVL: 'COALESCE' };

/** Names the engine knows, for error messages and docs. */
export const FUNCTION_NAMES = Object.keys(FUNCTIONS);

export function callFunction(call: Call, args: Arg[], scope: Scope, h: CompileHelpers): Compiled {
  const name = ALIASES[call.name] ?? call.name;
  const def = FUNCTIONS[name];
  if (!def) throw h.errorAt(call, `unknown function ${call.name} (known: ${FUNCTION_NAMES.join(', ')})`);
  const [min, max] = def.arity;
  if (args.length < min || args.length > max) {
    const want = min === max ? `${min}` : max === Infinity ? `at least ${min}` : `${min} to ${max}`;
    throw h.errorAt(call, `${call.name} takes ${want} argument${min === 1 && max === 1 ? '' : 's'}, got ${args.length}`);
  }
  return def.compile(call, args, scope, h);
}
