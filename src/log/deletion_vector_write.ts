// Writing deletion vectors (PROTOCOL.md "Deletion Vectors", appendix "Deletion Vector Format"): row indexes ->
// RoaringBitmapArray bytes -> `deletion_vector_<uuid>.bin` + its descriptor ('u', relative). The reader is deletion_vectors.ts.
import { v4 as uuidv4, parse as uuidParse } from 'uuid';
import { InvalidArgumentError } from '../errors.js';
import type { ObjectStore } from '../storage/store.js';
import type { DeletionVectorDescriptor } from './actions.js';
import { crc32, DV_MAGIC, dvAbsolutePath, z85Encode } from './deletion_vectors.js';

const SERIAL_COOKIE_NO_RUNCONTAINER = 12346;
const ARRAY_MAX_CARDINALITY = 4096;

class Writer {
  private buf = new Uint8Array(256);
  private view = new DataView(this.buf.buffer);
  length = 0;
  private ensure(n: number): void {
    if (this.length + n <= this.buf.length) return;
    let cap = this.buf.length * 2;
    while (cap < this.length + n) cap *= 2;
    const next = new Uint8Array(cap);
    next.set(this.buf.subarray(0, this.length));
    this.buf = next;
    this.view = new DataView(next.buffer);
  }
  u16(v: number): void {
    this.ensure(2);
    this.view.setUint16(this.length, v, true);
    this.length += 2;
  }
  u32(v: number): void {
    this.ensure(4);
    this.view.setUint32(this.length, v >>> 0, true);
    this.length += 4;
  }
  u64(v: number): void {
    this.ensure(8);
    this.view.setBigUint64(this.length, BigInt(v), true);
    this.length += 8;
  }
  bytes(): Uint8Array {
    return this.buf.slice(0, this.length);
  }
}

/** One standard 32-bit portable Roaring bitmap (RoaringFormatSpec, no run containers) of the low 32 bits. */
function writeRoaring32(w: Writer, lows: readonly number[]): void {
  // Group by the high 16 bits (container key); lows are ascending.
  const keys: number[] = [];
  const groups: number[][] = [];
  for (const v of lows) {
    const k = Math.floor(v / 65536);
    if (keys.length === 0 || keys[keys.length - 1] !== k) {
      keys.push(k);
      groups.push([]);
    }
    groups[groups.length - 1]!.push(v % 65536);
  }
  const n = keys.length;
  w.u32(SERIAL_COOKIE_NO_RUNCONTAINER);
  w.u32(n);
  for (let i = 0; i < n; i++) {
    w.u16(keys[i]!);
    w.u16(groups[i]!.length - 1);
  }
  // Offsets (from the start of this bitmap's serialization) of each container.
  const headerSize = 8 + 4 * n + 4 * n;
  let offset = headerSize;
  for (const g of groups) {
    w.u32(offset);
    offset += g.length <= ARRAY_MAX_CARDINALITY ? 2 * g.length : 8192;
  }
  for (const g of groups) {
    if (g.length <= ARRAY_MAX_CARDINALITY) {
      for (const v of g) w.u16(v);
    } else {
      const words = new Uint32Array(2048);
      for (const v of g) words[v >>> 5]! |= 1 << (v & 31);
      for (const word of words) w.u32(word);
    }
  }
}

/**
 * Delta's RoaringBitmapArray in the portable layout: magic (LE u32), u64 bucket count, then per bucket (the high 32
 * bits of the row index) its u32 key and a 32-bit portable Roaring bitmap of the low 32 bits.
 */
export function encodeRoaringBitmapArray(sortedDistinctRows: ArrayLike<number>): Uint8Array {
  const w = new Writer();
  w.u32(DV_MAGIC);
  const buckets: Array<{ key: number; lows: number[] }> = [];
  let prev = -1;
  for (let i = 0; i < sortedDistinctRows.length; i++) {
    const r = sortedDistinctRows[i]!;
    if (!Number.isSafeInteger(r) || r < 0 || r <= prev) {
      throw new InvalidArgumentError(`deletion vector rows must be ascending distinct non-negative integers (got ${r} after ${prev})`);
    }
    prev = r;
    const key = Math.floor(r / 2 ** 32);
    const last = buckets[buckets.length - 1];
    if (last && last.key === key) last.lows.push(r - key * 2 ** 32);
    else buckets.push({ key, lows: [r - key * 2 ** 32] });
  }
  w.u64(buckets.length);
  for (const b of buckets) {
    w.u32(b.key);
    writeRoaring32(w, b.lows);
  }
  return w.bytes();
}

/**
 * The bytes of a DV file holding `bitmaps` one after another (PROTOCOL.md "Deletion Vector File Storage Format",
 * big-endian): format version 1, then per DV the u32 size of its bitmap, the bitmap, and the u32 CRC-32 of the
 * bitmap. Returns the bytes and the offset of each DV (where its size field starts).
 */
export function deletionVectorFileBytes(bitmaps: readonly Uint8Array[]): { bytes: Uint8Array; offsets: number[] } {
  let total = 1;
  for (const b of bitmaps) total += 4 + b.length + 4;
  const out = new Uint8Array(total);
  const view = new DataView(out.buffer);
  out[0] = 1;
  const offsets: number[] = [];
  let at = 1;
  for (const b of bitmaps) {
    offsets.push(at);
    view.setUint32(at, b.length, false);
    out.set(b, at + 4);
    view.setUint32(at + 4 + b.length, crc32(b), false);
    at += 4 + b.length + 4;
  }
  return { bytes: out, offsets };
}

/**
 * Write the deleted rows (each ascending, distinct) of several data files as DVs in one new DV file at the table
 * root, as Spark does for the files of one task, and return their descriptors in order: storageType 'u' with the
 * Z85-encoded UUID (no random prefix), each DV's offset, sizeInBytes of its bitmap.
 */
export async function writeDeletionVectors(store: ObjectStore, rowSets: readonly ArrayLike<number>[]): Promise<DeletionVectorDescriptor[]> {
  if (rowSets.length === 0) return [];
  if (rowSets.some((r) => r.length === 0)) throw new InvalidArgumentError('a deletion vector must delete at least one row');
  const bitmaps = rowSets.map((r) => encodeRoaringBitmapArray(r));
  const { bytes, offsets } = deletionVectorFileBytes(bitmaps);
  const id = z85Encode(uuidParse(uuidv4()));
  const descriptors = rowSets.map(
    (rows, k): DeletionVectorDescriptor => ({
      storageType: 'u',
      pathOrInlineDv: id,
      offset: offsets[k]!,
      sizeInBytes: bitmaps[k]!.length,
      cardinality: rows.length,
    }),
  );
  await store.put(dvAbsolutePath(descriptors[0]!), bytes);
  return descriptors;
}

/** Write the deleted `rows` (ascending, distinct) of one data file as a new DV file (writeDeletionVectors of one). */
export async function writeDeletionVector(store: ObjectStore, rows: ArrayLike<number>): Promise<DeletionVectorDescriptor> {
  return (await writeDeletionVectors(store, [rows]))[0]!;
}
