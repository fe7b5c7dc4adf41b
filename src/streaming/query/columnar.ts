// Column-at-a-time reads for the streaming aggregation: event times as numbers, group keys encoded as dense ids
// (strings hashed on their UTF-8 bytes, once per batch), numeric inputs and null masks as typed arrays: vectors of
// the expression engine (expr/vectors.ts) or a frame's Arrow chunks where there are, else its values. No I/O.
import * as arrow from 'apache-arrow';
import type { Value } from '../../schema/access/get.js';
import { validityOf } from '../../schema/access/validity.js';
import type { Frame, FrameExpr } from './frame.js';

const timesCache = new WeakMap<Frame, Map<number, Float64Array>>();

/** Event times of timestamp column `i` in µs (NaN where null); the same numbers as Number(value). Cached per frame. */
export function eventTimes(f: Frame, i: number): Float64Array {
  let byCol = timesCache.get(f);
  const hit = byCol?.get(i);
  if (hit) return hit;
  let out: Float64Array;
  const v = f.vector(i);
  if (v?.kind === 'num') {
    out = v.values;
    if (v.valid) {
      out = out.slice();
      for (let k = 0; k < out.length; k++) if (!v.valid[k]) out[k] = NaN;
    }
  } else {
    // No vector (a value beyond +-2^53 µs, or values computed by a stage): from the values.
    const vals = f.column(i);
    out = new Float64Array(f.numRows);
    for (let k = 0; k < vals.length; k++) out[k] = vals[k] === null ? NaN : Number(vals[k]);
  }
  if (!byCol) timesCache.set(f, (byCol = new Map()));
  byCol.set(i, out);
  return out;
}

/** Group keys of a batch as dense ids: `ids[row]` indexes `keys` (the distinct key tuples, in first-seen order). */
export interface KeyIds {
  ids: Int32Array;
  keys: Value[][];
}

/** Dense ids of the key tuples of `exprs` over `f` (no keys: every row has id 0). */
export function keyIds(f: Frame, exprs: readonly FrameExpr[]): KeyIds {
  const n = f.numRows;
  if (exprs.length === 0) return { ids: new Int32Array(n), keys: [[]] };
  const cols = exprs.map((e) => columnIds(f, e));
  if (cols.length === 1) return { ids: cols[0]!.ids, keys: cols[0]!.values.map((v) => [v]) };
  // Several keys: combine the per-column ids pairwise into ids of tuples.
  let ids = cols[0]!.ids;
  let tuples: number[][] = cols[0]!.values.map((_v, i) => [i]);
  for (let c = 1; c < cols.length; c++) {
    const { ids: next, values } = cols[c]!;
    const width = values.length;
    const index = new Map<number, number>();
    const out = new Int32Array(n);
    const nextTuples: number[][] = [];
    for (let r = 0; r < n; r++) {
      const combo = ids[r]! * width + next[r]!;
      let id = index.get(combo);
      if (id === undefined) {
        index.set(combo, (id = nextTuples.length));
        nextTuples.push([...tuples[ids[r]!]!, next[r]!]);
      }
      out[r] = id;
    }
    ids = out;
    tuples = nextTuples;
  }
  return { ids, keys: tuples.map((t) => t.map((id, c) => cols[c]!.values[id]!)) };
}

/** Dense ids of one key column and its distinct values. */
function columnIds(f: Frame, e: FrameExpr): { ids: Int32Array; values: Value[] } {
  const chunks = e.columnIndex === undefined || e.type !== 'string' ? undefined : f.chunks(e.columnIndex);
  if (chunks && chunks.every((d) => arrow.DataType.isUtf8(d.type))) return utf8Ids(chunks, f.numRows);
  const vals = e.evaluate(f);
  const ids = new Int32Array(vals.length);
  const values: Value[] = [];
  const prim = new Map<Value, number>();
  const other = new Map<string, number>();
  for (let r = 0; r < vals.length; r++) {
    const v = vals[r]!;
    let id: number | undefined;
    if (v !== null && typeof v === 'object') {
      // Structs, arrays, binary: by their exact text (as the group map keys them).
      const t = JSON.stringify(v, (_k, x: unknown) => (typeof x === 'bigint' ? `${x}n` : x instanceof Uint8Array ? [...x] : x));
      id = other.get(t);
      if (id === undefined) other.set(t, (id = values.push(v) - 1));
    } else {
      // Primitives by SameValueZero: bigints by value, NaN equal to NaN, -0 equal to 0 (as the text keys had it).
      id = prim.get(v);
      if (id === undefined) prim.set(v, (id = values.push(v) - 1));
    }
    ids[r] = id;
  }
  return { ids, values };
}

