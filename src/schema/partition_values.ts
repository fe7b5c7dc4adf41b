// Partition values (PROTOCOL.md "Partition Value Serialization"): typed value <-> add.partitionValues string,
// Hive/Spark partition directory escaping, and the add.path string Spark writes. No I/O.
import type * as arrow from 'apache-arrow';
import { ProtocolError, SchemaMismatchError } from '../errors.js';
import { decimalParams, typeToString } from './json.js';
import { parseDateString, parseTimestampString, toUnscaledDecimal, toValue } from './objects.js';
import type { DataType } from './types.js';
import { formatDate, formatDecimal, formatTimestampMicros } from './values.js';
import { buildData } from './vectors.js';
import { readValues, type Value } from './access/get.js';

/** Directory value Hive/Spark use for a null (or empty-string) partition value. */
export const HIVE_DEFAULT_PARTITION = '__HIVE_DEFAULT_PARTITION__';

/**
 * Java's Double.toString / Float.toString, which Spark uses to cast a double/float partition value to its string
 * (PROTOCOL.md "Partition Value Serialization": "the string representation of the number"): the shortest
 * decimal that reads back as the same double (float32 when `float32`), the closest such if several (JDK 19+
 * rules, incl. "when one digit suffices, two digits if closer": 4.9E-324, 1.4E-45); plain notation for
 * 1e-3 <= |x| < 1e7 ("100.0", "0.001"), otherwise "d.dddE<n>" ("1.0E20", "1.0E-4"); "NaN", "Infinity",
 * "-Infinity", "-0.0".
 */
export function javaFloatingString(value: number, float32: boolean): string {
  const x = float32 ? Math.fround(value) : value;
  if (Number.isNaN(x)) return 'NaN';
  if (!Number.isFinite(x)) return x > 0 ? 'Infinity' : '-Infinity';
  if (x === 0) return Object.is(x, -0) ? '-0.0' : '0.0';
  const v = Math.abs(x);
  const { digits, exp } = shortestDecimal(v, float32);
  const sign = x < 0 ? '-' : '';
  if (exp >= -3 && exp < 7) {
    if (exp < 0) return `${sign}0.${'0'.repeat(-exp - 1)}${digits}`;
    const int = digits.slice(0, exp + 1).padEnd(exp + 1, '0');
    return `${sign}${int}.${digits.slice(exp + 1) || '0'}`;
  }
  return `${sign}${digits[0]}.${digits.slice(1) || '0'}E${exp}`;
}

/** Digits (no trailing zeros) and decimal exponent of the decimal javaFloatingString prints for v > 0. */
function shortestDecimal(v: number, float32: boolean): { digits: string; exp: number } {
  const readsBack = (c: Decimal): boolean => {
    const n = Number(`${c.n}e${c.k}`);
    return (float32 ? Math.fround(n) : n) === v;
  };
  const exact = exactBinary(v);
  // The n-digit decimal closest to v that reads back as v (ties to an even last digit), or null if none does.
  // toExponential rounds exactly (ties up); the answer is it or a neighbour, since the rounding interval of v
  // may lie more to one side (below a power of two it is half as wide).
  const closest = (len: number): Decimal | null => {
    const [m, e] = v.toExponential(len - 1).split('e') as [string, string];
    const n0 = BigInt(m.replace('.', ''));
    const k = Number(e) - (len - 1);
    let best: Decimal | null = null;
    for (const n of [n0 - 1n, n0, n0 + 1n]) {
      const c = { n, k };
      if (n <= 0n || !readsBack(c)) continue;
      const cmp = best === null ? -1 : compareDistance(c, best, exact);
      if (cmp < 0 || (cmp === 0 && n % 2n === 0n)) best = c;
    }
    return best;
  };
  // ECMAScript's shortest round-trip digits give the length for a double; a float32 may need fewer.
  const start = float32 ? 1 : v.toExponential().split('e')[0]!.replace('.', '').length;
  for (let len = start; len <= 17; len++) {
    let c = closest(len);
    if (!c) continue;
    if (len === 1) {
      // Java: when one digit suffices, the closest of the 1- and 2-digit decimals (4.9E-324, not 5.0E-324).
      const c2 = closest(2);
      if (c2 && compareDistance(c2, c, exact) < 0) c = c2;
    }
    const text = c.n.toString();
    return { digits: text.replace(/(?<=.)0+$/, ''), exp: c.k + text.length - 1 };
  }
  throw new Error(`unreachable: no decimal reads back as ${v}`);
}

