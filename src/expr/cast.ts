// CAST between SQL types, value by value (Spark non-ANSI semantics where they give a value or null; a number that
// does not fit its target integral/decimal type is an ArithmeticOverflowError instead of Spark's wrap-around).
import { ArithmeticOverflowError, ExpressionError } from '../errors.js';
import type { Value } from '../schema/access/get.js';
import { javaFloatingString } from '../schema/partition_values.js';
import { MICROS_PER_DAY, floorDiv, formatDate, formatDecimal, formatTimestamp, pow10 } from '../schema/values.js';
import { parseDecimalText, parseNonFiniteText, parseTimestampText } from './typed_values.js';
import { type SqlType, asDecimal, decimalOf, isIntegral, typeName } from './types.js';

export type Caster = (v: Value) => Value;

const INT_RANGE: Record<string, [bigint, bigint]> = {
  byte: [-128n, 127n],
  short: [-32768n, 32767n],
  integer: [-2147483648n, 2147483647n],
  long: [-(2n ** 63n), 2n ** 63n - 1n],
};

const utf8 = new TextEncoder();
const utf8Decoder = new TextDecoder();

/** Round an exact rational to `scale` digits, HALF_UP (Spark's decimal rounding). */
export function roundHalfUp(unscaled: bigint, fromScale: number, toScale: number): bigint {
  if (toScale >= fromScale) return unscaled * pow10(toScale - fromScale);
  const div = pow10(fromScale - toScale);
  const q = unscaled / div;
  const r = unscaled % div;
  const twice = (r < 0n ? -r : r) * 2n;
  if (twice >= div) return unscaled < 0n ? q - 1n : q + 1n;
  return q;
}

function fitsPrecision(unscaled: bigint, precision: number): boolean {
  const lim = pow10(precision);
  return unscaled < lim && unscaled > -lim;
}

/** Integral bigint checked against the range of integral type `t` (as bigint for long, number otherwise). */
export function checkIntegral(v: bigint, t: string, what: () => string): number | bigint {
  const [lo, hi] = INT_RANGE[t]!;
  if (v < lo || v > hi) throw new ArithmeticOverflowError(`${what()}: ${v} does not fit ${t}`);
  return t === 'long' ? v : Number(v);
}

/** Exact value of a numeric Value of type `t` as an unscaled integer at `scale` (truncating extra digits). */
function exactOf(v: Value, t: SqlType): { unscaled: bigint; scale: number } {
  const d = decimalOf(t);
  if (d) return { unscaled: v as bigint, scale: d.scale };
  return { unscaled: BigInt(v as number | bigint), scale: 0 };
}

function doubleOf(v: Value, t: SqlType): number {
  const d = decimalOf(t);
  if (d) return Number(formatDecimal(v as bigint, d.scale));
  if (typeof v === 'boolean') return v ? 1 : 0;
  return Number(v as number | bigint);
}

/** A number (double) to the integral type `to`: truncation toward zero; NaN/infinite/out of range is an error. */
function doubleToIntegral(x: number, to: string, what: () => string): number | bigint {
  if (!Number.isFinite(x)) throw new ArithmeticOverflowError(`${what()}: ${x} does not fit ${to}`);
  return checkIntegral(BigInt(Math.trunc(x)), to, what);
}

function stringToBoolean(s: string): boolean | null {
  const t = s.trim().toLowerCase();
  if (['t', 'true', 'y', 'yes', '1'].includes(t)) return true;
  if (['f', 'false', 'n', 'no', '0'].includes(t)) return false;
  return null;
}

function valueToString(v: Value, from: SqlType): string {
  // Spark casts with Java's Double.toString / Float.toString (a float by its own shortest digits: 0.1f is '0.1').
  if (from === 'double' || from === 'float') return javaFloatingString(v as number, from === 'float');
  const d = decimalOf(from);
  if (d) return formatDecimal(v as bigint, d.scale);
  switch (from) {
    case 'date':
      return formatDate(v as number);
    case 'timestamp':
    case 'timestamp_ntz':
      return formatTimestamp(v as bigint);
    case 'binary':
      return utf8Decoder.decode(v as Uint8Array);
    default:
      return String(v);
  }
}

/**
 * A value converter from type `from` to `to`. Strings that do not parse as the target give null (Spark non-ANSI);
 * numbers that do not fit an integral or decimal target throw ArithmeticOverflowError. `where` names the
 * expression for errors.
 */
