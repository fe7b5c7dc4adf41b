// Canonical row lines of the conformance corpus (../shared/conformance/README.md "Canonical row format"):
// converts an Arrow table to sorted JSON lines by walking the Delta schema. Pure: no I/O, no Delta logic.
import { createHash } from 'node:crypto';
import * as arrow from 'apache-arrow';
import { decimalParams } from '../src/schema/json.js';
import type { DataType, StructType } from '../src/schema/types.js';

/** A JSON object whose keys keep their order (plain JS objects reorder integer-like keys). */
export class OrderedObject {
  constructor(readonly entries: Array<[string, CanonValue]>) {}
}
export type CanonValue = null | boolean | number | string | CanonValue[] | OrderedObject;

/** JSON text of a canonical value: JSON.stringify rules, no whitespace, keys in the stored order. */
export function stringifyCanonical(v: CanonValue): string {
  if (v instanceof OrderedObject) {
    return `{${v.entries.map(([k, x]) => `${JSON.stringify(k)}:${stringifyCanonical(x)}`).join(',')}}`;
  }
  if (Array.isArray(v)) return `[${v.map(stringifyCanonical).join(',')}]`;
  return JSON.stringify(v);
}

/** Sorted canonical lines of every row of `table`, converted by the Delta type of each column. */
export function canonicalLines(table: arrow.Table, schema: StructType): string[] {
  const lines: string[] = [];
  const names = table.schema.fields.map((f) => f.name);
  const extra = names.filter((n) => !schema.fields.some((f) => f.name === n));
  if (extra.length > 0) throw new Error(`scan returned column(s) not in the table schema: ${extra.join(', ')}`);
  const idx = schema.fields.map((f) => {
    const i = names.indexOf(f.name);
    if (i < 0) throw new Error(`scan result lacks column '${f.name}' (has: ${names.join(', ')})`);
    return i;
  });
  for (const batch of table.batches) {
    const cols = idx.map((i) => batch.data.children[i]!);
    for (let r = 0; r < batch.numRows; r++) {
      const entries: Array<[string, CanonValue]> = schema.fields.map((f, k) => [
        f.name,
        canonicalValue(f.type, cols[k]!, r, f.name),
      ]);
      lines.push(stringifyCanonical(new OrderedObject(entries)));
    }
  }
  return sortLines(lines);
}

/** Sorted canonical lines of rows already in canonical JSON form (cases.json `rows`), keys put in schema order. */
export function canonicalLinesFromJson(rows: readonly unknown[], schema: StructType): string[] {
  return sortLines(rows.map((r) => stringifyCanonical(reorderJson(schema, r))));
}

/** UTF-16 code unit order, the JS default sort. */
export function sortLines(lines: string[]): string[] {
  return lines.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
}

/** Hex SHA-256 of the lines joined with "\n" (UTF-8, no trailing newline). */
export function rowsSha256(sortedLines: readonly string[]): string {
  return createHash('sha256').update(sortedLines.join('\n'), 'utf8').digest('hex');
}

function reorderJson(t: DataType, v: unknown): CanonValue {
  if (v === null || v === undefined) return null;
  if (typeof t === 'object') {
    if (t.type === 'struct' && typeof v === 'object' && !Array.isArray(v)) {
      const o = v as Record<string, unknown>;
      const entries: Array<[string, CanonValue]> = [];
      for (const f of t.fields) if (f.name in o) entries.push([f.name, reorderJson(f.type, o[f.name])]);
      // Keys the schema does not know stay (at the end) so that a comparison shows them.
      for (const k of Object.keys(o)) if (!t.fields.some((f) => f.name === k)) entries.push([k, o[k] as CanonValue]);
      return new OrderedObject(entries);
    }
    if (t.type === 'array' && Array.isArray(v)) return v.map((x) => reorderJson(t.elementType, x));
    if (t.type === 'map' && Array.isArray(v)) {
      return v.map((p) =>
        Array.isArray(p) && p.length === 2 ? [reorderJson(t.keyType, p[0]), reorderJson(t.valueType, p[1])] : (p as CanonValue),
      );
    }
  }
  return v as CanonValue;
}

// ---------------------------------------------------------------------------------------------------------------
// Value conversion by Delta type, reading raw Arrow buffers (no lossy JS numbers for 64/128-bit values).