/** n * 10^k. */
type Decimal = { n: bigint; k: number };

/** The finite double v > 0 exactly, as m * 2^e. */
function exactBinary(v: number): { m: bigint; e: number } {
  const view = new DataView(new ArrayBuffer(8));
  view.setFloat64(0, v);
  const bits = view.getBigUint64(0);
  const biased = Number((bits >> 52n) & 0x7ffn);
  const fraction = bits & ((1n << 52n) - 1n);
  return biased === 0 ? { m: fraction, e: -1074 } : { m: fraction | (1n << 52n), e: biased - 1075 };
}

/** Sign of |a - v| - |b - v|, exactly (v = m * 2^e). */
function compareDistance(a: Decimal, b: Decimal, v: { m: bigint; e: number }): number {
  // Scale everything by 2^p * 10^q so that v, a and b are integers.
  const p = Math.max(0, -v.e);
  const q = Math.max(0, -a.k, -b.k);
  const scaled = (c: Decimal): bigint => c.n * 10n ** BigInt(c.k + q) * 2n ** BigInt(p);
  const vs = v.m * 2n ** BigInt(v.e + p) * 10n ** BigInt(q);
  const abs = (x: bigint): bigint => (x < 0n ? -x : x);
  const d = abs(scaled(a) - vs) - abs(scaled(b) - vs);
  return d < 0n ? -1 : d > 0n ? 1 : 0;
}

const utf8Decoder = new TextDecoder('utf-8', { fatal: true });

/** Partition string of a normalized value (vectors.ts `Value` convention: decimal = unscaled bigint). */
export function serializeNormalizedPartitionValue(v: Value, type: DataType): string | null {
  if (v === null) return null;
  if (typeof type !== 'string') {
    throw new SchemaMismatchError(`partition columns must have a primitive type, not ${typeToString(type)}`);
  }
  switch (type) {
    case 'string':
      return v as string;
    case 'long':
    case 'integer':
    case 'short':
    case 'byte':
      return String(v);
    case 'float':
      return javaFloatingString(v as number, true);
    case 'double':
      return javaFloatingString(v as number, false);
    case 'boolean':
      return v ? 'true' : 'false';
    case 'date':
      return formatDate(v as number);
    case 'timestamp':
    case 'timestamp_ntz':
      return formatTimestampMicros(v as bigint);
    case 'binary': {
      // PROTOCOL.md: "a string of escaped binary values" — the bytes as a (UTF-8) string, as Spark casts them.
      const b = v as Uint8Array;
      try {
        return utf8Decoder.decode(b);
      } catch {
        return String.fromCharCode(...b);
      }
    }
    default: {
      const d = decimalParams(type)!;
      return formatDecimal(v as bigint, d.scale);
    }
  }
}

/**
 * `add.partitionValues` string of a JS value (null -> null). Accepted values as for objectsToArrow:
 * numbers/bigints for integers, Date/ISO string/bigint micros/number ms for timestamps, Date/'YYYY-MM-DD'/days
 * for dates, string/number/bigint (integer value) for decimals, Uint8Array for binary.
 * Timestamps are written as `YYYY-MM-DD HH:MM:SS.ffffff` in UTC.
 */
export function serializePartitionValue(value: unknown, type: DataType): string | null {
  if (value === null || value === undefined) return null;
  const d = typeof type === 'string' ? decimalParams(type) : null;
  if (d) {
    const u = toUnscaledDecimal(value, d.precision, d.scale);
    if (typeof u === 'string') throw new SchemaMismatchError(`partition value ${String(value)} is not a valid ${type}: ${u}`);
    return formatDecimal(u, d.scale);
  }
  // Reuse the row-value validation of objects.ts through a one-row normalization.
  return serializeNormalizedPartitionValue(normalize(value, type), type);
}

function normalize(value: unknown, type: DataType): Value {
  return toValue(value, type, '<partition>', 0);
}