export function caster(from: SqlType, to: SqlType, where: () => string): Caster {
  if (from === to || from === 'void') return (v) => v;
  if (typeof to !== 'string' || typeof from !== 'string') {
    throw new ExpressionError(`cannot cast ${typeName(from)} to ${typeName(to)} in ${where()}`);
  }
  const what = () => `CAST(${where()} AS ${typeName(to)})`;
  const fail = (): never => {
    throw new ExpressionError(`cannot cast ${typeName(from)} to ${typeName(to)} in ${where()}`);
  };
  if (to === 'string') {
    if (from === 'interval') fail();
    return (v) => (v === null ? null : valueToString(v, from));
  }
  if (to === 'binary') {
    if (from !== 'string') fail();
    return (v) => (v === null ? null : utf8.encode(v as string));
  }
  if (to === 'boolean') {
    if (from === 'string') return (v) => (v === null ? null : stringToBoolean(v as string));
    if (isIntegral(from) || from === 'float' || from === 'double') return (v) => (v === null ? null : doubleOf(v, from) !== 0);
    if (decimalOf(from)) return (v) => (v === null ? null : (v as bigint) !== 0n);
    return fail();
  }
  if (isIntegral(to)) {
    if (isIntegral(from)) return (v) => (v === null ? null : checkIntegral(BigInt(v as number | bigint), to, what));
    if (from === 'float' || from === 'double') return (v) => (v === null ? null : doubleToIntegral(v as number, to, what));
    const d = decimalOf(from);
    if (d) return (v) => (v === null ? null : checkIntegral((v as bigint) / pow10(d.scale), to, what));
    if (from === 'boolean') return (v) => (v === null ? null : to === 'long' ? BigInt(v ? 1 : 0) : v ? 1 : 0);
    if (from === 'string') {
      return (v) => {
        if (v === null) return null;
        const r = parseDecimalText(v as string);
        if (!r) return null;
        const i = r.unscaled / pow10(r.scale);
        const [lo, hi] = INT_RANGE[to]!;
        return i < lo || i > hi ? null : to === 'long' ? i : Number(i);
      };
    }
    if (isTimestampType(from) && to === 'long') return (v) => (v === null ? null : floorDiv(v as bigint, 1_000_000n));
    return fail();
  }
  if (to === 'float' || to === 'double') {
    const round = to === 'float' ? Math.fround : (x: number) => x;
    if (isIntegral(from) || from === 'float' || from === 'double' || decimalOf(from) || from === 'boolean') {
      return (v) => (v === null ? null : round(doubleOf(v, from)));
    }
    if (from === 'string') {
      return (v) => {
        if (v === null) return null;
        const t = (v as string).trim();
        const special = parseNonFiniteText(t);
        if (special !== null) return round(special);
        return parseDecimalText(t) ? round(Number(t)) : null;
      };
    }
    if (isTimestampType(from)) return (v) => (v === null ? null : round(Number(v as bigint) / 1e6));
    return fail();
  }
  const dec = decimalOf(to);
  if (dec) {
    const fits = (u: bigint): bigint => {
      if (!fitsPrecision(u, dec.precision)) throw new ArithmeticOverflowError(`${what()}: value does not fit ${typeName(to)}`);
      return u;
    };
    if (isIntegral(from) || decimalOf(from)) {
      const src = asDecimal(from)!;
      return (v) => (v === null ? null : fits(roundHalfUp(exactOf(v, from).unscaled, src.scale, dec.scale)));
    }
    if (from === 'float' || from === 'double') {
      return (v) => {
        if (v === null) return null;
        const x = v as number;
        if (!Number.isFinite(x)) throw new ArithmeticOverflowError(`${what()}: ${x} does not fit ${typeName(to)}`);
        const r = parseDecimalText(String(x))!;
        return fits(roundHalfUp(r.unscaled, r.scale, dec.scale));
      };
    }
    if (from === 'string') {
      return (v) => {
        if (v === null) return null;
        const r = parseDecimalText(v as string);
        if (!r) return null;
        const u = roundHalfUp(r.unscaled, r.scale, dec.scale);
        return fitsPrecision(u, dec.precision) ? u : null;
      };
    }
    if (from === 'boolean') return (v) => (v === null ? null : (v ? 1n : 0n) * pow10(dec.scale));
    return fail();
  }
  if (to === 'date') {
    if (isTimestampType(from)) return (v) => (v === null ? null : Number(floorDiv(v as bigint, MICROS_PER_DAY)));
    if (from === 'string') {
      return (v) => {
        if (v === null) return null;
        const p = parseTimestampText(v as string);
        return p ? Number(floorDiv(p.micros, MICROS_PER_DAY)) : null;
      };
    }
    return fail();
  }
  if (to === 'timestamp' || to === 'timestamp_ntz') {
    if (isTimestampType(from)) return (v) => v;
    if (from === 'date') return (v) => (v === null ? null : BigInt(v as number) * MICROS_PER_DAY);
    if (from === 'string') {
      return (v) => {
        if (v === null) return null;
        const p = parseTimestampText(v as string);
        return p ? p.micros : null;
      };
    }
    if (isIntegral(from)) return (v) => (v === null ? null : BigInt(v as number | bigint) * 1_000_000n);
    return fail();
  }
  return fail();
}

function isTimestampType(t: SqlType): boolean {
  return t === 'timestamp' || t === 'timestamp_ntz';
}