const vectorCache = new WeakMap<arrow.Data, arrow.Vector>();
function vectorOf(data: arrow.Data): arrow.Vector {
  let v = vectorCache.get(data);
  if (!v) {
    v = arrow.makeVector(data);
    vectorCache.set(data, v);
  }
  return v;
}

function typeError(path: string, delta: string, t: arrow.DataType): Error {
  return new Error(`column '${path}': Delta type ${delta} cannot be read from Arrow type ${String(t)}`);
}

/** Canonical value of row `i` of `data` (an Arrow column or child), whose Delta type is `t`. */
export function canonicalValue(t: DataType, data: arrow.Data, i: number, path: string): CanonValue {
  if (data.typeId === arrow.Type.Dictionary) {
    const dict = data.dictionary;
    if (!dict) throw new Error(`column '${path}': dictionary vector without dictionary`);
    if (!data.getValid(i)) return null;
    const key = Number(vectorOf(data.clone((data.type as arrow.Dictionary).indices)).get(i));
    for (const d of dict.data) {
      if (key < d.length) return canonicalValue(t, d, key, path);
    }
    throw new Error(`column '${path}': dictionary key ${key} out of range`);
  }
  if (!data.getValid(i)) return null;
  if (typeof t === 'string') return primitiveValue(t, data, i, path);
  switch (t.type) {
    case 'struct': {
      if (data.typeId !== arrow.Type.Struct) throw typeError(path, 'struct', data.type);
      const childNames = (data.type as arrow.Struct).children.map((c) => c.name);
      const entries: Array<[string, CanonValue]> = t.fields.map((f) => {
        const k = childNames.indexOf(f.name);
        if (k < 0) throw new Error(`column '${path}' lacks struct field '${f.name}' (has: ${childNames.join(', ')})`);
        return [f.name, canonicalValue(f.type, data.children[k]!, i, `${path}.${f.name}`)];
      });
      return new OrderedObject(entries);
    }
    case 'array': {
      const id = data.typeId;
      if (id !== arrow.Type.List && id !== arrow.Type.LargeList) throw typeError(path, 'array', data.type);
      const [start, end] = listRange(data, i);
      const child = data.children[0]!;
      const out: CanonValue[] = [];
      for (let j = start; j < end; j++) out.push(canonicalValue(t.elementType, child, j, `${path}.element`));
      return out;
    }
    case 'map': {
      if (data.typeId !== arrow.Type.Map) throw typeError(path, 'map', data.type);
      const [start, end] = listRange(data, i);
      const entries = data.children[0]!;
      const [kData, vData] = entries.children;
      if (!kData || !vData) throw new Error(`column '${path}': map entries need key and value children`);
      const pairs: Array<[CanonValue, CanonValue]> = [];
      for (let j = start; j < end; j++) {
        pairs.push([
          canonicalValue(t.keyType, kData, j, `${path}.key`),
          canonicalValue(t.valueType, vData, j, `${path}.value`),
        ]);
      }
      const cmp = mapKeyComparator(t.keyType);
      pairs.sort((a, b) => cmp(a[0], b[0]));
      return pairs;
    }
  }
}

function listRange(data: arrow.Data, i: number): [number, number] {
  const offs = data.valueOffsets as Int32Array | BigInt64Array;
  return [Number(offs[i]), Number(offs[i + 1])];
}

