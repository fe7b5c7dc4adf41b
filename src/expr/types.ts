// SQL types of expressions and Spark's type coercion rules (non-ANSI): numeric widening, decimal result
// precision/scale of arithmetic (DecimalPrecision with allowPrecisionLoss), and the wider common type of CASE,
// COALESCE and IN. Pure functions over Delta type names; no values here.
import { decimalParams, typeToString } from '../schema/json.js';
import type { DataType } from '../schema/types.js';

/** An expression's type: a Delta type, 'void' (the NULL literal) or 'interval'. */
export type SqlType = DataType | 'void' | 'interval';

const INTEGRAL_RANK: Record<string, number> = { byte: 1, short: 2, integer: 3, long: 4 };
const INTEGRAL_DECIMAL: Record<string, [number, number]> = { byte: [3, 0], short: [5, 0], integer: [10, 0], long: [20, 0] };

export const MAX_PRECISION = 38;
const MINIMUM_ADJUSTED_SCALE = 6;

export function typeName(t: SqlType): string {
  return t === 'void' ? 'null' : t === 'interval' ? 'interval' : typeToString(t as DataType);
}

export function isIntegral(t: SqlType): boolean {
  return typeof t === 'string' && INTEGRAL_RANK[t] !== undefined;
}
export function isFloating(t: SqlType): boolean {
  return t === 'float' || t === 'double';
}
export function decimalOf(t: SqlType): { precision: number; scale: number } | null {
  return typeof t === 'string' && t.startsWith('decimal') ? decimalParams(t as DataType) : null;
}
export function isNumeric(t: SqlType): boolean {
  return isIntegral(t) || isFloating(t) || decimalOf(t) !== null;
}
export function isTimestamp(t: SqlType): boolean {
  return t === 'timestamp' || t === 'timestamp_ntz';
}
export function isDatetime(t: SqlType): boolean {
  return t === 'date' || isTimestamp(t);
}
export function isPrimitiveType(t: SqlType): t is DataType & string {
  return typeof t === 'string' && t !== 'void' && t !== 'interval';
}

export function decimalType(precision: number, scale: number): DataType {
  return `decimal(${precision},${scale})`;
}

/** An integral or decimal type as a decimal (Spark's DecimalType.forType); null for others. */
export function asDecimal(t: SqlType): { precision: number; scale: number } | null {
  const d = decimalOf(t);
  if (d) return d;
  const i = typeof t === 'string' ? INTEGRAL_DECIMAL[t] : undefined;
  return i ? { precision: i[0], scale: i[1] } : null;
}

/** Spark's DecimalType.adjustPrecisionScale: a result wider than 38 digits keeps integral digits, losing scale. */
export function boundedDecimal(precision: number, scale: number): { precision: number; scale: number } {
  if (precision <= MAX_PRECISION) return { precision, scale };
  const intDigits = precision - scale;
  const minScale = Math.min(scale, MINIMUM_ADJUSTED_SCALE);
  return { precision: MAX_PRECISION, scale: Math.max(MAX_PRECISION - intDigits, minScale) };
}

export function widerIntegral(a: SqlType, b: SqlType): DataType {
  return (INTEGRAL_RANK[a as string]! >= INTEGRAL_RANK[b as string]! ? a : b) as DataType;
}

/** Spark's DecimalPrecision.widerDecimalType: holds every value of both (bounded to 38 digits). */
export function widerDecimal(a: { precision: number; scale: number }, b: { precision: number; scale: number }): DataType {
  const scale = Math.max(a.scale, b.scale);
  const range = Math.max(a.precision - a.scale, b.precision - b.scale);
  return decimalType(Math.min(MAX_PRECISION, range + scale), Math.min(scale, MAX_PRECISION));
}

/**
 * The common type two values are converted to (CASE branches, COALESCE, IN, comparisons): numeric widening,
 * date and timestamp to timestamp, and string with any other primitive to string (Spark's findWiderCommonType).
 * Null when there is none.
 */
export function widerType(a: SqlType, b: SqlType): SqlType | null {
  if (a === 'void') return b;
  if (b === 'void') return a;
  if (a === b) return a;
  if (typeof a !== 'string' || typeof b !== 'string') return JSON.stringify(a) === JSON.stringify(b) ? a : null;
  if (isNumeric(a) && isNumeric(b)) {
    if (isFloating(a) || isFloating(b)) return a === 'float' && b === 'float' ? 'float' : 'double';
    if (isIntegral(a) && isIntegral(b)) return widerIntegral(a, b);
    return widerDecimal(asDecimal(a)!, asDecimal(b)!);
  }
  if (isDatetime(a) && isDatetime(b)) return a === 'timestamp_ntz' && b !== 'timestamp' ? 'timestamp_ntz' : b === 'timestamp_ntz' && a !== 'timestamp' ? 'timestamp_ntz' : 'timestamp';
  if ((a === 'string' && isPrimitiveType(b) && b !== 'binary') || (b === 'string' && isPrimitiveType(a) && a !== 'binary')) {
    return 'string';
  }
  return null;
}

/**
 * Result type of `a op b` for + - * / % on numeric types (Spark's DecimalPrecision / arithmetic rules):
 * integral op integral is the wider integral (`/` is double), any float or double makes double (float op float
 * stays float), decimals follow Spark's precision/scale formulas, bounded to 38 digits.
 */
export function arithmeticType(op: '+' | '-' | '*' | '/' | '%', a: SqlType, b: SqlType): DataType | null {
  if (!isNumeric(a) || !isNumeric(b)) return null;
  if (isFloating(a) || isFloating(b)) return a === 'float' && b === 'float' && op !== '/' ? 'float' : 'double';
  if (isIntegral(a) && isIntegral(b)) return op === '/' ? 'double' : widerIntegral(a, b);
  const x = asDecimal(a)!;
  const y = asDecimal(b)!;
  let p: number;
  let s: number;
  switch (op) {
    case '+':
    case '-':
      s = Math.max(x.scale, y.scale);
      p = Math.max(x.precision - x.scale, y.precision - y.scale) + s + 1;
      break;
    case '*':
      s = x.scale + y.scale;
      p = x.precision + y.precision + 1;
      break;
    case '/':
      s = Math.max(MINIMUM_ADJUSTED_SCALE, x.scale + y.precision + 1);
      p = x.precision - x.scale + y.scale + s;
      break;
    case '%':
      s = Math.max(x.scale, y.scale);
      p = Math.min(x.precision - x.scale, y.precision - y.scale) + s;
      break;
  }
  const r = boundedDecimal(p, s);
  return decimalType(r.precision, r.scale);
}
