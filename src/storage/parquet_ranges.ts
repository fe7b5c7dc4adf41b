// Which bytes of a Parquet file hold the selected row groups' column chunks of the selected top-level columns, how
// close ranges are merged into one read, and the concurrent (bounded) ranged reads of them. No decoding here.
import { ProtocolError } from '../errors.js';
import type { ParquetFooter } from './parquet_footer.js';
import type { FetchedRange } from './parquet_compact.js';
import { readExactRange } from './parquet_tail.js';
import type { ObjectStore } from './store.js';

/**
 * Ranges closer than this are read as one (the gap bytes are read and kept). A request costs about what
 * transferring ~1 MiB does on S3 (first-byte latency ~10-50 ms at ~50-100 MB/s).
 */
export const COALESCE_GAP = 1024 * 1024;
/** A merged range is not grown past this (so one slow request does not hold up the rest). */
export const MAX_MERGED = 32 * 1024 * 1024;
/** Ranged reads in flight per file. */
export const RANGE_CONCURRENCY = 8;

export interface ByteRange {
  start: number;
  end: number;
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
      const dict = c.dictionaryPageOffset;
      // Some writers put 0 (or the data page's offset) there when the chunk has no dictionary.
      const start = dict !== undefined && dict > 0 && dict < c.dataPageOffset ? dict : c.dataPageOffset;
      const end = start + c.totalCompressedSize;
      if (start < 4 || c.totalCompressedSize < 0 || end > size) {
        throw new ProtocolError(
          `corrupt Parquet footer: column chunk ${c.pathInSchema.join('.')} of row group ${i} lies at [${start}, ${end}), outside the file (${size} bytes)`,
          file,
        );
      }
      out.push({ start, end });
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
    if (last && (r.start <= last.end || (r.start - last.end < gap && r.end - last.start <= maxMerged))) {
      last.end = Math.max(last.end, r.end);
    } else out.push({ ...r });
  }
  return out;
}

/** Reads the ranges concurrently (at most `concurrency` at once); results in the ranges' order. */
export async function fetchRanges(
  store: ObjectStore,
  path: string,
  ranges: readonly ByteRange[],
  concurrency = RANGE_CONCURRENCY,
): Promise<FetchedRange[]> {
  const out = new Array<FetchedRange>(ranges.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    for (let i = next++; i < ranges.length; i = next++) {
      const r = ranges[i]!;
      out[i] = { start: r.start, bytes: await readExactRange(store, path, r.start, r.end) };
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, ranges.length) }, worker));
  return out;
}
