// Per-file statistics (PROTOCOL.md "Per-file Statistics"): the add.stats JSON as Spark/Delta writes it
// (numRecords, minValues, maxValues, nullCount) and its parsing for pruning. Pure: no I/O, no Parquet.
import * as arrow from 'apache-arrow';
import { InvalidArgumentError, ProtocolError } from '../errors.js';
import { decimalParams } from '../schema/json.js';
import type { DataType, StructField, StructType } from '../schema/types.js';
import { floorDiv, formatDate, formatDecimal } from '../schema/values.js';
import { compareStrings } from '../expr/index.js';
import { javaFloatingString } from '../schema/partition_values.js';
import { readValues, type Value } from '../schema/access/get.js';
import { validityOf } from '../schema/access/validity.js';
import { bytesAt, fixedValues, type BigIntArray, type NumberArray } from '../schema/access/view.js';
import { TABLE_PROPERTIES } from '../log/table_properties.js';

const STRING_PREFIX_LENGTH = TABLE_PROPERTIES.dataSkippingStringPrefixLength.default;
const DEFAULT_NUM_INDEXED_COLS = TABLE_PROPERTIES.dataSkippingNumIndexedCols.default;

export interface CollectStatsOptions {
  partitionColumns: readonly string[];
  /** delta.dataSkippingNumIndexedCols: leaf columns (in schema order, partition columns excluded) that get
   *  stats; -1 = all. Default 32. Ignored when statsColumns is given. */
  numIndexedCols?: number;
  /** delta.dataSkippingStatsColumns: column names (nested as `a.b`, backticks for names with dots). */
  statsColumns?: readonly string[];
  /** delta.dataSkippingStringPrefixLength; default 32. */
  stringPrefixLength?: number;
}

type Kind = 'int' | 'long' | 'float' | 'double' | 'decimal' | 'date' | 'timestamp' | 'timestamp_ntz' | 'string' | 'none';

function kindOf(t: DataType): Kind {
  if (typeof t !== 'string') return 'none';
  switch (t) {
    case 'byte':
    case 'short':
    case 'integer':
      return 'int';
    case 'long':
    case 'float':
    case 'double':
    case 'date':
    case 'timestamp':
    case 'timestamp_ntz':
    case 'string':
      return t;
    case 'boolean':
    case 'binary':
      return 'none'; // Delta collects only nullCount for these (SkippingEligibleDataType)
    default:
      return decimalParams(t) ? 'decimal' : 'none';
  }
}

/** Split `a.b`, `` `a.b`.c `` into path parts. */
export function parseColumnPath(name: string): string[] {
  const parts: string[] = [];
  let cur = '';
  let quoted = false;
  for (let i = 0; i < name.length; i++) {
    const ch = name[i]!;
    if (ch === '`') {
      if (quoted && name[i + 1] === '`') {
        cur += '`';
        i++;
      } else quoted = !quoted;
    } else if (ch === '.' && !quoted) {
      parts.push(cur.trim());
      cur = '';
    } else cur += ch;
  }
  parts.push(quoted ? cur : cur.trim());
  return parts;
}

const ASCII_MAX = '\u007f';
const UTF8_MAX = String.fromCodePoint(0x10ffff);

/** Delta's truncateMinStringAgg: a prefix of `len` UTF-16 units, not splitting a surrogate pair. */
export function truncateMinString(s: string, len: number): string {
  if (s.length <= len) return s;
  const hi = s.charCodeAt(len - 1);
  const lo = s.charCodeAt(len);
  if (hi >= 0xd800 && hi <= 0xdbff && lo >= 0xdc00 && lo <= 0xdfff) return s.slice(0, len + 1);
  return s.slice(0, len);
}

/**
 * Delta's truncateMaxStringAgg: the prefix plus a tie-breaker (U+007F when the next character is below it,
 * else U+10FFFF) so the result stays >= the original in UTF-8 order; null when no such string fits in 2*len.
 */
export function truncateMaxString(s: string, len: number): string | null {
  if (s.length <= len) return s;
  if (len <= 0) return null;
  const maxLen = 2 * len;
  let cur = truncateMinString(s, len).length;
  while (cur <= maxLen) {
    if (cur >= s.length) return s;
    if (cur + 1 < s.length && s.slice(cur, cur + 2) === UTF8_MAX) cur += 2;
    else if (s.charCodeAt(cur) < 0x7f) return s.slice(0, cur) + ASCII_MAX;
    else return s.slice(0, cur) + UTF8_MAX;
  }
  return null;
}