/** Partition strings of every row of an Arrow column (any readable shape), for the writer. */
export function serializePartitionColumn(data: arrow.Data, type: DataType, column = '<partition>'): (string | null)[] {
  return readValues(data, type, { loss: 'error', path: column }).map((v) => serializeNormalizedPartitionValue(v, type));
}

const INT_LIMITS: Record<string, [number, number]> = {
  integer: [-2147483648, 2147483647],
  short: [-32768, 32767],
  byte: [-128, 127],
};

/**
 * Normalized value (vectors.ts convention: long/timestamps bigint, date days, decimal UNSCALED bigint) of a
 * partition string; '' and null are null. Throws ProtocolError for text that is not a value of `type`.
 */
export function parseNormalizedPartitionValue(s: string | null | undefined, type: DataType, column = '<partition>'): Value {
  if (s === null || s === undefined || s === '') return null;
  const fail = (): never => {
    throw new ProtocolError(`partition value ${JSON.stringify(s)} of column '${column}' is not a valid ${typeToString(type)}`);
  };
  if (typeof type !== 'string') return fail();
  switch (type) {
    case 'string':
      return s;
    case 'long': {
      if (!/^[+-]?\d+$/.test(s.trim())) return fail();
      return BigInt(s.trim());
    }
    case 'integer':
    case 'short':
    case 'byte': {
      if (!/^[+-]?\d+$/.test(s.trim())) return fail();
      const n = Number(s);
      const [lo, hi] = INT_LIMITS[type]!;
      if (n < lo || n > hi) return fail();
      return n;
    }
    case 'float':
    case 'double': {
      const t = s.trim();
      if (t === 'NaN') return NaN;
      if (t === 'Infinity' || t === '+Infinity') return Infinity;
      if (t === '-Infinity') return -Infinity;
      // Java's Double.toString form ("1.0E20", Spark) and the plain one ("100000000000000000000", delta-rs).
      if (!/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(t)) return fail();
      const n = Number(t);
      return type === 'float' ? Math.fround(n) : n;
    }
    case 'boolean': {
      const t = s.trim().toLowerCase();
      if (t === 'true') return true;
      if (t === 'false') return false;
      return fail();
    }
    case 'binary':
      return new TextEncoder().encode(s);
    case 'date': {
      const d = parseDateString(s.trim().slice(0, s.trim().search(/[ T]/) >= 0 ? s.trim().search(/[ T]/) : undefined));
      return d === null ? fail() : d;
    }
    case 'timestamp':
    case 'timestamp_ntz': {
      // 'YYYY-MM-DD HH:MM:SS[.ffffff]' (read as UTC) or ISO-8601 with 'T' and 'Z'/offset.
      const us = parseTimestampString(s);
      return us === null ? fail() : us;
    }
    default: {
      const d = decimalParams(type);
      if (!d) return fail();
      const u = toUnscaledDecimal(s, d.precision, d.scale);
      return typeof u === 'string' ? fail() : u;
    }
  }
}

/**
 * The partition string deltats writes for the value that partition string `s` holds, so that spellings of one value
 * agree: "1.0E20" (Spark, deltats now) and "100000000000000000000" (delta-rs, older deltats), "" and null, "1.2" and
 * "1.20" for a decimal(3,2), the timestamp forms. Strings and binary stay as written (their text is the value). Text
 * that is not a value of `type` is returned unchanged.
 */
export function canonicalPartitionValue(s: string | null | undefined, type: DataType, column?: string): string | null {
  if (s === null || s === undefined || s === '') return null;
  if (type === 'string' || type === 'binary') return s;
  try {
    return serializeNormalizedPartitionValue(parseNormalizedPartitionValue(s, type, column), type);
  } catch {
    return s;
  }
}

/**
 * JS value of a partition string for filtering and display: long bigint, integer/short/byte/float/double
 * number, boolean, string, binary Uint8Array, date days since epoch (number), timestamp/timestamp_ntz bigint
 * microseconds since epoch (UTC), decimal exact plain string with `scale` fraction digits. '' and null -> null.
 */
