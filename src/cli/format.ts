// Human and machine output helpers of the CLI: aligned text tables, byte sizes, ISO timestamps, Arrow values as plain JSON.
// Pure functions: no I/O, no table logic.
import type * as arrow from 'apache-arrow';
import type { DataType, StructType } from '../schema/types.js';
import { decimalParams } from '../schema/json.js';
import { readValues, type Value } from '../schema/access/get.js';
import { formatDate, formatDecimal, formatTimestamp } from '../schema/values.js';

/** 1536 -> '1.5 KB' (binary units, as `du -h` / Spark UI show them). */
export function formatBytes(n: number | null | undefined): string {
  if (n === null || n === undefined || !Number.isFinite(n)) return '-';
  const units = ['B', 'KB', 'MB', 'GB', 'TB'];
  let v = n;
  let u = 0;
  while (Math.abs(v) >= 1024 && u < units.length - 1) {
    v /= 1024;
    u++;
  }
  return u === 0 ? `${v} B` : `${v.toFixed(v >= 100 ? 0 : 1)} ${units[u]}`;
}

/** Epoch milliseconds -> ISO-8601 UTC ('-' when absent). */
export function formatTime(ms: number | null | undefined): string {
  if (ms === null || ms === undefined || !Number.isFinite(ms)) return '-';
  return new Date(ms).toISOString();
}

/** Left-aligned text columns separated by two spaces; numeric-looking columns right-aligned. */
export function renderTable(headers: string[], rows: string[][]): string {
  const widths = headers.map((h, i) => Math.max(displayWidth(h), ...rows.map((r) => displayWidth(r[i] ?? ''))));
  const numeric = headers.map((_, i) => rows.length > 0 && rows.every((r) => /^-?[\d.,]+( [KMGT]?B)?$|^-$/.test(r[i] ?? '')));
  const line = (cells: string[]): string =>
    cells
      .map((c, i) => {
        const pad = ' '.repeat(Math.max(0, widths[i]! - displayWidth(c)));
        return numeric[i] ? pad + c : c + pad;
      })
      .join('  ')
      .trimEnd();
  const out = [line(headers), line(widths.map((w) => '-'.repeat(w)))];
  for (const r of rows) out.push(line(r));
  return out.join('\n');
}

/** `key: value` lines with the keys padded to one width. */
export function renderKeyValues(pairs: Array<[string, string]>): string {
  const w = Math.max(0, ...pairs.map(([k]) => k.length));
  return pairs.map(([k, v]) => `${(k + ':').padEnd(w + 1)} ${v}`).join('\n');
}

function displayWidth(s: string): number {
  return [...s].length;
}

/** Control characters and newlines shown escaped so one cell stays on one line. */
export function oneLine(s: string, max = 60): string {
  const flat = s.replace(/[\r\n\t]/g, (c) => (c === '\n' ? '\\n' : c === '\r' ? '\\r' : '\\t'));
  return [...flat].length > max ? [...flat].slice(0, max - 1).join('') + '…' : flat;
}

/** JSON.stringify that writes bigints as numbers when safe and as strings otherwise. */
export function toJson(value: unknown, indent?: number): string {
  return JSON.stringify(
    value,
    (_k, v: unknown) => (typeof v === 'bigint' ? (Number.isSafeInteger(Number(v)) ? Number(v) : v.toString()) : v),
    indent,
  );
}

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

/** A plain value as one table cell ('NULL' for null, JSON for nested values). */
export function cellText(v: Plain): string {
  if (v === null) return 'NULL';
  if (typeof v === 'string') return oneLine(v);
  if (typeof v === 'object') return oneLine(JSON.stringify(v));
  return String(v);
}

/** RFC 4180 CSV field: quoted when it holds a comma, quote, CR or LF; empty for null. */
export function csvField(v: Plain): string {
  if (v === null) return '';
  const s = typeof v === 'object' ? JSON.stringify(v) : String(v);
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}