/** Shortest decimal text that reads back as the same float32 (how Java prints a Float). */
export function formatFloat32(v: number): string {
  for (let p = 1; p <= 9; p++) {
    const s = v.toPrecision(p);
    if (Math.fround(Number(s)) === v) return String(Number(s));
  }
  return String(v);
}

/** Spark's stats form of a timestamp: ISO-8601 with milliseconds, truncated down (PROTOCOL.md footnote). */
export function formatStatsTimestamp(us: bigint, withZone: boolean): string {
  const msNum = Number(floorDiv(us, 1000n));
  const days = Math.floor(msNum / 86_400_000);
  const rem = msNum - days * 86_400_000;
  const h = Math.floor(rem / 3_600_000);
  const mi = Math.floor(rem / 60_000) % 60;
  const s = Math.floor(rem / 1000) % 60;
  const f = rem % 1000;
  const p = (n: number, w = 2) => String(n).padStart(w, '0');
  return `${formatDate(days)}T${p(h)}:${p(mi)}:${p(s)}.${p(f, 3)}${withZone ? 'Z' : ''}`;
}

interface Leaf {
  path: string[];
  type: DataType;
  withStats: boolean;
}

interface StatNode {
  leaf?: { min?: string; max?: string; nulls: number };
  children?: Map<string, StatNode>;
}

function jsonOf(kind: Kind, t: DataType, v: Value): string | undefined {
  switch (kind) {
    case 'int':
      return String(v);
    case 'long':
      return (v as bigint).toString();
    case 'float':
    case 'double':
      return floatStatJson(v as number, kind === 'float');
    case 'decimal':
      return formatDecimal(v as bigint, decimalParams(t)!.scale);
    case 'date':
      return JSON.stringify(formatDate(v as number));
    case 'timestamp':
      return JSON.stringify(formatStatsTimestamp(v as bigint, true));
    case 'timestamp_ntz':
      return JSON.stringify(formatStatsTimestamp(v as bigint, false));
    default:
      return undefined;
  }
}

/**
 * A float/double statistic as Spark's JSON generator writes it: Java's Float/Double.toString text (`1.0`, `-0.0`,
 * `1.0E20`), and NaN and the infinities as the strings "NaN", "Infinity", "-Infinity".
 */
function floatStatJson(v: number, float32: boolean): string {
  const text = javaFloatingString(v, float32);
  return Number.isFinite(v) ? text : JSON.stringify(text);
}

function less(kind: Kind, a: Value, b: Value): boolean {
  if (kind === 'string') return compareStrings(a as string, b as string) < 0;
  return (a as number | bigint) < (b as number | bigint);
}

function leafStats(values: readonly Value[], t: DataType, prefixLen: number): { min?: string; max?: string; nulls: number } {
  const kind = kindOf(t);
  let nulls = 0;
  let min: Value = null;
  let max: Value = null;
  let sawNaN = false;
  for (const v of values) {
    if (v === null) {
      nulls++;
      continue;
    }
    if (kind === 'none') continue;
    if ((kind === 'float' || kind === 'double') && Number.isNaN(v)) {
      sawNaN = true;
      continue;
    }
    if (min === null || less(kind, v, min)) min = v;
    if (max === null || less(kind, max, v)) max = v;
  }
  const out: { min?: string; max?: string; nulls: number } = { nulls };
  // Spark's min/max aggregates order NaN above every number: max is NaN when a NaN is present, min only when
  // every value is NaN. Readers need that max (pruning.ts keeps a NaN-matching file unless max is NaN).
  if (sawNaN) {
    if (min === null) min = Number.NaN;
    max = Number.NaN;
  }
  if (min === null || kind === 'none') return out;
  if (kind === 'string') {
    out.min = JSON.stringify(truncateMinString(min as string, prefixLen));
    const mx = truncateMaxString(max as string, prefixLen);
    if (mx !== null) out.max = JSON.stringify(mx);
    return out;
  }
  out.min = jsonOf(kind, t, min);
  out.max = jsonOf(kind, t, max);
  return out;
}

