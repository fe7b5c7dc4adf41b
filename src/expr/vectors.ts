// Column-at-a-time values of the expression engine: numbers in a Float64Array and three-valued truths in a Uint8Array,
// each with a byte-per-row validity mask, read straight from Arrow buffers (sliced, multi-chunk) without a JS value
// per row, and turned back into values or Arrow data. Integral values (long and timestamp included) are held exactly
// as doubles: a column with a value beyond +-2^53 has no vector, and the engine evaluates it row by row. No I/O.
import * as arrow from 'apache-arrow';
import type { Value } from '../schema/access/get.js';
import { fixedValues } from '../schema/access/view.js';
import type { DataType } from '../schema/types.js';
import { toArrowType } from '../schema/arrow.js';
import { FALSE, NULL, TRUE } from './literal_keys.js';
import type { SqlType } from './types.js';

/** Numbers, one per row; `valid[i] === 0` marks a null row (absent: no nulls). */
export interface NumVec {
  kind: 'num';
  values: Float64Array;
  valid: Uint8Array | null;
}

/** Three-valued truth per row: FALSE (0), TRUE (1), NULL (2). */
export interface TruthVec {
  kind: 'truth';
  values: Uint8Array;
}

export type Vec = NumVec | TruthVec;

/** Delta types a NumVec holds (numbers of these types are exact doubles within +-2^53). */
const NUM_TYPES = new Set<string>(['byte', 'short', 'integer', 'long', 'float', 'double', 'date', 'timestamp', 'timestamp_ntz']);

export function isNumVecType(t: SqlType): boolean {
  return typeof t === 'string' && NUM_TYPES.has(t);
}

/** Types whose values are held as bigint by the row engine (long, timestamps). */
function isBigType(t: SqlType): boolean {
  return t === 'long' || t === 'timestamp' || t === 'timestamp_ntz';
}

export function isVecType(t: SqlType): boolean {
  return t === 'boolean' || isNumVecType(t);
}

const TWO_32 = 4294967296;
/** High word bounds of an int64 whose value is within [-2^53, 2^53). */
const HI_MIN = -2097152;
const HI_MAX = 2097151;

/** Whether the Arrow type of `data` is the canonical layout of Delta type `t` (what a vector reads directly). */
function readable(data: arrow.Data, t: SqlType): boolean {
  const src = data.type as arrow.DataType;
  switch (t) {
    case 'byte':
    case 'short':
    case 'integer':
    case 'long': {
      if (!arrow.DataType.isInt(src) || !src.isSigned) return false;
      const w = { byte: 8, short: 16, integer: 32, long: 64 }[t];
      return src.bitWidth === w;
    }
    case 'float':
      return arrow.DataType.isFloat(src) && src.precision === arrow.Precision.SINGLE;
    case 'double':
      return arrow.DataType.isFloat(src) && src.precision === arrow.Precision.DOUBLE;
    case 'date':
      return arrow.DataType.isDate(src) && src.unit === arrow.DateUnit.DAY;
    case 'timestamp':
    case 'timestamp_ntz':
      return arrow.DataType.isTimestamp(src) && src.unit === arrow.TimeUnit.MICROSECOND;
    case 'boolean':
      return arrow.DataType.isBool(src);
    default:
      return false;
  }
}

/** Copy the validity of `data` into `valid` at `at`; returns whether any row was null. */
function copyValidity(data: arrow.Data, valid: Uint8Array, at: number): boolean {
  const n = data.length;
  if (data.nullCount === 0) {
    valid.fill(1, at, at + n);
    return false;
  }
  const bm = data.nullBitmap;
  if (!bm || bm.length === 0) {
    valid.fill(data.nullCount === n ? 0 : 1, at, at + n);
    return data.nullCount === n;
  }
  const off = data.offset;
  for (let i = 0; i < n; i++) {
    const pos = off + i;
    valid[at + i] = (bm[pos >> 3]! >> (pos & 7)) & 1;
  }
  return true;
}

/**
 * The vector of Delta type `t` over `chunks` (aligned one after another), or null when a chunk is not in the
 * canonical layout of `t` or (integral types) holds a value beyond +-2^53.
 */
