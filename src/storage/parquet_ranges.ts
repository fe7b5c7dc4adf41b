// Which bytes of a Parquet file hold the selected row groups' column chunks of the selected top-level columns, how
// close ranges are merged into one read, and the concurrent (bounded) ranged reads of them. No decoding here.
import { ProtocolError } from '../errors.js';
import type { ParquetColumnMeta, ParquetFooter } from './parquet_footer.js';
import { readExactRange } from './parquet_tail.js';
import type { ObjectStore } from './store.js';

/**
 * Ranges closer than this are read as one (the gap bytes are read and kept): reading a gap is cheaper than another
 * request while gap < latency x bandwidth. Measured on the loopback radosgw (loaded 2-core machine): 4-7 ms per
 * 1-byte GET, ~130 MB/s per stream: break-even 0.6-0.9 MB; on S3 (20-50 ms first byte, 50-100 MB/s) it is 1-5 MB.
 */
export const COALESCE_GAP = 1024 * 1024;
/** A merged range is not grown past this, and a longer range is read in parts of this size, concurrently (one
 *  HTTP stream is slower than several: S3's guidance is 8-16 MB ranged GETs in parallel). */
export const MAX_MERGED = 16 * 1024 * 1024;
/** Ranged reads in flight per file. */
export const RANGE_CONCURRENCY = 8;

export interface ByteRange {
  start: number;
  end: number;
}

/** A byte range of a file, fetched. */
export interface FetchedRange {
  start: number;
  bytes: Uint8Array;
}

/** The bytes [start, end) out of fetched ranges (sorted, disjoint) that hold them whole, without copying. */
export function sliceFetched(ranges: readonly FetchedRange[], start: number, end: number, file: string): Uint8Array {
  let lo = 0;
  let hi = ranges.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    const r = ranges[mid]!;
    if (start < r.start) hi = mid - 1;
    else if (start >= r.start + r.bytes.length) lo = mid + 1;
    else if (end <= r.start + r.bytes.length) return r.bytes.subarray(start - r.start, end - r.start);
    else break;
  }
  throw new ProtocolError(`bytes [${start}, ${end}) lie outside the ranges read`, file);
}

/**
 * The bytes of one column chunk (of row group `rowGroup`, for errors): from its dictionary page when it has one,
 * else from its first data page, `totalCompressedSize` long; a ProtocolError when that lies outside the file.
 */
export function columnChunkRange(c: ParquetColumnMeta, rowGroup: number, size: number, file: string): ByteRange {
  const dict = c.dictionaryPageOffset;
  // Some writers put 0 (or the data page's offset) there when the chunk has no dictionary.
  const start = dict !== undefined && dict > 0 && dict < c.dataPageOffset ? dict : c.dataPageOffset;
  const end = start + c.totalCompressedSize;
  if (start < 4 || c.totalCompressedSize < 0 || end > size) {
    throw new ProtocolError(
      `corrupt Parquet footer: column chunk ${c.pathInSchema.join('.')} of row group ${rowGroup} lies at [${start}, ${end}), outside the file (${size} bytes)`,
      file,
    );
  }
  return { start, end };
}

/**
 * Byte ranges of the column chunks of `rowGroups` for the leaves under the top-level `columns` (all when undefined),
 * in file order. A chunk starts at its dictionary page when it has one, else at its first data page.
 */
export function columnChunkRanges(
  footer: ParquetFooter,
  rowGroups: readonly number[],
  columns: readonly string[] | undefined,
  size: number,
  file: string,
): ByteRange[] {
  const wanted = columns ? new Set(columns) : null;
  const out: ByteRange[] = [];
  for (const i of rowGroups) {
    const rg = footer.rowGroups[i];
    if (!rg) throw new ProtocolError(`row group ${i} does not exist (${footer.rowGroups.length} row groups)`, file);
    for (const c of rg.columns) {
      if (wanted && !wanted.has(c.pathInSchema[0]!)) continue;
      out.push(columnChunkRange(c, i, size, file));
    }
  }
  return out.sort((a, b) => a.start - b.start);
}

/** Merges overlapping ranges and ranges less than `gap` apart (up to `maxMerged` bytes per merged range). */
export function coalesceRanges(ranges: readonly ByteRange[], gap = COALESCE_GAP, maxMerged = MAX_MERGED): ByteRange[] {
  const sorted = [...ranges].sort((a, b) => a.start - b.start);
  const out: ByteRange[] = [];
  for (const r of sorted) {
    const last = out[out.length - 1];
    if (last && (r.start < last.end || (r.start - last.end < gap && r.end - last.start <= maxMerged))) {
      last.end = Math.max(last.end, r.end);
    } else out.push({ ...r });
  }
  return out;
}

/**
 * Reads the ranges, each in parts of at most `part` bytes, at most `concurrency` reads at once; results in the
 * ranges' order.
 */
export async function fetchRanges(
  store: ObjectStore,
  path: string,
  ranges: readonly ByteRange[],
  concurrency = RANGE_CONCURRENCY,
  part = MAX_MERGED,
): Promise<FetchedRange[]> {
  // A range read in one part keeps that read's buffer; one read in parts gets a buffer the parts are copied into.
  const out: FetchedRange[] = ranges.map((r) => ({
    start: r.start,
    bytes: r.end - r.start > part ? new Uint8Array(r.end - r.start) : new Uint8Array(0),
  }));
  const reads: Array<{ range: number; start: number; end: number }> = [];
  ranges.forEach((r, i) => {
    for (let s = r.start; s < r.end; s += part) reads.push({ range: i, start: s, end: Math.min(r.end, s + part) });
  });
  let next = 0;
  const worker = async (): Promise<void> => {
    for (let i = next++; i < reads.length; i = next++) {
      const { range, start, end } = reads[i]!;
      const bytes = await readExactRange(store, path, start, end);
      const target = out[range]!;
      if (target.bytes.length === 0) target.bytes = bytes;
      else target.bytes.set(bytes, start - target.start);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, reads.length) }, worker));
  return out;
}
