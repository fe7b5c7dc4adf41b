// Schema inference for `deltats import` into a new table: Delta types from CSV text (long, double, boolean, date,
// timestamp, else string) and from JSON values (union of keys, nested structs and arrays). Reads no files.
import {
  type DataType,
  InvalidArgumentError,
  type StructField,
  type StructType,
  parseDateString,
  parseTimestampString,
  typeToString,
} from '../index.js';

const LONG_RE = /^[+-]?(?:0|[1-9]\d*)$/; // no leading zeros: '007' (a code, a zip) stays text
const DOUBLE_RE = /^[+-]?(?:(?:0|[1-9]\d*)(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?$/;
const LONG_MIN = -(2n ** 63n);
const LONG_MAX = 2n ** 63n - 1n;

/** The narrowest type a CSV field's text reads as (spaces around it are ignored, as the conversion does). */
export function textType(text: string): DataType {
  const s = text.trim();
  if (LONG_RE.test(s)) {
    const n = BigInt(s);
    return n >= LONG_MIN && n <= LONG_MAX ? 'long' : 'double';
  }
  if (DOUBLE_RE.test(s) && /\d/.test(s)) return 'double';
  if (/^(true|false)$/i.test(s)) return 'boolean';
  return dateOrTimestamp(s) ?? 'string';
}

function dateOrTimestamp(s: string): DataType | undefined {
  if (/^\d{4}-\d{2}-\d{2}$/.test(s)) return parseDateString(s) === null ? undefined : 'date';
  if (/^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}/i.test(s) && parseTimestampString(s) !== null) return 'timestamp';
  return undefined;
}

/** The common type of two primitive types: long+double = double, date+timestamp = timestamp; undefined when none. */
function widenPrimitive(a: DataType, b: DataType): DataType | undefined {
  if (a === b) return a;
  const pair = new Set([a, b]);
  if (pair.has('long') && pair.has('double')) return 'double';
  if (pair.has('date') && pair.has('timestamp')) return 'timestamp';
  return undefined;
}

function field(name: string, type: DataType | null): StructField {
  return { name, type: type ?? 'string', nullable: true, metadata: {} };
}

/** Column types of CSV records: each column gets the narrowest type all its non-null fields read as (else string). */
export function inferCsvSchema(header: string[], records: ReadonlyArray<{ fields: ReadonlyArray<string | null> }>): StructType {
  const types: Array<DataType | null> = header.map(() => null);
  for (const r of records) {
    r.fields.forEach((text, i) => {
      if (text === null || types[i] === 'string') return;
      const t = textType(text);
      types[i] = types[i] === null ? t : (widenPrimitive(types[i]!, t) ?? 'string');
    });
  }
  return { type: 'struct', fields: header.map((name, i) => field(name, types[i]!)) };
}

/** A JSON value's type while inferring: nested nulls stay open until a later value decides them. */
type JsonType =
  | { kind: 'null' }
  | { kind: 'primitive'; type: DataType }
  | { kind: 'array'; element: JsonType }
  | { kind: 'struct'; fields: Map<string, JsonType> };

const NULL: JsonType = { kind: 'null' };

function jsonType(v: unknown): JsonType {
  if (v === null || v === undefined) return NULL;
  if (typeof v === 'boolean') return { kind: 'primitive', type: 'boolean' };
  if (typeof v === 'number') return { kind: 'primitive', type: Number.isInteger(v) ? 'long' : 'double' };
  if (typeof v === 'string') return { kind: 'primitive', type: dateOrTimestamp(v) ?? 'string' };
  if (Array.isArray(v)) return { kind: 'array', element: v.reduce<JsonType>((t, e) => mergeJson(t, jsonType(e)) ?? t, NULL) };
  return { kind: 'struct', fields: new Map(Object.entries(v as Record<string, unknown>).map(([k, x]) => [k, jsonType(x)])) };
}

/** The common type of two JSON types, or undefined when they conflict (a string and a number, a struct and a list). */
function mergeJson(a: JsonType, b: JsonType): JsonType | undefined {
  if (a.kind === 'null') return b;
  if (b.kind === 'null') return a;
  if (a.kind === 'primitive' && b.kind === 'primitive') {
    const w = widenPrimitive(a.type, b.type);
    return w === undefined ? undefined : { kind: 'primitive', type: w };
  }
  if (a.kind === 'array' && b.kind === 'array') {
    const element = mergeJson(a.element, b.element);
    return element && { kind: 'array', element };
  }
  if (a.kind === 'struct' && b.kind === 'struct') {
    const fields = new Map(a.fields);
    for (const [k, t] of b.fields) {
      const m = mergeJson(fields.get(k) ?? NULL, t);
      if (!m) return undefined;
      fields.set(k, m);
    }
    return { kind: 'struct', fields };
  }
  return undefined;
}

/** Delta type of an inferred JSON type; a column (or element) only ever null becomes string. */
function toDelta(t: JsonType): DataType {
  switch (t.kind) {
    case 'null':
      return 'string';
    case 'primitive':
      return t.type;
    case 'array':
      return { type: 'array', elementType: toDelta(t.element), containsNull: true };
    case 'struct':
      return { type: 'struct', fields: [...t.fields].map(([name, f]) => field(name, toDelta(f))) };
  }
}

/** Schema of JSON objects: the union of their keys in first-seen order, each with the common type of its values. */
export function inferJsonSchema(objects: ReadonlyArray<{ value: Record<string, unknown>; line: number }>, file: string): StructType {
  const columns = new Map<string, { type: JsonType; line: number }>();
  for (const { value, line } of objects) {
    for (const [k, v] of Object.entries(value)) {
      const t = jsonType(v);
      const seen = columns.get(k);
      if (!seen || seen.type.kind === 'null') {
        columns.set(k, { type: t, line });
        continue;
      }
      const merged = mergeJson(seen.type, t);
      if (!merged) {
        throw new InvalidArgumentError(
          `${file}:${line}: column '${k}' is ${typeToString(toDelta(t))} here but ${typeToString(toDelta(seen.type))} on line ${seen.line}; ` +
            'pass --schema to choose the column types',
        );
      }
      columns.set(k, { type: merged, line: seen.line });
    }
  }
  return { type: 'struct', fields: [...columns].map(([name, s]) => field(name, toDelta(s.type))) };
}
