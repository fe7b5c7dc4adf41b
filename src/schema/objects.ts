// Plain JS rows -> Arrow table of the canonical types of a Delta schema (table.append(object[])).
// Validates every value against its Delta type; knows nothing of files, logs or schema evolution rules.
import type * as arrow from 'apache-arrow';
import { SchemaMismatchError } from '../errors.js';
import { toArrowSchema } from './arrow.js';
import { decimalParams, typeToString } from './json.js';
import type { DataType, StructField, StructType } from './types.js';
import { MICROS_PER_DAY, daysFromCivil, pow10 } from './values.js';
import { buildData, tableFromData } from './vectors.js';
import type { Value } from './access/get.js';

export interface ObjectsToArrowOptions {
  /**
   * Accept keys that are not in the schema: their columns are inferred (string; long when every value is an
   * integer, else double; boolean; timestamp for Date) and appended as nullable fields after the schema's
   * fields, for schemaMode 'merge'. Default false: such keys are a SchemaMismatchError.
   */
  allowExtra?: boolean;
}

/** Build an Arrow table with the canonical Arrow types of `schema` from JS objects. */
export function objectsToArrow(
  rows: readonly Record<string, unknown>[],
  schema: StructType,
  options: ObjectsToArrowOptions = {},
): arrow.Table {
  const known = new Set(schema.fields.map((f) => f.name));
  const extra: string[] = [];
  rows.forEach((row, i) => {
    if (row === null || typeof row !== 'object' || Array.isArray(row)) {
      throw new SchemaMismatchError(`row ${i} is not an object`, undefined, i);
    }
    for (const k of Object.keys(row)) {
      if (known.has(k)) continue;
      if (!options.allowExtra) {
        const ci = schema.fields.find((f) => f.name.toLowerCase() === k.toLowerCase());
        throw new SchemaMismatchError(
          ci
            ? `column '${k}' (row ${i}) differs only in case from table column '${ci.name}'`
            : `column '${k}' (row ${i}) is not in the table schema`,
          k,
          i,
        );
      }
      if (!extra.includes(k)) extra.push(k);
      known.add(k);
    }
  });
  const fields: StructField[] = [...schema.fields];
  for (const name of extra) fields.push({ name, type: inferType(rows, name), nullable: true, metadata: {} });
  const full: StructType = { type: 'struct', fields };
  const columns = fields.map((f) => {
    const values = rows.map((r, i) => toValue(r[f.name], f.type, f.name, i));
    if (!f.nullable) {
      const bad = values.indexOf(null);
      if (bad >= 0) throw new SchemaMismatchError(`column '${f.name}' is not nullable but row ${bad} has no value`, f.name, bad);
    }
    return buildData(values, f.type);
  });
  return tableFromData(
    fields.map((f) => f.name),
    columns,
    toArrowSchema(full),
  );
}

/** Infer the Delta type of an extra key (see ObjectsToArrowOptions.allowExtra). */
function inferType(rows: readonly Record<string, unknown>[], key: string): DataType {
  let kind: DataType | undefined;
  let allInts = true;
  for (let i = 0; i < rows.length; i++) {
    const v = rows[i]![key];
    if (v === null || v === undefined) continue;
    let k: DataType;
    if (typeof v === 'string') k = 'string';
    else if (typeof v === 'bigint') k = 'long';
    else if (typeof v === 'number') {
      if (!Number.isSafeInteger(v)) allInts = false;
      k = 'double';
    } else if (typeof v === 'boolean') k = 'boolean';
    else if (v instanceof Date) k = 'timestamp';
    else if (v instanceof Uint8Array) k = 'binary';
    else throw new SchemaMismatchError(`cannot infer a Delta type for new column '${key}' from the value at row ${i}`, key, i);
    if (k === 'double' || k === 'long') k = 'double';
    if (kind === undefined) kind = k;
    else if (kind !== k) {
      throw new SchemaMismatchError(`new column '${key}' has values of mixed types (row ${i})`, key, i);
    }
  }
  if (kind === undefined) return 'string';
  if (kind === 'double' && allInts) return 'long';
  return kind;
}