const utf8 = new TextDecoder();

/** Ids of UTF-8 strings by hashing their bytes: one string decoded per distinct value, not per row. */
function utf8Ids(chunks: readonly arrow.Data[], n: number): { ids: Int32Array; values: Value[] } {
  const ids = new Int32Array(n);
  const values: Value[] = [];
  // Distinct strings seen (entries): bytes in one pool at pos[e]..pos[e + 1], hash, id (an index of `values`).
  let pool = new Uint8Array(4096);
  let used = 0;
  const pos: number[] = [0];
  const hashes: number[] = [];
  const idOf: number[] = [];
  let cap = 1024;
  let table = new Int32Array(cap).fill(-1);
  let nullId = -1;
  let o = 0;
  for (const d of chunks) {
    const offs = d.valueOffsets as Int32Array;
    const bytes = d.values as Uint8Array;
    const valid = d.nullCount > 0 ? validityOf(d) : null;
    for (let k = 0; k < d.length; k++, o++) {
      if (valid && !valid(k)) {
        if (nullId < 0) nullId = values.push(null) - 1;
        ids[o] = nullId;
        continue;
      }
      const s = offs[k]!;
      const e = offs[k + 1]!;
      const len = e - s;
      let h = 0x811c9dc5;
      for (let b = s; b < e; b++) h = Math.imul(h ^ bytes[b]!, 0x01000193);
      let slot = h & (cap - 1);
      let entry = -1;
      for (;;) {
        const cand = table[slot]!;
        if (cand < 0) break;
        if (hashes[cand] === h) {
          const p0 = pos[cand]!;
          let same = pos[cand + 1]! - p0 === len;
          for (let i = 0; same && i < len; i++) same = pool[p0 + i] === bytes[s + i];
          if (same) {
            entry = cand;
            break;
          }
        }
        slot = (slot + 1) & (cap - 1);
      }
      if (entry < 0) {
        entry = hashes.length;
        if (used + len > pool.length) {
          const bigger = new Uint8Array(Math.max(pool.length * 2, used + len));
          bigger.set(pool.subarray(0, used));
          pool = bigger;
        }
        pool.set(bytes.subarray(s, e), used);
        used += len;
        pos.push(used);
        hashes.push(h);
        idOf.push(values.push(utf8.decode(bytes.subarray(s, e))) - 1);
        table[slot] = entry;
        if (hashes.length * 2 > cap) {
          cap *= 2;
          table = new Int32Array(cap).fill(-1);
          for (let x = 0; x < hashes.length; x++) {
            let p = hashes[x]! & (cap - 1);
            while (table[p]! >= 0) p = (p + 1) & (cap - 1);
            table[p] = x;
          }
        }
      }
      ids[o] = idOf[entry]!;
    }
  }
  return { ids, values };
}

/** A numeric input as doubles with its null mask (null: no nulls). */
export interface Numbers {
  num: Float64Array;
  valid: Uint8Array | null;
}

/** The values of numeric expression `e` over `f` as doubles (column-at-a-time when `e` has a vector form). */
export function numbers(f: Frame, e: FrameExpr): Numbers {
  const v = e.vector(f);
  if (v?.kind === 'num') return { num: v.values, valid: v.valid };
  const n = f.numRows;
  const num = new Float64Array(n);
  const vals = e.evaluate(f);
  let valid: Uint8Array | null = null;
  for (let k = 0; k < n; k++) {
    const x = vals[k]!;
    if (x === null) (valid ??= new Uint8Array(n).fill(1))[k] = 0;
    else num[k] = Number(x);
  }
  return { num, valid };
}

/** Null mask of expression `e` over `f` (1 = not null); null when no row is null. */
export function notNull(f: Frame, e: FrameExpr): Uint8Array | null {
  const n = f.numRows;
  const v = e.vector(f);
  if (v?.kind === 'num') return v.valid;
  const chunks = e.columnIndex === undefined ? undefined : f.chunks(e.columnIndex);
  let valid: Uint8Array | null = null;
  if (chunks) {
    let o = 0;
    for (const d of chunks) {
      if (d.nullCount > 0) {
        valid ??= new Uint8Array(n).fill(1);
        const ok = validityOf(d);
        for (let k = 0; k < d.length; k++) if (!ok(k)) valid[o + k] = 0;
      }
      o += d.length;
    }
    return valid;
  }
  const vals = e.evaluate(f);
  for (let k = 0; k < n; k++) if (vals[k] === null) (valid ??= new Uint8Array(n).fill(1))[k] = 0;
  return valid;
}
