// Comparable values by Delta type ("keys"): exact decimals, bigint longs and timestamp micros, code-point
// string order, date/timestamp text parsing. Pure functions shared by the expression engine and pruning; no I/O.
import { decimalParams } from '../schema/json.js';
import type { DataType } from '../schema/types.js';
import { MICROS_PER_DAY, daysFromCivil, floorDiv } from '../schema/values.js';

/**
 * Comparison domain of a Delta primitive type. The JS representation of a key per domain:
 * int: number (byte/short/integer) | long: bigint | float: number (float/double) | decimal: bigint unscaled at
 * `scale` | string: string | binary: Uint8Array | boolean: boolean | date: number (days since epoch) |
 * timestamp: bigint (microseconds since epoch; timestamp_ntz uses wall-clock micros as if UTC).
 */
export type Domain =
  | { kind: 'int' }
  | { kind: 'long' }
  | { kind: 'float' }
  | { kind: 'decimal'; precision: number; scale: number }
  | { kind: 'string' }
  | { kind: 'binary' }
  | { kind: 'boolean' }
  | { kind: 'date' }
  | { kind: 'timestamp' };

export type Key = number | bigint | string | boolean | Uint8Array;

/** Domain of a Delta type; null for struct/array/map (not comparable). */
export function domainOf(t: DataType): Domain | null {
  if (typeof t !== 'string') return null;
  switch (t) {
    case 'byte':
    case 'short':
    case 'integer':
      return { kind: 'int' };
    case 'long':
      return { kind: 'long' };
    case 'float':
    case 'double':
      return { kind: 'float' };
    case 'string':
      return { kind: 'string' };
    case 'binary':
      return { kind: 'binary' };
    case 'boolean':
      return { kind: 'boolean' };
    case 'date':
      return { kind: 'date' };
    case 'timestamp':
    case 'timestamp_ntz':
      return { kind: 'timestamp' };
    default: {
      const d = decimalParams(t);
      return d ? { kind: 'decimal', precision: d.precision, scale: d.scale } : null;
    }
  }
}

/**
 * Strings compare by UTF-8 byte order, which equals Unicode code point order. JS `<` compares UTF-16 code
 * units, which puts astral characters (surrogates 0xD800-0xDFFF) below U+E000..U+FFFF; fix that up.
 */
export function compareStrings(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    let x = a.charCodeAt(i);
    let y = b.charCodeAt(i);
    if (x === y) continue;
    if (x >= 0xd800 && y >= 0xd800) {
      x = x >= 0xe000 ? x - 0x800 : x + 0x2000;
      y = y >= 0xe000 ? y - 0x800 : y + 0x2000;
    }
    return x < y ? -1 : 1;
  }
  return a.length - b.length < 0 ? -1 : a.length === b.length ? 0 : 1;
}

export function compareBytes(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    if (a[i] !== b[i]) return a[i]! < b[i]! ? -1 : 1;
  }
  return a.length < b.length ? -1 : a.length === b.length ? 0 : 1;
}

/** Total order of keys of one domain (floats: NaN equals NaN and is above every number, as in Spark). */
export function compareKeys(a: Key, b: Key): number {
  if (typeof a === 'string') return compareStrings(a, b as string);
  if (a instanceof Uint8Array) return compareBytes(a, b as Uint8Array);
  if (typeof a === 'number') {
    const bn = b as number;
    if (Number.isNaN(a) || Number.isNaN(bn)) return Number.isNaN(a) ? (Number.isNaN(bn) ? 0 : 1) : -1;
    return a < bn ? -1 : a > bn ? 1 : 0;
  }
  if (typeof a === 'bigint') {
    const bb = b as bigint;
    return a < bb ? -1 : a > bb ? 1 : 0;
  }
  // boolean: false < true
  return a === b ? 0 : a ? 1 : -1;
}

// ---------------------------------------------------------------------------------------------------------
// Exact decimal numbers

/** An exact decimal number: unscaled * 10^-scale (scale >= 0). */
export interface Rational {
  unscaled: bigint;
  scale: number;
}

const NUMBER_RE = /^\s*([+-]?)(\d*)(?:\.(\d*))?(?:[eE]([+-]?\d+))?\s*$/;

/** Parse decimal text (`-12.5`, `0E-10`, `1e+21`) exactly; null when it is not a finite number. */
export function parseDecimalText(text: string): Rational | null {
  const m = NUMBER_RE.exec(text);
  if (!m) return null;
  const intPart = m[2] ?? '';
  const frac = m[3] ?? '';
  if (intPart === '' && frac === '') return null;
  const exp = m[4] ? Number(m[4]) : 0;
  if (!Number.isSafeInteger(exp) || Math.abs(exp) > 10_000) return null;
  let unscaled = BigInt((intPart || '0') + frac);
  let scale = frac.length - exp;
  if (scale < 0) {
    unscaled *= 10n ** BigInt(-scale);
    scale = 0;
  }
  if (m[1] === '-') unscaled = -unscaled;
  return { unscaled, scale };
}

