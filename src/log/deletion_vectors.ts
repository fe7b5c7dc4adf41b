// Deletion vectors (PROTOCOL.md "Deletion Vectors", appendix "Deletion Vector Format"): Z85, descriptor -> file path,
// DV file / inline bytes -> the set of deleted row indexes. Reads through ObjectStore only; never writes DVs.
import { DataFileNotFoundError, NotFoundError, ProtocolError } from '../errors.js';
import type { ObjectStore } from '../storage/store.js';
import type { DeletionVectorDescriptor } from './actions.js';
import { storePathOf } from './paths.js';

// ---------------------------------------------------------------------------------------------------------------
// Z85 (https://rfc.zeromq.org/spec/32/): 5 characters <-> 4 bytes, big-endian base 85.

const Z85_ALPHABET = '0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ.-:+=^!/*?&<>()[]{}@%$#';
const Z85_DECODE: Int16Array = (() => {
  const t = new Int16Array(128).fill(-1);
  for (let i = 0; i < Z85_ALPHABET.length; i++) t[Z85_ALPHABET.charCodeAt(i)] = i;
  return t;
})();

/** Decode a Z85 string (length a multiple of 5) into bytes (4 per 5 characters). */
export function z85Decode(s: string): Uint8Array {
  if (s.length % 5 !== 0) {
    throw new ProtocolError(`invalid Z85 string: length ${s.length} is not a multiple of 5`);
  }
  const out = new Uint8Array((s.length / 5) * 4);
  for (let i = 0, o = 0; i < s.length; i += 5, o += 4) {
    let v = 0;
    for (let j = 0; j < 5; j++) {
      const c = s.charCodeAt(i + j);
      const d = c < 128 ? Z85_DECODE[c]! : -1;
      if (d < 0) throw new ProtocolError(`invalid Z85 character '${s[i + j]}' at position ${i + j}`);
      v = v * 85 + d;
    }
    if (v > 0xffffffff) throw new ProtocolError(`invalid Z85 group '${s.slice(i, i + 5)}' (value exceeds 32 bits)`);
    out[o] = (v >>> 24) & 0xff;
    out[o + 1] = (v >>> 16) & 0xff;
    out[o + 2] = (v >>> 8) & 0xff;
    out[o + 3] = v & 0xff;
  }
  return out;
}

/** Z85-encode bytes (length a multiple of 4). Used by tests and by writers of DV descriptors. */
export function z85Encode(bytes: Uint8Array): string {
  if (bytes.length % 4 !== 0) throw new ProtocolError(`Z85 input length ${bytes.length} is not a multiple of 4`);
  let s = '';
  for (let i = 0; i < bytes.length; i += 4) {
    let v = ((bytes[i]! << 24) | (bytes[i + 1]! << 16) | (bytes[i + 2]! << 8) | bytes[i + 3]!) >>> 0;
    const chunk: string[] = new Array<string>(5);
    for (let j = 4; j >= 0; j--) {
      chunk[j] = Z85_ALPHABET[v % 85]!;
      v = Math.floor(v / 85);
    }
    s += chunk.join('');
  }
  return s;
}

// ---------------------------------------------------------------------------------------------------------------
// Paths

const UUID_Z85_LENGTH = 20;