export function parsePartitionValue(s: string | null | undefined, type: DataType, column?: string): unknown {
  const v = parseNormalizedPartitionValue(s, type, column);
  if (v === null) return null;
  const d = typeof type === 'string' ? decimalParams(type) : null;
  if (d) return formatDecimal(v as bigint, d.scale);
  return v;
}

/** A constant Arrow column (canonical type) holding one partition value `length` times (read path). */
export function partitionColumnData(s: string | null | undefined, type: DataType, length: number, column?: string): arrow.Data {
  const v = parseNormalizedPartitionValue(s, type, column);
  return buildData(new Array<Value>(length).fill(v), type);
}

// Spark's ExternalCatalogUtils.charToEscape (the Hive set): control chars 0x01-0x1F, 0x7F and "#%'*/:=?\{[]^
const ESCAPE = new Set<number>([...Array.from({ length: 0x1f }, (_, i) => i + 1), 0x7f, ...'"#%\'*/:=?\\{[]^'].map((c) => (typeof c === 'number' ? c : c.charCodeAt(0))));

/** Hive/Spark escaping of a partition column name or value for a directory name (%XX, uppercase hex). */
export function escapePartitionPathSegment(s: string): string {
  let out = '';
  for (const ch of s) {
    const c = ch.charCodeAt(0);
    if (ch.length === 1 && c < 128 && ESCAPE.has(c)) out += `%${c.toString(16).toUpperCase().padStart(2, '0')}`;
    else out += ch;
  }
  return out;
}

/** Inverse of escapePartitionPathSegment (Spark's unescapePathName: only valid %XX sequences decode). */
export function unescapePartitionPathSegment(s: string): string {
  return s.replace(/%([0-9a-fA-F]{2})/g, (_, h: string) => String.fromCharCode(parseInt(h, 16)));
}

/** Relative partition directory, e.g. `a=1/b=x%2Fy`; null or '' -> __HIVE_DEFAULT_PARTITION__. */
export function partitionPath(partitionColumns: readonly string[], values: Record<string, string | null | undefined>): string {
  return partitionColumns
    .map((c) => {
      const v = values[c];
      return `${escapePartitionPathSegment(c)}=${v === null || v === undefined || v === '' ? HIVE_DEFAULT_PARTITION : escapePartitionPathSegment(v)}`;
    })
    .join('/');
}

// Characters java.net.URI leaves unquoted in a path: unreserved, punct, '/', '@' and non-ASCII "other" chars.
const URI_PATH_SAFE = /[A-Za-z0-9\-_.!~*'(),;:$&+=/@]/;

/**
 * The `add.path` string Spark writes for a file in a partition directory: the relative path as a URI
 * (PROTOCOL.md "Add File and Remove File": path is a URI, RFC 2396), i.e. `new Path(dir, file).toUri.toString`:
 * ASCII characters a URI path may not hold (space, '%', '"', '#', '?', '[', ']', ...) become %XX; non-ASCII is
 * kept. The directory part is already Hive-escaped, so '%' there appears as '%25' (e.g. `x=A%252FA/...`).
 */
export function addPathFor(partitionDir: string, fileName: string): string {
  const rel = partitionDir === '' ? fileName : `${partitionDir.replace(/\/+$/, '')}/${fileName}`;
  let out = '';
  for (const ch of rel) {
    const c = ch.codePointAt(0)!;
    if (c >= 128 && !/\s|\p{Cc}/u.test(ch)) out += ch;
    else if (URI_PATH_SAFE.test(ch)) out += ch;
    else {
      for (const b of new TextEncoder().encode(ch)) out += `%${b.toString(16).toUpperCase().padStart(2, '0')}`;
    }
  }
  return out;
}

/** Parse `a=1/b=x%2Fy` into raw (unescaped) partition strings; __HIVE_DEFAULT_PARTITION__ -> null. */
export function parsePartitionPath(dir: string): Record<string, string | null> {
  const out: Record<string, string | null> = {};
  for (const seg of dir.split('/')) {
    if (seg === '') continue;
    const eq = seg.indexOf('=');
    if (eq <= 0) continue;
    const k = unescapePartitionPathSegment(seg.slice(0, eq));
    const v = seg.slice(eq + 1);
    out[k] = v === HIVE_DEFAULT_PARTITION ? null : unescapePartitionPathSegment(v);
  }
  return out;
}