function primitiveValue(t: string, data: arrow.Data, i: number, path: string): CanonValue {
  const type = data.type;
  switch (t) {
    case 'byte':
    case 'short':
    case 'integer': {
      if (data.typeId !== arrow.Type.Int) throw typeError(path, t, type);
      return Number(vectorOf(data).get(i) as number | bigint);
    }
    case 'long': {
      if (data.typeId !== arrow.Type.Int) throw typeError(path, t, type);
      const v = vectorOf(data).get(i) as number | bigint;
      return BigInt(v).toString();
    }
    case 'float':
    case 'double': {
      if (data.typeId !== arrow.Type.Float) throw typeError(path, t, type);
      const x = Number(vectorOf(data).get(i));
      if (Number.isNaN(x)) return 'NaN';
      if (x === Infinity) return 'Infinity';
      if (x === -Infinity) return '-Infinity';
      return t === 'float' ? shortestFloat32(x) : x;
    }
    case 'boolean': {
      if (data.typeId !== arrow.Type.Bool) throw typeError(path, t, type);
      return Boolean(vectorOf(data).get(i));
    }
    case 'string': {
      const id = data.typeId;
      if (id !== arrow.Type.Utf8 && id !== arrow.Type.LargeUtf8) throw typeError(path, t, type);
      return String(vectorOf(data).get(i));
    }
    case 'binary': {
      const id = data.typeId;
      if (id !== arrow.Type.Binary && id !== arrow.Type.LargeBinary && id !== arrow.Type.FixedSizeBinary) {
        throw typeError(path, t, type);
      }
      return toHex(vectorOf(data).get(i) as Uint8Array);
    }
    case 'date': {
      if (data.typeId !== arrow.Type.Date) throw typeError(path, t, type);
      const dt = type as arrow.Date_;
      if (dt.unit === arrow.DateUnit.DAY) return formatDate(BigInt((data.values as Int32Array)[i]!));
      // DateMillisecond: values are int64 milliseconds since the epoch.
      const ms = BigInt((data.values as BigInt64Array)[i]!);
      return formatDate(floorDiv(ms, 86_400_000n));
    }
    case 'timestamp':
    case 'timestamp_ntz': {
      if (data.typeId !== arrow.Type.Timestamp) throw typeError(path, t, type);
      const micros = timestampMicros(data, i);
      return formatTimestamp(micros) + (t === 'timestamp' ? 'Z' : '');
    }
    default: {
      const d = decimalParams(t as DataType);
      if (!d) throw new Error(`column '${path}': unknown Delta type '${t}'`);
      if (data.typeId !== arrow.Type.Decimal) throw typeError(path, t, type);
      return formatDecimal(decimalUnscaled(data, i), (type as arrow.Decimal).scale, d.scale, path);
    }
  }
}

const UNIT_TO_MICROS: Record<number, [bigint, bigint]> = {
  // [multiply, divide]
  [arrow.TimeUnit.SECOND]: [1_000_000n, 1n],
  [arrow.TimeUnit.MILLISECOND]: [1000n, 1n],
  [arrow.TimeUnit.MICROSECOND]: [1n, 1n],
  [arrow.TimeUnit.NANOSECOND]: [1n, 1000n],
};

/** Raw int64 of a Timestamp value converted to microseconds since the epoch. */
export function timestampMicros(data: arrow.Data, i: number): bigint {
  const unit = (data.type as arrow.Timestamp).unit;
  const raw = (data.values as BigInt64Array)[i]!;
  const [mul, div] = UNIT_TO_MICROS[unit]!;
  return floorDiv(BigInt(raw) * mul, div);
}

/** Exact signed unscaled value of a Decimal value (little-endian 32-bit words, two's complement). */
export function decimalUnscaled(data: arrow.Data, i: number): bigint {
  const bitWidth = (data.type as arrow.Decimal).bitWidth ?? 128;
  const words = bitWidth / 32;
  const vals = data.values as Uint32Array;
  let x = 0n;
  for (let w = words - 1; w >= 0; w--) x = (x << 32n) | BigInt(vals[i * words + w]!);
  const top = 1n << BigInt(bitWidth - 1);
  return x >= top ? x - (1n << BigInt(bitWidth)) : x;
}

/** Plain decimal string with exactly `targetScale` fractional digits (rescales exactly or throws). */
export function formatDecimal(unscaled: bigint, scale: number, targetScale: number, path = '<value>'): string {
  let v = unscaled;
  if (targetScale > scale) v *= 10n ** BigInt(targetScale - scale);
  else if (targetScale < scale) {
    const f = 10n ** BigInt(scale - targetScale);
    if (v % f !== 0n) throw new Error(`column '${path}': decimal with scale ${scale} does not fit scale ${targetScale}`);
    v /= f;
  }
  const neg = v < 0n;
  let digits = (neg ? -v : v).toString();
  if (targetScale > 0) {
    digits = digits.padStart(targetScale + 1, '0');
    digits = `${digits.slice(0, digits.length - targetScale)}.${digits.slice(digits.length - targetScale)}`;
  }
  return neg ? `-${digits}` : digits;
}

function floorDiv(a: bigint, b: bigint): bigint {
  const q = a / b;
  return a % b !== 0n && a < 0n !== b < 0n ? q - 1n : q;
}

