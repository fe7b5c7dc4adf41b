// Values of Arrow data read by a Delta schema as plain JSON values (what `deltats cat --format json` prints, and
// what an HTTP API over a table returns): exact, JSON-safe, one form per Delta type. Pure; no I/O.
import type * as arrow from 'apache-arrow';
import { decimalParams } from './json.js';
import type { DataType, StructType } from './types.js';
import { readValues, type Value } from './access/get.js';
import { formatDate, formatDecimal, formatTimestamp } from './values.js';

/** A JSON value. */
export type Plain = null | boolean | number | string | Plain[] | { [k: string]: Plain };

/**
 * Rows of an Arrow table (columns of the Delta `schema`) as plain JSON values: long -> number (string beyond 2^53),
 * timestamp -> ISO-8601 with microseconds ('Z' unless timestamp_ntz), date -> YYYY-MM-DD, decimal -> exact string,
 * binary -> hex, struct -> object, array -> array, map -> object (keys as text).
 */
export function plainRows(table: arrow.Table, schema: StructType): Array<Record<string, Plain>> {
  const rows: Array<Record<string, Plain>> = Array.from({ length: table.numRows }, () => ({}));
  for (const field of schema.fields) {
    const vec = table.getChild(field.name);
    let row = 0;
    if (!vec) {
      for (const r of rows) r[field.name] = null;
      continue;
    }
    for (const data of vec.data) {
      for (const v of readValues(data, field.type, { loss: 'truncate', path: field.name })) {
        rows[row++]![field.name] = plainValue(v, field.type);
      }
    }
  }
  return rows;
}

/** One normalized value (schema/vectors.ts `Value`) of Delta type `t` as plain JSON. */
export function plainValue(v: Value, t: DataType): Plain {
  if (v === null || v === undefined) return null;
  if (typeof t === 'string') {
    if (t === 'timestamp' || t === 'timestamp_ntz') {
      // Always microseconds, like the conformance canonical form: fixed width, exact.
      const text = formatTimestamp(v as bigint).replace(' ', 'T');
      const iso = text.includes('.') ? text : `${text}.000000`;
      return t === 'timestamp' ? `${iso}Z` : iso;
    }
    if (t === 'date') return formatDate(v as number);
    const dec = decimalParams(t);
    if (dec) return formatDecimal(v as bigint, dec.scale);
    if (typeof v === 'bigint') return Number.isSafeInteger(Number(v)) ? Number(v) : v.toString();
    if (typeof v === 'number') return Number.isFinite(v) ? v : String(v);
    if (v instanceof Uint8Array) return Buffer.from(v.buffer, v.byteOffset, v.byteLength).toString('hex');
    return v as string | boolean;
  }
  if (t.type === 'struct') {
    const src = v as Record<string, Value>;
    const out: Record<string, Plain> = {};
    for (const f of t.fields) out[f.name] = plainValue(src[f.name] ?? null, f.type);
    return out;
  }
  if (t.type === 'array') return (v as Value[]).map((e) => plainValue(e, t.elementType));
  const out: Record<string, Plain> = {};
  for (const pair of v as Value[]) {
    const [k, val] = pair as Value[];
    const key = plainValue(k ?? null, t.keyType);
    out[typeof key === 'string' ? key : JSON.stringify(key)] = plainValue(val ?? null, t.valueType);
  }
  return out;
}