function uuidText(b: Uint8Array): string {
  const h = Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

/**
 * Location of an on-disk DV (PROTOCOL.md "Derived Fields", absolutePath):
 * - 'u': `<random prefix>/deletion_vector_<uuid>.bin`, RELATIVE to the table root (no prefix -> no folder);
 * - 'p': the absolute path / URI as stored (URI-encoded like add.path);
 * - 'i': inline DVs have no path (ProtocolError).
 */
export function dvAbsolutePath(dv: DeletionVectorDescriptor): string {
  switch (dv.storageType) {
    case 'u': {
      const s = dv.pathOrInlineDv;
      if (s.length < UUID_Z85_LENGTH) {
        throw new ProtocolError(`deletion vector pathOrInlineDv '${s}' is shorter than a Z85-encoded UUID (20 chars)`);
      }
      const prefix = s.slice(0, s.length - UUID_Z85_LENGTH);
      const name = `deletion_vector_${uuidText(z85Decode(s.slice(s.length - UUID_Z85_LENGTH)))}.bin`;
      return prefix ? `${prefix}/${name}` : name;
    }
    case 'p':
      return dv.pathOrInlineDv;
    case 'i':
      throw new ProtocolError('an inline deletion vector (storageType i) has no file path');
    default:
      throw new ProtocolError(`unknown deletion vector storageType '${dv.storageType}'`);
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Deleted row set

/** Row indexes (0-based positions in the data file) that a deletion vector removes. */
export class DeletedRows {
  /** Sorted ascending, distinct. */
  private readonly rows: Float64Array;
  private bits: Uint8Array | null | undefined;

  constructor(sortedDistinctRows: Float64Array | number[]) {
    this.rows = sortedDistinctRows instanceof Float64Array ? sortedDistinctRows : Float64Array.from(sortedDistinctRows);
  }

  static readonly EMPTY = new DeletedRows(new Float64Array(0));

  get cardinality(): number {
    return this.rows.length;
  }

  /** Largest deleted row index, -1 when empty. */
  get max(): number {
    return this.rows.length ? this.rows[this.rows.length - 1]! : -1;
  }

  has(rowIndex: number): boolean {
    if (this.bits === undefined) {
      // A bitset (max/8 bytes) answers in O(1); beyond 2^27 rows fall back to binary search.
      this.bits = this.max < 2 ** 27 ? new Uint8Array((this.max >> 3) + 1) : null;
      if (this.bits) for (const r of this.rows) this.bits[r >> 3]! |= 1 << (r & 7);
    }
    if (this.bits) {
      if (rowIndex < 0 || rowIndex > this.max) return false;
      return (this.bits[rowIndex >> 3]! & (1 << (rowIndex & 7))) !== 0;
    }
    let lo = 0;
    let hi = this.rows.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      const v = this.rows[mid]!;
      if (v === rowIndex) return true;
      if (v < rowIndex) lo = mid + 1;
      else hi = mid - 1;
    }
    return false;
  }

  /** Sorted deleted row indexes. */
  toArray(): number[] {
    return Array.from(this.rows);
  }

  /** Indexes in [0, numRows) that are NOT deleted, ascending. */
  keptIndexes(numRows: number): Int32Array {
    const out = new Int32Array(Math.max(0, numRows - this.countBelow(numRows)));
    let o = 0;
    let d = 0;
    for (let i = 0; i < numRows; i++) {
      while (d < this.rows.length && this.rows[d]! < i) d++;
      if (d < this.rows.length && this.rows[d] === i) continue;
      out[o++] = i;
    }
    return out;
  }

  private countBelow(n: number): number {
    let c = 0;
    for (const r of this.rows) if (r < n) c++;
    return c;
  }
}

// ---------------------------------------------------------------------------------------------------------------
// RoaringBitmapArray decoding (PROTOCOL.md appendix "Deletion Vector Format"; RoaringFormatSpec)

/** Magic number in front of Delta's 64-bit portable Roaring bitmap (little-endian). */
export const DV_MAGIC = 1681511377;
const SERIAL_COOKIE_NO_RUNCONTAINER = 12346;
const SERIAL_COOKIE = 12347;
const NO_OFFSET_THRESHOLD = 4;
const ARRAY_MAX_CARDINALITY = 4096;

class Reader {
  pos = 0;
  private readonly view: DataView;
  constructor(
    readonly bytes: Uint8Array,
    readonly where: string,
  ) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }
  need(n: number, what: string): void {
    if (this.pos + n > this.bytes.length) {
      throw new ProtocolError(
        `truncated deletion vector: need ${n} bytes for ${what} at byte ${this.pos}, have ${this.bytes.length - this.pos}`,
        this.where,
      );
    }
  }
  u16(what: string): number {
    this.need(2, what);
    const v = this.view.getUint16(this.pos, true);
    this.pos += 2;
    return v;
  }
  u32(what: string): number {
    this.need(4, what);
    const v = this.view.getUint32(this.pos, true);
    this.pos += 4;
    return v;
  }
  u64(what: string): number {
    this.need(8, what);
    const v = this.view.getBigUint64(this.pos, true);
    this.pos += 8;
    if (v > BigInt(Number.MAX_SAFE_INTEGER)) throw new ProtocolError(`deletion vector ${what} ${v} is too large`, this.where);
    return Number(v);
  }
}

/** Parse one standard 32-bit portable Roaring bitmap at r.pos, pushing `high + value` for each value. */
function readRoaring32(r: Reader, high: number, out: number[]): void {
  const cookie = r.u32('roaring cookie');
  let size: number;
  let runFlags: Uint8Array | null = null;
  if ((cookie & 0xffff) === SERIAL_COOKIE) {
    size = (cookie >>> 16) + 1;
    const n = (size + 7) >> 3;
    r.need(n, 'run container flags');
    runFlags = r.bytes.subarray(r.pos, r.pos + n);
    r.pos += n;
  } else if (cookie === SERIAL_COOKIE_NO_RUNCONTAINER) {
    size = r.u32('container count');
  } else {
    throw new ProtocolError(`invalid Roaring bitmap cookie ${cookie}`, r.where);
  }
  if (size > 65536) throw new ProtocolError(`invalid Roaring container count ${size}`, r.where);
  const keys = new Array<number>(size);
  const cards = new Array<number>(size);
  for (let i = 0; i < size; i++) {
    keys[i] = r.u16('container key');
    cards[i] = r.u16('container cardinality') + 1;
  }
  if (!runFlags || size >= NO_OFFSET_THRESHOLD) {
    r.need(4 * size, 'container offsets');
    r.pos += 4 * size; // containers are stored contiguously in order; offsets are redundant for a sequential read
  }
  let prevKey = -1;
  for (let i = 0; i < size; i++) {
    const key = keys[i]!;
    if (key <= prevKey) throw new ProtocolError(`Roaring container keys not ascending (${prevKey}, ${key})`, r.where);
    prevKey = key;
    const base = high + key * 65536;
    const isRun = runFlags !== null && (runFlags[i >> 3]! & (1 << (i & 7))) !== 0;
    if (isRun) {
      const nRuns = r.u16('run count');
      for (let k = 0; k < nRuns; k++) {
        const start = r.u16('run start');
        const len = r.u16('run length');
        if (start + len > 0xffff) throw new ProtocolError(`Roaring run ${start}+${len} exceeds container`, r.where);
        for (let v = start; v <= start + len; v++) out.push(base + v);
      }
    } else if (cards[i]! <= ARRAY_MAX_CARDINALITY) {
      for (let k = 0; k < cards[i]!; k++) out.push(base + r.u16('array value'));
    } else {
      r.need(8192, 'bitmap container');
      for (let w = 0; w < 2048; w++) {
        const word = r.u32('bitmap word');
        if (word === 0) continue;
        for (let b = 0; b < 32; b++) if (word & (1 << b)) out.push(base + w * 32 + b);
      }
    }
  }
}

/**
 * Decode Delta's RoaringBitmapArray serialization: magic (LE u32) + 64-bit portable Roaring
 * (u64 numBuckets, then per bucket u32 key + 32-bit Roaring). Returns sorted row indexes.
 */
export function decodeRoaringBitmapArray(bytes: Uint8Array, where = 'deletion vector'): DeletedRows {
  const r = new Reader(bytes, where);
  const magic = r.u32('magic number');
  if (magic !== DV_MAGIC) {
    // 1681511376 is the "native" RoaringBitmapArray layout; Delta writers emit the portable one and delta-spark's
    // reader refuses the native layout as stored in PROTOCOL.md's inline example (its bytes are big-endian), so do we.
    const native = magic === DV_MAGIC - 1 || magic === 0xd0d33964;
    throw new ProtocolError(
      `deletion vector has magic number ${magic}, expected ${DV_MAGIC}` +
        (native ? ' (native RoaringBitmapArray layout is not supported)' : ''),
      where,
    );
  }
  const numBuckets = r.u64('bucket count');
  const out: number[] = [];
  let prevKey = -1;
  for (let b = 0; b < numBuckets; b++) {
    const key = r.u32('bucket key');
    if (key <= prevKey) throw new ProtocolError(`deletion vector bucket keys not ascending (${prevKey}, ${key})`, where);
    prevKey = key;
    const high = key * 2 ** 32;
    if (high > Number.MAX_SAFE_INTEGER) throw new ProtocolError(`deletion vector row index bucket ${key} is too large`, where);
    readRoaring32(r, high, out);
  }
  // Buckets and containers are ascending; values within a container are ascending by format. Re-check cheaply.
  const rows = Float64Array.from(out);
  for (let i = 1; i < rows.length; i++) {
    if (rows[i]! <= rows[i - 1]!) {
      rows.sort();
      break;
    }
  }
  return new DeletedRows(rows);
}

// ---------------------------------------------------------------------------------------------------------------
// CRC-32 (IEEE 802.3, as java.util.zip.CRC32)

const CRC_TABLE: Uint32Array = (() => {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
})();

export function crc32(bytes: Uint8Array): number {
  let c = 0xffffffff;
  for (let i = 0; i < bytes.length; i++) c = CRC_TABLE[(c ^ bytes[i]!) & 0xff]! ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

// ---------------------------------------------------------------------------------------------------------------
// Reading

/**
 * The deleted rows of a DV descriptor. Inline ('i'): Z85 bytes are the RoaringBitmapArray. On disk ('u', 'p'):
 * PROTOCOL.md "Deletion Vector File Storage Format" (big-endian): version byte 1 at 0; at `offset`: u32 dataSize,
 * dataSize bytes of RoaringBitmapArray, u32 CRC-32 of those bytes. The decoded cardinality must match the log.
 */
export async function readDeletionVector(store: ObjectStore, dv: DeletionVectorDescriptor): Promise<DeletedRows> {
  let rows: DeletedRows;
  let where: string;
  if (dv.storageType === 'i') {
    where = 'inline deletion vector';
    const raw = z85Decode(dv.pathOrInlineDv);
    if (dv.sizeInBytes > raw.length) {
      throw new ProtocolError(`inline deletion vector decodes to ${raw.length} bytes, sizeInBytes says ${dv.sizeInBytes}`);
    }
    rows = decodeRoaringBitmapArray(raw.subarray(0, dv.sizeInBytes), where);
  } else {
    const logPath = dvAbsolutePath(dv);
    const path = dv.storageType === 'u' ? logPath : storePathOf(store, logPath, 'deletion vector file');
    where = path;
    const offset = dv.offset ?? 0;
    const size = dv.sizeInBytes;
    if (!Number.isInteger(offset) || offset < 1 || !Number.isInteger(size) || size < 0) {
      throw new ProtocolError(`invalid deletion vector offset ${offset} / sizeInBytes ${size}`, path);
    }
    const end = offset + 4 + size + 4;
    let header: Uint8Array;
    let block: Uint8Array;
    try {
      if (offset <= 4096) {
        // One request covers the version byte and the DV.
        const all = await store.getRange(path, 0, end);
        header = all.subarray(0, 1);
        block = all.subarray(offset);
      } else {
        [header, block] = await Promise.all([store.getRange(path, 0, 1), store.getRange(path, offset, end)]);
      }
    } catch (e) {
      if (e instanceof NotFoundError) throw new DataFileNotFoundError(path, 'deletion vector file not found');
      throw e;
    }
    if (header.length < 1 || header[0] !== 1) {
      throw new ProtocolError(`unsupported deletion vector file format version ${header[0] ?? '<empty file>'}`, path);
    }
    if (block.length < 4 + size + 4) {
      throw new ProtocolError(
        `deletion vector file is truncated: need ${4 + size + 4} bytes at offset ${offset}, have ${block.length}`,
        path,
      );
    }
    const view = new DataView(block.buffer, block.byteOffset, block.byteLength);
    const dataSize = view.getUint32(0, false);
    if (dataSize !== size) {
      throw new ProtocolError(`deletion vector at offset ${offset} has size ${dataSize}, descriptor says ${size}`, path);
    }
    const data = block.subarray(4, 4 + size);
    const expectedCrc = view.getUint32(4 + size, false);
    const actualCrc = crc32(data);
    if (expectedCrc !== actualCrc) {
      throw new ProtocolError(
        `deletion vector checksum mismatch at offset ${offset}: stored CRC-32 ${expectedCrc}, computed ${actualCrc}`,
        path,
      );
    }
    rows = decodeRoaringBitmapArray(data, path);
  }
  if (rows.cardinality !== dv.cardinality) {
    throw new ProtocolError(
      `deletion vector holds ${rows.cardinality} rows but its descriptor says cardinality ${dv.cardinality}`,
      where,
    );
  }
  return rows;
}