function selectLeaves(schema: StructType, opts: CollectStatsOptions): Leaf[] {
  const part = new Set(opts.partitionColumns);
  const leaves: Leaf[] = [];
  const walk = (fields: readonly StructField[], prefix: string[]) => {
    for (const f of fields) {
      if (prefix.length === 0 && part.has(f.name)) continue;
      const path = [...prefix, f.name];
      if (typeof f.type === 'object' && f.type.type === 'struct') walk(f.type.fields, path);
      else leaves.push({ path, type: f.type, withStats: false });
    }
  };
  walk(schema.fields, []);
  if (opts.statsColumns) {
    const wanted = opts.statsColumns.map(parseColumnPath);
    for (const l of leaves) {
      // names resolve as everywhere (expr/resolve.ts): exact or case-insensitive, like Spark's column resolution
      l.withStats = wanted.some((w) => w.length <= l.path.length && w.every((p, i) => p === l.path[i] || p.toLowerCase() === l.path[i]!.toLowerCase()));
    }
  } else {
    const n = opts.numIndexedCols ?? DEFAULT_NUM_INDEXED_COLS;
    if (n < -1) throw new InvalidArgumentError(`delta.dataSkippingNumIndexedCols must be >= -1, got ${n}`);
    leaves.forEach((l, i) => (l.withStats = n === -1 || i < n));
  }
  return leaves.filter((l) => l.withStats);
}

/**
 * The add.stats JSON of one data file, as Spark writes it: keys in schema order, nested structs as nested
 * objects, partition columns excluded, min/max only for numeric/date/timestamp/string/decimal columns (not
 * boolean, binary, array, map) and omitted when every value is null, strings truncated per Delta's
 * StatisticsCollection, timestamps as ISO-8601 milliseconds truncated down, longs and decimals as exact JSON
 * numbers. `table` holds the file's rows with top-level columns named as in `schema` (logical names).
 */
export function collectStats(table: arrow.Table, schema: StructType, opts: CollectStatsOptions): string {
  const prefixLen = opts.stringPrefixLength ?? STRING_PREFIX_LENGTH;
  const leaves = selectLeaves(schema, opts);
  const numRecords = table.numRows;
  const root: StatNode = { children: new Map() };
  // Materialize each needed top-level column once.
  const columnValues = new Map<string, Value[]>();
  const valuesOf = (top: string, t: DataType): Value[] | null => {
    if (columnValues.has(top)) return columnValues.get(top)!;
    const idx = table.schema.fields.findIndex((f) => f.name === top);
    if (idx < 0) return null;
    const vals: Value[] = [];
    for (const batch of table.batches) {
      for (const v of readValues(batch.data.children[idx]!, t, { loss: 'truncate', path: top })) vals.push(v);
    }
    columnValues.set(top, vals);
    return vals;
  };
  for (const leaf of leaves) {
    const topField = schema.fields.find((f) => f.name === leaf.path[0])!;
    const fast = leaf.path.length === 1 ? fastLeafStats(table, topField.name, leaf.type, prefixLen) : undefined;
    const top = fast ? null : valuesOf(topField.name, topField.type);
    let stats: { min?: string; max?: string; nulls: number };
    if (fast) stats = fast;
    else if (top === null) stats = { nulls: numRecords }; // column absent from the data: all null
    else {
      const vals = top.map((v) => {
        let cur: Value = v;
        for (let i = 1; i < leaf.path.length && cur !== null; i++) cur = (cur as Record<string, Value>)[leaf.path[i]!] ?? null;
        return cur;
      });
      stats = leafStats(vals, leaf.type, prefixLen);
    }
    let node = root;
    for (const p of leaf.path) {
      let next = node.children!.get(p);
      if (!next) {
        next = { children: new Map() };
        node.children!.set(p, next);
      }
      node = next;
    }
    node.leaf = stats;
  }
  const render = (node: StatNode, pick: (l: NonNullable<StatNode['leaf']>) => string | undefined): string | undefined => {
    const parts: string[] = [];
    for (const [name, child] of node.children ?? []) {
      const s = child.leaf ? pick(child.leaf) : render(child, pick);
      if (s !== undefined) parts.push(`${JSON.stringify(name)}:${s}`);
    }
    return parts.length ? `{${parts.join(',')}}` : undefined;
  };
  const minV = render(root, (l) => l.min) ?? '{}';
  const maxV = render(root, (l) => l.max) ?? '{}';
  const nulls = render(root, (l) => String(l.nulls)) ?? '{}';
  return `{"numRecords":${numRecords},"minValues":${minV},"maxValues":${maxV},"nullCount":${nulls}}`;
}

