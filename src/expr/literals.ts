// Literals: making them from JS values and text (lit, dateLit, timestampLit, interval), and the SQL type of each.
// A number literal's type follows Spark: integers int/long, `2.5` decimal(2,1), `1e3` and JS fractions double.
import { ExpressionError, InvalidArgumentError } from '../errors.js';
import type { DataType } from '../schema/types.js';
import { MICROS_PER_DAY } from '../schema/values.js';
import type { Literal } from './ast.js';
import { numberToRational, parseDecimalText, parseTimestampText, type Rational } from './typed_values.js';

/** Values accepted wherever the builder takes a literal. */
export type LiteralValue = string | number | bigint | boolean | null | Date | Uint8Array;

export function isLiteral(v: unknown): v is Literal {
  return v !== null && typeof v === 'object' && (v as { kind?: unknown }).kind === 'literal';
}

/** A literal from a JS value (a Literal passes through). */
export function literalOf(v: LiteralValue | Literal): Literal {
  if (v === null) return { kind: 'literal', type: 'null' };
  if (typeof v === 'string') return { kind: 'literal', type: 'string', value: v };
  if (typeof v === 'number') {
    if (!Number.isFinite(v)) throw new InvalidArgumentError(`predicate literal must be a finite number, got ${v}`);
    return { kind: 'literal', type: 'number', value: v };
  }
  if (typeof v === 'bigint') return { kind: 'literal', type: 'bigint', value: v };
  if (typeof v === 'boolean') return { kind: 'literal', type: 'boolean', value: v };
  if (v instanceof Date) {
    const ms = v.getTime();
    if (Number.isNaN(ms)) throw new InvalidArgumentError('predicate literal is an invalid Date');
    return { kind: 'literal', type: 'timestamp', micros: BigInt(ms) * 1000n };
  }
  if (v instanceof Uint8Array) return { kind: 'literal', type: 'binary', value: v };
  if (isLiteral(v)) return v;
  throw new InvalidArgumentError(`unsupported literal ${String(v)}`);
}

/** A DATE literal from `YYYY-MM-DD`. */
export function dateLiteral(text: string): Literal {
  const p = parseTimestampText(text);
  if (!p || !p.dateOnly) throw new InvalidArgumentError(`invalid DATE literal '${text}' (expected YYYY-MM-DD)`);
  return { kind: 'literal', type: 'date', days: Number(p.micros / MICROS_PER_DAY) };
}

/** A TIMESTAMP literal from text (`YYYY-MM-DD HH:MM:SS[.ffffff]`, ISO-8601; no zone = UTC) or microseconds. */
export function timestampLiteral(v: string | bigint): Literal {
  if (typeof v === 'bigint') return { kind: 'literal', type: 'timestamp', micros: v };
  const p = parseTimestampText(v);
  if (!p) throw new InvalidArgumentError(`invalid TIMESTAMP literal '${v}' (expected YYYY-MM-DD HH:MM:SS[.ffffff])`);
  return { kind: 'literal', type: 'timestamp', micros: p.micros };
}

const DAY_TIME_UNITS: Record<string, bigint> = {
  WEEK: 7n * MICROS_PER_DAY,
  DAY: MICROS_PER_DAY,
  HOUR: 3_600_000_000n,
  MINUTE: 60_000_000n,
  SECOND: 1_000_000n,
  MILLISECOND: 1000n,
  MICROSECOND: 1n,
};
const YEAR_MONTH_UNITS: Record<string, number> = { YEAR: 12, MONTH: 1 };

/** `INTERVAL '<n>' <unit>` (unit singular or plural, any case; SECOND may be fractional); null when invalid. */
export function intervalLiteral(text: string, unitName: string): Literal | null {
  let unit = unitName.toUpperCase();
  if (unit.endsWith('S') && (DAY_TIME_UNITS[unit.slice(0, -1)] !== undefined || YEAR_MONTH_UNITS[unit.slice(0, -1)] !== undefined)) {
    unit = unit.slice(0, -1);
  }
  const r = parseDecimalText(text);
  if (!r || !/^\s*[+-]?\d+(\.\d+)?\s*$/.test(text)) return null;
  if (YEAR_MONTH_UNITS[unit] !== undefined) {
    if (r.scale !== 0) return null;
    return { kind: 'literal', type: 'interval', months: Number(r.unscaled) * YEAR_MONTH_UNITS[unit]!, micros: 0n };
  }
  const per = DAY_TIME_UNITS[unit];
  if (per === undefined) return null;
  const scaled = r.unscaled * per;
  const div = 10n ** BigInt(r.scale);
  if (scaled % div !== 0n) return null; // finer than a microsecond
  return { kind: 'literal', type: 'interval', months: 0, micros: scaled / div };
}

/** An interval literal from parts: `interval(5, 'minute')`. */
export function interval(n: number | bigint, unit: string): Literal {
  const lit = intervalLiteral(String(n), unit);
  if (!lit) throw new ExpressionError(`invalid interval ${String(n)} ${unit} (units: YEAR, MONTH, WEEK, DAY, HOUR, MINUTE, SECOND, MILLISECOND, MICROSECOND)`);
  return lit;
}

/** The exact value of a number literal. */
export function literalRational(l: Literal): Rational | null {
  if (l.type === 'number') return l.text !== undefined ? parseDecimalText(l.text) : numberToRational(l.value);
  if (l.type === 'bigint') return { unscaled: l.value, scale: 0 };
  return null;
}

/** Digits of an unscaled decimal value. */
export function digitsOf(unscaled: bigint): number {
  return (unscaled < 0n ? -unscaled : unscaled).toString().length;
}

/** SQL type of a literal; 'void' for NULL, 'interval' for intervals. */
export function literalType(l: Literal): DataType | 'void' | 'interval' {
  switch (l.type) {
    case 'null':
      return 'void';
    case 'string':
      return 'string';
    case 'boolean':
      return 'boolean';
    case 'date':
      return 'date';
    case 'timestamp':
      return 'timestamp';
    case 'binary':
      return 'binary';
    case 'interval':
      return 'interval';
    case 'bigint':
      return l.value >= -(2n ** 63n) && l.value < 2n ** 63n ? 'long' : `decimal(${Math.min(38, digitsOf(l.value))},0)`;
    case 'number': {
      if (Number.isInteger(l.value) && (l.text === undefined || /^[+-]?\d+$/.test(l.text))) {
        return l.value >= -2147483648 && l.value <= 2147483647 ? 'integer' : 'long';
      }
      if (l.text === undefined || /[eE]/.test(l.text)) return 'double';
      const r = parseDecimalText(l.text)!;
      const precision = Math.max(digitsOf(r.unscaled), r.scale, 1);
      return precision <= 38 ? `decimal(${precision},${r.scale})` : 'double';
    }
  }
}
