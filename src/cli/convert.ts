// Conversion of imported text (CSV fields) and JSON values (JSON lines) to the JS values objectsToArrow accepts,
// by the table's Delta type. Errors name file, line and column; nothing here reads files or writes tables.
import {
  type DataType,
  InvalidArgumentError,
  decimalParams,
  parseDateString,
  parseTimestampString,
  toUnscaledDecimal,
  typeToString,
} from '../index.js';

export interface Where {
  file: string;
  line: number;
  column: string;
}

function fail(w: Where, t: DataType, text: string, why?: string): never {
  const shown = text.length > 40 ? `${text.slice(0, 40)}…` : text;
  throw new InvalidArgumentError(
    `${w.file}:${w.line}: column '${w.column}': cannot read '${shown}' as ${typeToString(t)}${why ? ` (${why})` : ''}`,
  );
}

const INT_RANGE: Record<string, [number, number]> = {
  integer: [-2147483648, 2147483647],
  short: [-32768, 32767],
  byte: [-128, 127],
};

function hexBytes(text: string): Uint8Array | null {
  const h = text.startsWith('0x') || text.startsWith('0X') ? text.slice(2) : text;
  if (h.length % 2 !== 0 || !/^[0-9a-fA-F]*$/.test(h)) return null;
  return new Uint8Array(Buffer.from(h, 'hex'));
}

/**
 * One CSV field as a value of Delta type `t`. null (an unquoted empty field or the null marker) is null; an empty
 * (quoted) field is '' for string columns, null otherwise. Nested types are written as JSON in the field.
 */
export function fromCsvField(text: string | null, t: DataType, w: Where): unknown {
  if (text === null || (text === '' && t !== 'string')) return null;
  if (typeof t !== 'string') {
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      fail(w, t, text, 'nested values are written as JSON');
    }
    return fromJsonValue(parsed, t, w);
  }
  const s = t === 'string' ? text : text.trim();
  switch (t) {
    case 'string':
      return s;
    case 'long':
      if (!/^[+-]?\d+$/.test(s)) fail(w, t, text);
      return BigInt(s);
    case 'integer':
    case 'short':
    case 'byte': {
      if (!/^[+-]?\d+$/.test(s)) fail(w, t, text);
      const n = Number(s);
      const [lo, hi] = INT_RANGE[t]!;
      if (n < lo || n > hi) fail(w, t, text, 'out of range');
      return n;
    }
    case 'float':
    case 'double': {
      const special: Record<string, number> = { nan: NaN, infinity: Infinity, '+infinity': Infinity, '-infinity': -Infinity, inf: Infinity, '-inf': -Infinity };
      const sp = special[s.toLowerCase()];
      if (sp !== undefined) return sp;
      if (!/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(s)) fail(w, t, text);
      return Number(s);
    }
    case 'boolean': {
      const l = s.toLowerCase();
      if (l === 'true') return true;
      if (l === 'false') return false;
      return fail(w, t, text, 'use true or false');
    }
    case 'binary': {
      const b = hexBytes(s);
      if (!b) fail(w, t, text, 'binary values are hex');
      return b;
    }
    case 'date':
      if (parseDateString(s) === null) fail(w, t, text, 'use YYYY-MM-DD');
      return s;
    case 'timestamp':
    case 'timestamp_ntz': {
      const us = parseTimestampString(s);
      if (us === null) fail(w, t, text, 'use ISO-8601, e.g. 2024-05-01T12:00:00Z');
      return us;
    }
    default: {
      const d = decimalParams(t);
      if (!d) fail(w, t, text);
      const r = toUnscaledDecimal(s, d.precision, d.scale);
      if (typeof r === 'string') fail(w, t, text, r);
      return s;
    }
  }
}

/** One JSON value (from a JSON line) as a value of Delta type `t`. */
export function fromJsonValue(v: unknown, t: DataType, w: Where): unknown {
  if (v === null || v === undefined) return null;
  const text = (): string => (typeof v === 'string' ? v : JSON.stringify(v));
  if (typeof t === 'string') {
    switch (t) {
      case 'long':
        if (typeof v === 'number' && Number.isSafeInteger(v)) return BigInt(v);
        if (typeof v === 'string' && /^[+-]?\d+$/.test(v.trim())) return BigInt(v.trim());
        return fail(w, t, text(), typeof v === 'number' ? 'integers beyond 2^53 must be JSON strings' : undefined);
      case 'integer':
      case 'short':
      case 'byte': {
        const n = typeof v === 'string' && /^[+-]?\d+$/.test(v.trim()) ? Number(v) : v;
        if (typeof n !== 'number' || !Number.isInteger(n)) return fail(w, t, text());
        const [lo, hi] = INT_RANGE[t]!;
        if (n < lo || n > hi) fail(w, t, text(), 'out of range');
        return n;
      }
      case 'float':
      case 'double':
        if (typeof v === 'number') return v;
        if (typeof v === 'string') return fromCsvField(v, t, w);
        return fail(w, t, text());
      case 'boolean':
        if (typeof v === 'boolean') return v;
        return fail(w, t, text());
      case 'string':
        if (typeof v === 'string') return v;
        return fail(w, t, text(), 'expected a JSON string');
      case 'binary':
      case 'date':
      case 'timestamp':
      case 'timestamp_ntz':
        if (typeof v !== 'string') return fail(w, t, text(), 'expected a JSON string');
        return fromCsvField(v, t, w);
      default:
        if (typeof v !== 'string' && typeof v !== 'number') return fail(w, t, text());
        return fromCsvField(String(v), t, w);
    }
  }
  if (t.type === 'struct') {
    if (typeof v !== 'object' || Array.isArray(v)) return fail(w, t, text(), 'expected a JSON object');
    const o = v as Record<string, unknown>;
    const out: Record<string, unknown> = {};
    for (const k of Object.keys(o)) {
      const f = t.fields.find((x) => x.name === k);
      if (!f) throw new InvalidArgumentError(`${w.file}:${w.line}: column '${w.column}.${k}' is not in the table schema`);
      out[k] = fromJsonValue(o[k], f.type, { ...w, column: `${w.column}.${k}` });
    }
    return out;
  }
  if (t.type === 'array') {
    if (!Array.isArray(v)) return fail(w, t, text(), 'expected a JSON array');
    return v.map((e, i) => fromJsonValue(e, t.elementType, { ...w, column: `${w.column}[${i}]` }));
  }
  // map: a JSON object (string keys converted by the key type) or [key, value] pairs.
  const pairs: Array<[unknown, unknown]> = Array.isArray(v)
    ? (v as Array<[unknown, unknown]>)
    : typeof v === 'object'
      ? Object.entries(v as Record<string, unknown>)
      : fail(w, t, text(), 'expected a JSON object or [key, value] pairs');
  return pairs.map(([k, val]) => [
    typeof k === 'string' && t.keyType !== 'string' && typeof t.keyType === 'string'
      ? fromCsvField(k, t.keyType, { ...w, column: `${w.column}.key` })
      : fromJsonValue(k, t.keyType, { ...w, column: `${w.column}.key` }),
    fromJsonValue(val, t.valueType, { ...w, column: `${w.column}.value` }),
  ]);
}