/** A JSON value of a stats file; integers beyond 2^53 are bigint so long bounds stay exact. */
export type StatValue = null | boolean | number | bigint | string | StatValue[] | { [k: string]: StatValue };

export interface FileStats {
  numRecords: number | null;
  /** Nested like the schema (struct fields as nested objects), logical/physical names as written. */
  minValues: { [k: string]: StatValue };
  maxValues: { [k: string]: StatValue };
  nullCount: { [k: string]: StatValue };
  /** PROTOCOL.md: treat as true when absent. */
  tightBounds: boolean;
}

/** Parse add.stats; null/undefined/'' -> null. Malformed JSON -> ProtocolError. */
export function parseStats(json: string | null | undefined): FileStats | null {
  if (json === null || json === undefined || json.trim() === '') return null;
  let v: StatValue;
  try {
    v = new JsonReader(json).readDocument();
  } catch (e) {
    throw new ProtocolError(`add.stats is not valid JSON: ${(e as Error).message}`, undefined, undefined, { cause: e });
  }
  if (v === null || typeof v !== 'object' || Array.isArray(v)) throw new ProtocolError('add.stats must be a JSON object');
  const obj = (x: StatValue | undefined): { [k: string]: StatValue } =>
    x !== null && x !== undefined && typeof x === 'object' && !Array.isArray(x) ? x : {};
  const nr = v.numRecords;
  return {
    numRecords: typeof nr === 'number' ? nr : typeof nr === 'bigint' ? Number(nr) : null,
    minValues: obj(v.minValues),
    maxValues: obj(v.maxValues),
    nullCount: obj(v.nullCount),
    tightBounds: v.tightBounds === false ? false : true,
  };
}

/** Minimal JSON reader that keeps integers outside the safe range exact (as bigint). */
class JsonReader {
  private i = 0;
  constructor(private readonly s: string) {}

  readDocument(): StatValue {
    const v = this.value();
    this.ws();
    if (this.i !== this.s.length) throw new Error(`unexpected text at offset ${this.i}`);
    return v;
  }

  private ws(): void {
    while (this.i < this.s.length && ' \t\n\r'.includes(this.s[this.i]!)) this.i++;
  }