const INT_RANGE: Record<string, [number, number]> = {
  integer: [-2147483648, 2147483647],
  short: [-32768, 32767],
  byte: [-128, 127],
};

const LONG_MIN = -(2n ** 63n);
const LONG_MAX = 2n ** 63n - 1n;

function bad(path: string, row: number, t: DataType, v: unknown, why?: string): SchemaMismatchError {
  const shown = typeof v === 'bigint' ? `${v}n` : typeof v === 'string' ? JSON.stringify(v) : v instanceof Date ? `Date(${String(v)})` : typeof v === 'object' ? (Array.isArray(v) ? 'array' : 'object') : String(v);
  return new SchemaMismatchError(
    `column '${path}' row ${row}: ${shown.slice(0, 60)} is not a valid ${typeToString(t)}${why ? ` (${why})` : ''}`,
    path,
    row,
  );
}

/**
 * Parse a decimal given as string/number/bigint into its unscaled bigint for decimal(precision, scale).
 * Exact: rejects values with more fractional digits than `scale` or more integer digits than allowed, returning
 * the reason as a string.
 */
export function toUnscaledDecimal(v: unknown, precision: number, scale: number): bigint | string {
  let text: string;
  if (typeof v === 'bigint') text = v.toString();
  else if (typeof v === 'number') {
    if (!Number.isFinite(v)) return 'not finite';
    text = numberToPlainString(v);
  } else if (typeof v === 'string') text = v.trim();
  else return 'expected a string, number or bigint';
  const m = /^([+-])?(\d*)(?:\.(\d*))?(?:[eE]([+-]?\d+))?$/.exec(text);
  if (!m || (m[2] === '' && (m[3] === undefined || m[3] === ''))) return 'not a decimal number';
  const neg = m[1] === '-';
  let digits = (m[2] ?? '') + (m[3] ?? '');
  let exp = -(m[3]?.length ?? 0) + (m[4] ? Number(m[4]) : 0); // value = digits * 10^exp
  // Drop trailing zeros beyond what the scale needs.
  while (exp < -scale && digits.endsWith('0')) {
    digits = digits.slice(0, -1);
    exp++;
  }
  if (exp < -scale) return `more than ${scale} fractional digits`;
  let unscaled = BigInt(digits === '' ? '0' : digits) * pow10(exp + scale);
  if (unscaled >= pow10(precision)) return `more than ${precision - scale} integer digits`;
  if (neg) unscaled = -unscaled;
  return unscaled;
}

function numberToPlainString(x: number): string {
  // Shortest round-trip representation, which may use an exponent (handled by the parser above).
  return String(x);
}

const DATE_RE = /^(-?\d{4,})-(\d{2})-(\d{2})$/;

/** Days since epoch of 'YYYY-MM-DD' (proleptic Gregorian, as Spark 3 uses). */
export function parseDateString(s: string): number | null {
  const m = DATE_RE.exec(s.trim());
  if (!m) return null;
  const [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])];
  const ms = Date.UTC(y, mo - 1, d);
  const check = new Date(ms);
  if (check.getUTCMonth() !== mo - 1 || check.getUTCDate() !== d) return null;
  // Date.UTC maps years 0..99 to 1900..1999.
  const fixed = y >= 0 && y < 100 ? new Date(ms).setUTCFullYear(y) : ms;
  return Math.floor(fixed / 86_400_000);
}

const TS_RE = /^(-?\d{4,})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?)?\s*(Z|[+-]\d{2}(?::?\d{2})?)?$/i;

/**
 * Microseconds since epoch of an ISO-8601 / Spark timestamp string. A string without zone is read as UTC.
 * Returns null when the text is not a timestamp.
 */