/** Proleptic Gregorian civil date of a day count since 1970-01-01 (H. Hinnant's civil_from_days). */
function civilFromDays(days: bigint): [bigint, number, number] {
  const z = days + 719468n;
  const era = floorDiv(z, 146097n);
  const doe = z - era * 146097n;
  const yoe = (doe - doe / 1460n + doe / 36524n - doe / 146096n) / 365n;
  const doy = doe - (365n * yoe + yoe / 4n - yoe / 100n);
  const mp = (5n * doy + 2n) / 153n;
  const d = Number(doy - (153n * mp + 2n) / 5n + 1n);
  const m = Number(mp < 10n ? mp + 3n : mp - 9n);
  const y = yoe + era * 400n + (m <= 2 ? 1n : 0n);
  return [y, m, d];
}

const pad = (n: number | bigint, w: number): string => n.toString().padStart(w, '0');

function formatYear(y: bigint): string {
  return y < 0n ? `-${pad(-y, 4)}` : pad(y, 4);
}

export function formatDate(days: bigint): string {
  const [y, m, d] = civilFromDays(days);
  return `${formatYear(y)}-${pad(m, 2)}-${pad(d, 2)}`;
}

/** `YYYY-MM-DDTHH:MM:SS.ffffff` (no zone suffix) of microseconds since the epoch. */
export function formatTimestamp(micros: bigint): string {
  const perDay = 86_400_000_000n;
  const days = floorDiv(micros, perDay);
  let rem = micros - days * perDay;
  const us = rem % 1_000_000n;
  rem /= 1_000_000n;
  const s = rem % 60n;
  rem /= 60n;
  const min = rem % 60n;
  const h = rem / 60n;
  return `${formatDate(days)}T${pad(h, 2)}:${pad(min, 2)}:${pad(s, 2)}.${pad(us, 6)}`;
}

function toHex(b: Uint8Array): string {
  let s = '';
  for (const x of b) s += x.toString(16).padStart(2, '0');
  return s;
}

/**
 * The number whose shortest decimal text round-trips through float32 to `x` (x is a float32 value widened to
 * double). Among the candidates with the fewest digits, the one closest to x wins (as Ryu/Dragon4 choose).
 */
export function shortestFloat32(x: number): number {
  if (!Number.isFinite(x) || x === 0) return x === 0 ? 0 : x;
  const f = Math.fround(x);
  for (let p = 1; p <= 9; p++) {
    const base = f.toPrecision(p);
    const candidates = [Number(base)];
    const m = /^(-?)(\d)(?:\.(\d+))?(?:e([+-]\d+))?$/.exec(base);
    if (m) {
      // The p-digit neighbours of the nearest p-digit decimal: the rounding interval of a float32 can be
      // asymmetric (at powers of two), so the nearest p-digit decimal is not always the only candidate.
      const digits = BigInt(m[2]! + (m[3] ?? ''));
      const exp = Number(m[4] ?? 0) - (p - 1);
      const sign = m[1] ?? '';
      for (const dd of [digits - 1n, digits + 1n]) {
        if (dd <= 0n) continue;
        candidates.push(Number(`${sign}${dd}e${exp}`));
      }
    }
    const ok = candidates.filter((c) => Math.fround(c) === f);
    if (ok.length > 0) {
      ok.sort((a, b) => Math.abs(a - x) - Math.abs(b - x));
      return ok[0]!;
    }
  }
  return x;
}

const NUMERIC_KEY_TYPES = new Set(['byte', 'short', 'integer', 'long', 'float', 'double']);

/** Map pairs are sorted by key: numeric-typed keys numerically, all other keys by their canonical JSON text. */
function mapKeyComparator(keyType: DataType): (a: CanonValue, b: CanonValue) => number {
  const dec = decimalParams(keyType);
  if (typeof keyType === 'string' && (NUMERIC_KEY_TYPES.has(keyType) || dec)) {
    const num = (v: CanonValue): number => (typeof v === 'number' ? v : v === 'NaN' ? NaN : Number(v));
    if (keyType === 'long' || dec) {
      // long keys are decimal strings; decimal keys of one map share their scale, so their digits without
      // the point compare as integers.
      const big = (v: CanonValue): bigint => BigInt(String(v).replace('.', ''));
      return (a, b) => {
        const x = big(a);
        const y = big(b);
        return x < y ? -1 : x > y ? 1 : 0;
      };
    }
    return (a, b) => {
      const x = num(a);
      const y = num(b);
      return x < y ? -1 : x > y ? 1 : 0;
    };
  }
  return (a, b) => {
    const x = stringifyCanonical(a);
    const y = stringifyCanonical(b);
    return x < y ? -1 : x > y ? 1 : 0;
  };
}