export function vectorOf(chunks: readonly arrow.Data[], t: SqlType): Vec | null {
  if (!isVecType(t) || !chunks.every((d) => readable(d, t))) return null;
  let n = 0;
  for (const d of chunks) n += d.length;
  const valid = new Uint8Array(n);
  let nulls = false;
  if (t === 'boolean') {
    const out = new Uint8Array(n);
    let at = 0;
    for (const d of chunks) {
      nulls = copyValidity(d, valid, at) || nulls;
      const bits = d.values as Uint8Array;
      const off = d.offset;
      for (let i = 0; i < d.length; i++) {
        const pos = off + i;
        out[at + i] = valid[at + i] ? (bits[pos >> 3]! >> (pos & 7)) & 1 : NULL;
      }
      at += d.length;
    }
    return { kind: 'truth', values: out };
  }
  const out = new Float64Array(n);
  let at = 0;
  for (const d of chunks) {
    nulls = copyValidity(d, valid, at) || nulls;
    if (isBigType(t)) {
      const big = fixedValues<BigInt64Array>(d);
      const words = new Int32Array(big.buffer, big.byteOffset, big.length * 2);
      for (let i = 0; i < d.length; i++) {
        const hi = words[2 * i + 1]!;
        if (hi < HI_MIN || hi > HI_MAX) {
          if (!valid[at + i]) continue;
          return null;
        }
        out[at + i] = hi * TWO_32 + (words[2 * i]! >>> 0);
      }
    } else {
      out.set(fixedValues<Float64Array>(d), at);
    }
    at += d.length;
  }
  return { kind: 'num', values: out, valid: nulls ? valid : null };
}

/** A vector of `n` copies of a constant value of type `t` (null when the constant has no exact vector form). */
export function constantVector(v: Value, t: SqlType, n: number): Vec | null {
  if (t === 'boolean' || t === 'void') {
    if (t === 'void' || v === null) return { kind: 'truth', values: new Uint8Array(n).fill(NULL) };
    return { kind: 'truth', values: new Uint8Array(n).fill(v ? TRUE : FALSE) };
  }
  if (!isNumVecType(t)) return null;
  if (v === null) return { kind: 'num', values: new Float64Array(n), valid: new Uint8Array(n) };
  const x = Number(v as number | bigint);
  if (typeof v === 'bigint' && !Number.isSafeInteger(x)) return null;
  return { kind: 'num', values: new Float64Array(n).fill(x), valid: null };
}

/** The row engine's values of a vector of type `t` (long and timestamps as bigint, booleans as true/false/null). */
export function vectorValues(v: Vec, t: SqlType): Value[] {
  const n = v.values.length;
  const out = new Array<Value>(n);
  if (v.kind === 'truth') {
    const a = v.values;
    for (let i = 0; i < n; i++) out[i] = a[i] === TRUE ? true : a[i] === FALSE ? false : null;
    return out;
  }
  const { values, valid } = v;
  const big = isBigType(t);
  for (let i = 0; i < n; i++) {
    if (valid && !valid[i]) out[i] = null;
    else out[i] = big ? BigInt(values[i]!) : values[i]!;
  }
  return out;
}

/** An Arrow column of Delta type `t` holding vector `v`; null when `t` has no direct typed-array layout here. */
export function vectorToData(v: Vec, t: DataType): arrow.Data | null {
  const n = v.values.length;
  let valid: Uint8Array | null;
  if (v.kind === 'truth') {
    if (t !== 'boolean') return null;
    valid = null;
    const bits = new Uint8Array((n + 7) >> 3);
    for (let i = 0; i < n; i++) {
      const x = v.values[i]!;
      if (x === TRUE) bits[i >> 3]! |= 1 << (i & 7);
      else if (x === NULL) {
        valid ??= new Uint8Array(n).fill(1);
        valid[i] = 0;
      }
    }
    return makeWith(t, n, valid, bits);
  }
  valid = v.valid;
  const src = v.values;
  let values: ArrayBufferView;
  switch (t) {
    case 'double':
      values = src.slice();
      break;
    case 'float':
      values = Float32Array.from(src);
      break;
    case 'integer':
    case 'date':
      values = Int32Array.from(src);
      break;
    case 'short':
      values = Int16Array.from(src);
      break;
    case 'byte':
      values = Int8Array.from(src);
      break;
    case 'long':
    case 'timestamp':
    case 'timestamp_ntz': {
      const words = new Int32Array(2 * n);
      for (let i = 0; i < n; i++) {
        const x = valid && !valid[i] ? 0 : src[i]!;
        const hi = Math.floor(x / TWO_32);
        words[2 * i] = x - hi * TWO_32;
        words[2 * i + 1] = hi;
      }
      values = new BigInt64Array(words.buffer);
      break;
    }
    default:
      return null;
  }
  return makeWith(t, n, valid, values);
}

function makeWith(t: DataType, n: number, valid: Uint8Array | null, data: ArrayBufferView): arrow.Data {
  let nullCount = 0;
  let bitmap: Uint8Array | undefined;
  if (valid) {
    bitmap = new Uint8Array((n + 7) >> 3);
    for (let i = 0; i < n; i++) {
      if (valid[i]) bitmap[i >> 3]! |= 1 << (i & 7);
      else nullCount++;
    }
    if (nullCount === 0) bitmap = undefined;
  }
  return arrow.makeData({ type: toArrowType(t), length: n, nullCount, nullBitmap: bitmap, data } as never);
}