/**
 * The non-finite value of a text Spark's string-to-double cast reads (trimmed, any case: `NaN`, `Infinity`,
 * `-Infinity`, `inf`, `+inf`, `-nan` ...); null for any other text.
 */
export function parseNonFiniteText(text: string): number | null {
  const m = /^\s*([+-]?)(nan|infinity|inf)\s*$/i.exec(text);
  if (!m) return null;
  if (m[2]!.toLowerCase() === 'nan') return Number.NaN;
  return m[1] === '-' ? -Infinity : Infinity;
}

/** Exact value of a JS number (via its shortest round-trip decimal text, which is what users typed). */
export function numberToRational(n: number): Rational | null {
  if (!Number.isFinite(n)) return null;
  return parseDecimalText(String(n));
}

/**
 * Rescale to `scale`. When the value has more fractional digits than `scale` it lies strictly between two
 * representable values: `{exact: false, floor, ceil}` (ceil = floor + 1).
 */
export function rescale(r: Rational, scale: number): { exact: true; value: bigint } | { exact: false; floor: bigint; ceil: bigint } {
  if (r.scale <= scale) return { exact: true, value: r.unscaled * 10n ** BigInt(scale - r.scale) };
  const div = 10n ** BigInt(r.scale - scale);
  const floor = floorDiv(r.unscaled, div);
  if (floor * div === r.unscaled) return { exact: true, value: floor };
  return { exact: false, floor, ceil: floor + 1n };
}

// ---------------------------------------------------------------------------------------------------------
// Dates and timestamps (proleptic Gregorian, UTC)

function daysInMonth(y: number, m: number): number {
  if (m === 2) return (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0 ? 29 : 28;
  return [4, 6, 9, 11].includes(m) ? 30 : 31;
}

const TS_RE =
  /^\s*([+-]?\d{4,6})-(\d{1,2})-(\d{1,2})(?:(?:[T ]|\s+)(\d{1,2}):(\d{2})(?::(\d{2})(?:\.(\d{0,9}))?)?)?\s*(Z|UTC|[+-]\d{2}(?::?\d{2})?)?\s*$/i;

export interface ParsedTimestamp {
  /** Microseconds since the epoch (UTC; a text without zone is read as UTC). */
  micros: bigint;
  /** True when the text had no time part (a plain date). */
  dateOnly: boolean;
  /** Number of fractional-second digits in the text (0 when none). */
  fractionDigits: number;
}

/**
 * Parse `YYYY-MM-DD`, `YYYY-MM-DD HH:MM[:SS[.ffffff]]`, ISO-8601 with `T` and `Z`/offset. Text without a zone
 * is read as UTC. Null when malformed or out of range.
 */
export function parseTimestampText(text: string): ParsedTimestamp | null {
  const m = TS_RE.exec(text);
  if (!m) return null;
  const y = Number(m[1]);
  const mo = Number(m[2]);
  const d = Number(m[3]);
  if (mo < 1 || mo > 12 || d < 1 || d > daysInMonth(y, mo)) return null;
  const h = m[4] !== undefined ? Number(m[4]) : 0;
  const mi = m[5] !== undefined ? Number(m[5]) : 0;
  const s = m[6] !== undefined ? Number(m[6]) : 0;
  if (h > 23 || mi > 59 || s > 59) return null;
  const fracText = m[7] ?? '';
  const micros6 = (fracText + '000000').slice(0, 6);
  let offsetMinutes = 0;
  const zone = m[8];
  if (zone && zone.toUpperCase() !== 'Z' && zone.toUpperCase() !== 'UTC') {
    const sign = zone[0] === '-' ? -1 : 1;
    const digits = zone.slice(1).replace(':', '');
    offsetMinutes = sign * (Number(digits.slice(0, 2)) * 60 + (digits.length > 2 ? Number(digits.slice(2, 4)) : 0));
  }
  const days = BigInt(daysFromCivil(y, mo, d));
  const secs = BigInt(h * 3600 + mi * 60 + s - offsetMinutes * 60);
  return {
    micros: days * MICROS_PER_DAY + secs * 1_000_000n + BigInt(micros6),
    dateOnly: m[4] === undefined,
    fractionDigits: fracText.length,
  };
}

/** Decode a 128-bit little-endian two's complement integer from 4 uint32 words at `offset`. */
export function int128FromWords(words: Uint32Array, offset: number): bigint {
  const lo = BigInt(words[offset]!) | (BigInt(words[offset + 1]!) << 32n);
  const hi = BigInt(words[offset + 2]!) | (BigInt(words[offset + 3]!) << 32n);
  return BigInt.asIntN(128, lo | (hi << 64n));
}