  private value(): StatValue {
    this.ws();
    const c = this.s[this.i];
    if (c === '{') {
      this.i++;
      const o: { [k: string]: StatValue } = {};
      this.ws();
      if (this.s[this.i] === '}') {
        this.i++;
        return o;
      }
      for (;;) {
        this.ws();
        if (this.s[this.i] !== '"') throw new Error(`expected a key at offset ${this.i}`);
        const k = this.string();
        this.ws();
        if (this.s[this.i++] !== ':') throw new Error(`expected ':' at offset ${this.i - 1}`);
        o[k] = this.value();
        this.ws();
        const d = this.s[this.i++];
        if (d === '}') return o;
        if (d !== ',') throw new Error(`expected ',' or '}' at offset ${this.i - 1}`);
      }
    }
    if (c === '[') {
      this.i++;
      const a: StatValue[] = [];
      this.ws();
      if (this.s[this.i] === ']') {
        this.i++;
        return a;
      }
      for (;;) {
        a.push(this.value());
        this.ws();
        const d = this.s[this.i++];
        if (d === ']') return a;
        if (d !== ',') throw new Error(`expected ',' or ']' at offset ${this.i - 1}`);
      }
    }
    if (c === '"') return this.string();
    for (const [lit, val] of [['true', true], ['false', false], ['null', null]] as const) {
      if (this.s.startsWith(lit, this.i)) {
        this.i += lit.length;
        return val;
      }
    }
    const m = /^-?(?:0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?/.exec(this.s.slice(this.i, this.i + 400));
    if (!m) throw new Error(`unexpected character at offset ${this.i}`);
    this.i += m[0].length;
    if (!m[1] && !m[2]) {
      const n = Number(m[0]);
      return Number.isSafeInteger(n) ? n : BigInt(m[0]);
    }
    return Number(m[0]);
  }

  private string(): string {
    const start = this.i;
    this.i++;
    let escaped = false;
    while (this.i < this.s.length) {
      const ch = this.s[this.i]!;
      if (escaped) escaped = false;
      else if (ch === '\\') escaped = true;
      else if (ch === '"') break;
      this.i++;
    }
    if (this.i >= this.s.length) throw new Error('unterminated string');
    this.i++;
    return JSON.parse(this.s.slice(start, this.i)) as string;
  }
}

const utf8 = new TextDecoder();

function compareBytes(a: Uint8Array, as: number, ae: number, b: Uint8Array, bs: number, be: number): number {
  const n = Math.min(ae - as, be - bs);
  for (let k = 0; k < n; k++) {
    const d = a[as + k]! - b[bs + k]!;
    if (d !== 0) return d;
  }
  return ae - as - (be - bs);
}

/**
 * Stats of a top-level column straight from Arrow buffers (no per-value JS objects): strings compared as UTF-8
 * bytes (= code point order) and decoded only for min and max; numbers read from their typed arrays.
 * Returns undefined when the column is not in a canonical flat layout, and the generic path runs.
 */
function fastLeafStats(
  table: arrow.Table,
  name: string,
  t: DataType,
  prefixLen: number,
): { min?: string; max?: string; nulls: number } | undefined {
  const kind = kindOf(t);
  if (kind === 'none' || typeof t !== 'string' || t.startsWith('decimal')) return undefined;
  const idx = table.schema.fields.findIndex((f) => f.name === name);
  if (idx < 0) return undefined;
  const chunks = table.batches.map((b) => b.data.children[idx]!);
  const isString = kind === 'string';
  for (const d of chunks) {
    const tid = d.type.typeId;
    if (isString ? tid !== arrow.Type.Utf8 : !(d.values instanceof Int8Array || d.values instanceof Int16Array || d.values instanceof Int32Array || d.values instanceof BigInt64Array || d.values instanceof Float32Array || d.values instanceof Float64Array)) {
      return undefined;
    }
    if (t === 'date' && !(d.values instanceof Int32Array)) return undefined;
    if ((t === 'timestamp' || t === 'timestamp_ntz') && (d.type as arrow.Timestamp).unit !== arrow.TimeUnit.MICROSECOND) return undefined;
  }
  let nulls = 0;
  if (isString) {
    let minD: arrow.Data | undefined;
    let minI = 0;
    let maxD: arrow.Data | undefined;
    let maxI = 0;
    for (const d of chunks) {
      const offs = d.valueOffsets as Int32Array;
      const bytes = d.values as Uint8Array;
      const checkNulls = d.nullCount > 0;
      const valid = validityOf(d);
      for (let i = 0; i < d.length; i++) {
        if (checkNulls && !valid(i)) {
          nulls++;
          continue;
        }
        const s = offs[i]!;
        const e = offs[i + 1]!;
        if (!minD || compareBytes(bytes, s, e, minD.values as Uint8Array, (minD.valueOffsets as Int32Array)[minI]!, (minD.valueOffsets as Int32Array)[minI + 1]!) < 0) {
          minD = d;
          minI = i;
        }
        if (!maxD || compareBytes(bytes, s, e, maxD.values as Uint8Array, (maxD.valueOffsets as Int32Array)[maxI]!, (maxD.valueOffsets as Int32Array)[maxI + 1]!) > 0) {
          maxD = d;
          maxI = i;
        }
      }
    }
    const text = (d: arrow.Data, i: number) => utf8.decode(bytesAt(d, i));
    const values: Value[] = minD && maxD ? [text(minD, minI), text(maxD, maxI)] : [];
    return { ...leafStats(values, t, prefixLen), nulls };
  }
  let min: number | bigint | null = null;
  let max: number | bigint | null = null;
  let nan: Value[] = [];
  for (const d of chunks) {
    const vals = fixedValues<NumberArray | BigIntArray>(d);
    const checkNulls = d.nullCount > 0;
    const valid = validityOf(d);
    for (let i = 0; i < d.length; i++) {
      if (checkNulls && !valid(i)) {
        nulls++;
        continue;
      }
      const v = vals[i]!;
      if (typeof v === 'number' && Number.isNaN(v)) {
        nan = [Number.NaN];
        continue;
      }
      if (min === null || v < min) min = v;
      if (max === null || v > max) max = v;
    }
  }
  const values: Value[] = min === null ? nan : [min, max!, ...nan];
  return { ...leafStats(values, t, prefixLen), nulls };
}