export function parseTimestampString(s: string): bigint | null {
  const m = TS_RE.exec(s.trim());
  if (!m) return null;
  const days = parseDateString(`${m[1]}-${m[2]}-${m[3]}`);
  if (days === null) return null;
  const [h, mi, se] = [Number(m[4] ?? 0), Number(m[5] ?? 0), Number(m[6] ?? 0)];
  if (h > 23 || mi > 59 || se > 59) return null;
  const frac = (m[7] ?? '').padEnd(9, '0');
  if (frac.slice(6) !== '000') return null; // finer than microseconds cannot be stored
  let micros = BigInt(days) * MICROS_PER_DAY + BigInt((h * 3600 + mi * 60 + se) * 1_000_000) + BigInt(Number(frac.slice(0, 6)));
  const z = m[8];
  if (z && z.toUpperCase() !== 'Z') {
    const zm = /^([+-])(\d{2}):?(\d{2})?$/.exec(z)!;
    const off = (Number(zm[2]) * 60 + Number(zm[3] ?? 0)) * 60_000_000;
    micros -= BigInt(zm[1] === '-' ? -off : off);
  }
  return micros;
}

/** Spark's date and timestamp range (years 0001..9999): what Spark, delta-rs and the stats' text form can hold. */
const MIN_DATE_DAYS = daysFromCivil(1, 1, 1);
const MAX_DATE_DAYS = daysFromCivil(9999, 12, 31);
const MIN_TIMESTAMP_MICROS = BigInt(MIN_DATE_DAYS) * MICROS_PER_DAY;
const MAX_TIMESTAMP_MICROS = BigInt(MAX_DATE_DAYS + 1) * MICROS_PER_DAY - 1n;

/** Convert one user value to the normalized Value of Delta type `t` (throws naming path and row). */
export function toValue(v: unknown, t: DataType, path: string, row: number): Value {
  if (v === null || v === undefined) return null;
  if (typeof t === 'string') {
    switch (t) {
      case 'string':
        if (typeof v !== 'string') throw bad(path, row, t, v);
        return v;
      case 'long': {
        let b: bigint;
        if (typeof v === 'bigint') b = v;
        else if (typeof v === 'number' && Number.isSafeInteger(v)) b = BigInt(v);
        else throw bad(path, row, t, v, typeof v === 'number' ? 'numbers must be safe integers; use bigint' : undefined);
        if (b < LONG_MIN || b > LONG_MAX) throw bad(path, row, t, v, 'out of range');
        return b;
      }
      case 'integer':
      case 'short':
      case 'byte': {
        const [lo, hi] = INT_RANGE[t]!;
        const num = typeof v === 'bigint' ? Number(v) : v;
        if (typeof num !== 'number' || !Number.isInteger(num)) throw bad(path, row, t, v);
        if (num < lo || num > hi) throw bad(path, row, t, v, 'out of range');
        return num;
      }
      case 'float':
      case 'double':
        if (typeof v !== 'number') throw bad(path, row, t, v);
        return v;
      case 'boolean':
        if (typeof v !== 'boolean') throw bad(path, row, t, v);
        return v;
      case 'binary':
        if (!(v instanceof Uint8Array)) throw bad(path, row, t, v, 'expected Uint8Array or Buffer');
        return new Uint8Array(v.buffer, v.byteOffset, v.byteLength);
      case 'date': {
        let days: number | null = null;
        if (v instanceof Date) {
          const ms = v.getTime();
          if (Number.isNaN(ms)) throw bad(path, row, t, v, 'invalid Date');
          days = Math.floor(ms / 86_400_000);
        } else if (typeof v === 'number' && Number.isInteger(v)) days = v;
        else if (typeof v === 'string') days = parseDateString(v);
        if (days === null) throw bad(path, row, t, v, "expected Date, 'YYYY-MM-DD' or days since epoch");
        if (days < MIN_DATE_DAYS || days > MAX_DATE_DAYS) throw bad(path, row, t, v, 'outside 0001-01-01..9999-12-31');
        return days;
      }
      case 'timestamp':
      case 'timestamp_ntz': {
        let us: bigint | null = null;
        if (v instanceof Date) {
          const ms = v.getTime();
          if (Number.isNaN(ms)) throw bad(path, row, t, v, 'invalid Date');
          us = BigInt(ms) * 1000n;
        } else if (typeof v === 'bigint') us = v;
        else if (typeof v === 'number' && Number.isInteger(v)) us = BigInt(v) * 1000n;
        else if (typeof v === 'string') us = parseTimestampString(v);
        if (us === null) throw bad(path, row, t, v, 'expected Date, ISO-8601 string, bigint microseconds or number milliseconds');
        if (us < MIN_TIMESTAMP_MICROS || us > MAX_TIMESTAMP_MICROS) {
          throw bad(path, row, t, v, 'outside 0001-01-01T00:00:00..9999-12-31T23:59:59.999999');
        }
        return us;
      }
      default: {
        const d = decimalParams(t);
        if (!d) throw bad(path, row, t, v);
        const r = toUnscaledDecimal(v, d.precision, d.scale);
        if (typeof r === 'string') throw bad(path, row, t, v, r);
        return r;
      }
    }
  }
  switch (t.type) {
    case 'struct': {
      if (typeof v !== 'object' || Array.isArray(v) || v instanceof Uint8Array || v instanceof Date || v instanceof Map) {
        throw bad(path, row, t, v, 'expected an object');
      }
      const o = v as Record<string, unknown>;
      const names = new Set(t.fields.map((f) => f.name));
      for (const k of Object.keys(o)) {
        if (!names.has(k)) {
          throw new SchemaMismatchError(`column '${path}.${k}' (row ${row}) is not in the table schema`, `${path}.${k}`, row);
        }
      }
      const out: Record<string, Value> = {};
      for (const f of t.fields) {
        const fv = toValue(o[f.name], f.type, `${path}.${f.name}`, row);
        if (fv === null && !f.nullable) {
          throw new SchemaMismatchError(`column '${path}.${f.name}' is not nullable but row ${row} has no value`, `${path}.${f.name}`, row);
        }
        out[f.name] = fv;
      }
      return out;
    }
    case 'array': {
      if (!Array.isArray(v)) throw bad(path, row, t, v, 'expected an array');
      return v.map((e, i) => {
        const ev = toValue(e, t.elementType, `${path}[${i}]`, row);
        if (ev === null && !t.containsNull) {
          throw new SchemaMismatchError(`column '${path}' does not allow null elements (row ${row}, element ${i})`, path, row);
        }
        return ev;
      });
    }
    case 'map': {
      let pairs: [unknown, unknown][];
      if (v instanceof Map) pairs = [...v.entries()];
      else if (Array.isArray(v)) {
        if (!v.every((p) => Array.isArray(p) && p.length === 2)) throw bad(path, row, t, v, 'expected [key, value] pairs');
        pairs = v as [unknown, unknown][];
      } else if (typeof v === 'object' && !(v instanceof Uint8Array) && !(v instanceof Date)) {
        pairs = Object.entries(v as Record<string, unknown>);
      } else throw bad(path, row, t, v, 'expected a Map, object or [key, value] pairs');
      return pairs.map(([k, val]) => {
        const kv = toValue(k, t.keyType, `${path}.key`, row);
        if (kv === null) throw new SchemaMismatchError(`column '${path}' has a null map key (row ${row})`, path, row);
        const vv = toValue(val, t.valueType, `${path}.value`, row);
        if (vv === null && !t.valueContainsNull) {
          throw new SchemaMismatchError(`column '${path}' does not allow null map values (row ${row}, key ${String(k)})`, path, row);
        }
        return [kv, vv];
      });
    }
  }
}
