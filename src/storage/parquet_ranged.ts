// Reads a Parquet file in an ObjectStore by ranged reads: the footer (parquet_tail.ts), then only the column chunks
// of the selected row groups and top-level columns (parquet_ranges.ts), decoded from a compact in-memory file.
//
// Why a compact file (parquet_compact.ts: magic + the fetched chunks + the footer rewritten to the selected row
// groups with moved offsets) rather than parquet-wasm's async ParquetFile over a Blob-like ranged reader (which
// works: its Node build only calls size/slice/arrayBuffer): measured on a 26 MB, 10-row-group file, ParquetFile
// re-reads the footer we already decoded (3 requests) and then reads each column chunk as its own request, with no
// control over coalescing; its decode runs with its I/O on the calling thread, so it cannot move to the worker pool,
// and the INT96 fix-up (parquet_int96.ts, raw pages) would need the chunks fetched a second time. The compact file
// is plain bytes: we choose the reads, it is transferred to a pool worker, and readParquet's INT96 fix-up reads its
// pages as it reads any file's.
//
// Page selection (readRows): with the chunks' OffsetIndex, a column whose one leaf is not repeated is cut to the data
// pages holding the wanted rows (plus its dictionary page): columns cut to the same pages share one compact file
// whose one row group holds just those pages' rows; each decoded file is sliced to the wanted rows, and the columns
// are zipped. Columns that cannot be cut (nested, INT96, no OffsetIndex) are decoded whole and sliced the same way.
import { Table } from 'apache-arrow';
import { InvalidArgumentError, ProtocolError } from '../errors.js';
import { zipColumns } from '../schema/access/zip.js';
import { decodeParquet, INLINE_DECODE_BELOW, type ParquetThreadOptions } from './parquet.js';
import { assembleCompactParquet, compactColumns, type CutChunk } from './parquet_compact.js';
import { schemaTree, type ParquetFooter, type ParquetSchemaInfo } from './parquet_footer.js';
import {
  dataPageFacts,
  pageRows,
  pagesCovering,
  readColumnIndex,
  readOffsetIndex,
  rowCount,
  type ColumnIndex,
  type OffsetIndex,
  type RowRange,
} from './parquet_page_index.js';
import {
  COALESCE_GAP,
  RANGE_CONCURRENCY,
  coalesceRanges,
  columnChunkRange,
  columnChunkRanges,
  fetchRanges,
  sliceFetched,
  type ByteRange,
  type FetchedRange,
} from './parquet_ranges.js';
import { readParquetTail, type ParquetTail } from './parquet_tail.js';
import type { ObjectStore } from './store.js';

/** The page index of one column chunk, as far as the file has one. */
export interface ChunkPageIndex {
  offset?: OffsetIndex;
  column?: ColumnIndex;
}

/** Rows of one row group decoded by readRows, and what the page selection saved. */
export interface RowsRead {
  table: Table;
  /** Data pages decoded, and data pages of the same chunks not decoded (only chunks with an OffsetIndex count). */
  pagesRead: number;
  pagesSkipped: number;
}

export interface RangedReadOptions extends ParquetThreadOptions {
  /** File size when known (a Delta add action's size): saves a HEAD request. */
  size?: number;
  /** Read ranges closer than this many bytes as one (default COALESCE_GAP). */
  coalesceGap?: number;
  /** Ranged reads in flight (default RANGE_CONCURRENCY). */
  concurrency?: number;
  /** Uncompressed bytes of columns decoded in one task (default DECODE_TASK_BYTES; see decodeGroups). */
  decodeTaskBytes?: number;
}

/** Columns of a row group are decoded in tasks of about this many uncompressed bytes (decodeGroups). */
export const DECODE_TASK_BYTES = 4 * 1024 * 1024;

export class RangedParquetFile {
  private tailRead?: Promise<ParquetTail>;
  private treeOf?: ParquetSchemaInfo;
  /** Decoded page indexes by `${rowGroup}:${leaf}` (`column` set once a ColumnIndex was asked for). */
  private readonly indexes = new Map<string, ChunkPageIndex & { columnRead?: true }>();

  constructor(
    readonly store: ObjectStore,
    readonly path: string,
    private readonly options: RangedReadOptions = {},
  ) {}

  /** Footer, FileMetaData bytes and size: read once. */
  tail(): Promise<ParquetTail> {
    if (!this.tailRead) {
      this.tailRead = readParquetTail(this.store, this.path, { size: this.options.size });
      this.tailRead.catch(() => (this.tailRead = undefined)); // a failed read is retried by the next call
    }
    return this.tailRead;
  }

  async footer(): Promise<ParquetFooter> {
    return (await this.tail()).footer;
  }

  /**
   * A Parquet file holding only `rowGroups` (ascending file order) of this one and the top-level `columns` (all when
   * undefined; all, too, when the file's ARROW:schema hint cannot be cut down: `columns` of the result says which).
   */
  async compactFile(rowGroups: readonly number[], columns?: readonly string[]): Promise<{ bytes: Uint8Array; columns?: readonly string[] }> {
    const { footer, meta, size } = await this.tail();
    const kept = compactColumns(footer, columns);
    const fetched = await this.readRanges(columnChunkRanges(footer, rowGroups, kept, size, this.path));
    return { bytes: assembleCompactParquet(meta, footer, rowGroups, kept, fetched, this.path), columns: kept };
  }

  /** The byte ranges, coalesced and read (ranges inside the tail already read are not read again), ascending. */
  private async readRanges(wanted: readonly ByteRange[]): Promise<FetchedRange[]> {
    const { tail, tailStart } = await this.tail();
    const ranges = coalesceRanges(wanted, this.options.coalesceGap ?? COALESCE_GAP);
    const inTail = ranges.filter((r) => r.start >= tailStart);
    const fetched = await fetchRanges(
      this.store,
      this.path,
      ranges.filter((r) => r.start < tailStart),
      this.options.concurrency ?? RANGE_CONCURRENCY,
    );
    for (const r of inTail) fetched.push({ start: r.start, bytes: tail.subarray(r.start - tailStart, r.end - tailStart) });
    return fetched;
  }

  private async tree(): Promise<ParquetSchemaInfo> {
    return (this.treeOf ??= schemaTree(await this.footer(), this.path));
  }

  /**
   * The page index of the chunks of `leaves` (indexes in file leaf order) in row group `rowGroup`: each chunk's
   * OffsetIndex, and its ColumnIndex too with `withColumnIndex`; a chunk the writer gave none has none. Read once
   * (all missing ones in one coalesced read) and cached.
   */
  async pageIndex(rowGroup: number, leaves: readonly number[], withColumnIndex = false): Promise<Map<number, ChunkPageIndex>> {
    const { footer, size } = await this.tail();
    const rg = footer.rowGroups[rowGroup];
    if (!rg) throw new ProtocolError(`row group ${rowGroup} does not exist (${footer.rowGroups.length} row groups)`, this.path);
    const wanted: Array<{ leaf: number; kind: 'offset' | 'column'; range: ByteRange }> = [];
    for (const leaf of leaves) {
      const c = rg.columns[leaf];
      if (!c) throw new ProtocolError(`row group ${rowGroup} has no column chunk ${leaf}`, this.path);
      const have = this.indexes.get(`${rowGroup}:${leaf}`);
      const inFile = (l: { offset: number; length: number }): ByteRange | null => (l.offset >= 4 && l.offset + l.length <= size ? { start: l.offset, end: l.offset + l.length } : null);
      if (!have && c.offsetIndex) {
        const range = inFile(c.offsetIndex);
        if (range) wanted.push({ leaf, kind: 'offset', range });
      }
      if (withColumnIndex && !have?.columnRead && c.columnIndex && c.offsetIndex) {
        const range = inFile(c.columnIndex);
        if (range) wanted.push({ leaf, kind: 'column', range });
      }
    }
    if (wanted.length) {
      const fetched = await this.readRanges(wanted.map((w) => w.range));
      // OffsetIndexes first: a ColumnIndex is checked against its chunk's page count.
      for (const kind of ['offset', 'column'] as const) {
        for (const w of wanted) {
          if (w.kind !== kind) continue;
          const key = `${rowGroup}:${w.leaf}`;
          const entry = this.indexes.get(key) ?? {};
          const bytes = sliceFetched(fetched, w.range.start, w.range.end, this.path);
          if (kind === 'offset') entry.offset = readOffsetIndex(bytes, rg.numRows, this.path);
          else if (entry.offset) entry.column = readColumnIndex(bytes, entry.offset.pages.length, this.path);
          this.indexes.set(key, entry);
        }
      }
    }
    const out = new Map<number, ChunkPageIndex>();
    for (const leaf of leaves) {
      const key = `${rowGroup}:${leaf}`;
      const entry = this.indexes.get(key) ?? {};
      if (withColumnIndex) entry.columnRead = true;
      this.indexes.set(key, entry);
      out.set(leaf, { ...(entry.offset ? { offset: entry.offset } : {}), ...(entry.column ? { column: entry.column } : {}) });
    }
    return out;
  }

  /**
   * The rows `rows` (sorted, disjoint, within the row group) of row group `rowGroup`, top-level `columns` only (in
   * file column order): see the header for how pages are selected.
   */
  async readRows(rowGroup: number, rows: readonly RowRange[], columns: readonly string[]): Promise<RowsRead> {
    const { footer, meta } = await this.tail();
    const tree = await this.tree();
    const rg = footer.rowGroups[rowGroup];
    if (!rg) throw new ProtocolError(`row group ${rowGroup} does not exist (${footer.rowGroups.length} row groups)`, this.path);
    const rgRows = rg.numRows;
    for (let i = 0; i < rows.length; i++) {
      const r = rows[i]!;
      if (r.start < 0 || r.end > rgRows || r.start >= r.end || (i > 0 && r.start <= rows[i - 1]!.end - 1)) {
        throw new InvalidArgumentError(`${this.path}: row ranges must be sorted, disjoint and within row group ${rowGroup}'s ${rgRows} rows`);
      }
    }
    const wantedSet = new Set(columns);
    const ordered = tree.columns.map((c) => c.name).filter((n) => wantedSet.has(n));
    const leavesOf = new Map<string, number[]>();
    tree.leaves.forEach((l, i) => {
      const top = l.path[0]!;
      if (wantedSet.has(top)) leavesOf.set(top, [...(leavesOf.get(top) ?? []), i]);
    });
    const single = [...leavesOf.values()].filter((ls) => ls.length === 1).map((ls) => ls[0]!);
    const index = await this.pageIndex(rowGroup, single);

    // Columns cut to the same pages share one compact file; `spans` null = the whole row group.
    let pagesRead = 0;
    let pagesSkipped = 0;
    const groups = new Map<string, { columns: string[]; spans: RowRange[] | null; cuts: Map<number, CutChunk> }>();
    const groupOf = (key: string, spans: RowRange[] | null) => {
      let g = groups.get(key);
      if (!g) groups.set(key, (g = { columns: [], spans, cuts: new Map() }));
      return g;
    };
    for (const name of ordered) {
      const leaves = leavesOf.get(name) ?? [];
      const leaf = leaves.length === 1 ? leaves[0]! : -1;
      const node = tree.leaves[leaf];
      const oi = leaf >= 0 ? index.get(leaf)?.offset : undefined;
      const chunk = leaf >= 0 ? columnChunkRange(rg.columns[leaf]!, rowGroup, Number.MAX_SAFE_INTEGER, this.path) : null;
      // Pages outside their chunk: an index not to trust (the chunk is read whole, as without one).
      const inChunk = !!oi && !!chunk && oi.pages.every((p) => p.offset >= chunk.start && p.offset + p.compressedSize <= chunk.end);
      if (!oi || !inChunk || !node || node.maxRepetitionLevel > 0 || node.type === 'INT96') {
        groupOf('whole', null).columns.push(name);
        continue;
      }
      const pages = pagesCovering(oi, rows, rgRows);
      pagesRead += pages.length;
      pagesSkipped += oi.pages.length - pages.length;
      if (pages.length === oi.pages.length) {
        groupOf('whole', null).columns.push(name);
        continue;
      }
      const spans: RowRange[] = [];
      for (const p of pages) {
        const r = pageRows(oi, p, rgRows);
        const last = spans[spans.length - 1];
        if (last && last.end === r.start) last.end = r.end;
        else spans.push(r);
      }
      const g = groupOf(JSON.stringify(spans), spans);
      g.columns.push(name);
      g.cuts.set(leaf, {
        firstDataPage: oi.pages[0]!.offset,
        pages: pages.map((p) => ({ start: oi.pages[p]!.offset, end: oi.pages[p]!.offset + oi.pages[p]!.compressedSize })),
        numValues: rowCount(spans),
      });
    }

    // All groups' bytes in one coalesced read; a group whose ARROW:schema hint cannot be cut is read whole.
    const plans = [...groups.values()].map((g) => {
      const kept = compactColumns(footer, g.columns);
      return kept ? { ...g, kept } : { columns: g.columns, spans: null, cuts: new Map<number, CutChunk>(), kept };
    });
    const byteRanges: ByteRange[] = [];
    for (const p of plans) {
      rg.columns.forEach((c, leaf) => {
        if (p.kept && !p.kept.includes(c.pathInSchema[0]!)) return;
        const cut = p.cuts.get(leaf);
        const chunk = columnChunkRange(c, rowGroup, Number.MAX_SAFE_INTEGER, this.path);
        if (!cut) byteRanges.push(chunk);
        else {
          if (cut.firstDataPage > chunk.start) byteRanges.push({ start: chunk.start, end: cut.firstDataPage });
          byteRanges.push(...cut.pages);
        }
      });
    }
    const fetched = await this.readRanges(byteRanges);
    // The kept pages' headers must hold the rows the OffsetIndex says (else the rows would be misaligned). A chunk
    // whose kept pages are all plain-encoded (a dictionary that overflowed falls back to plain pages) is decoded
    // without its dictionary page: decoding a large dictionary costs as much as a whole chunk.
    for (const p of plans) {
      for (const [leaf, cut] of p.cuts) {
        const facts = cut.pages.map((r) => dataPageFacts(sliceFetched(fetched, r.start, r.end, this.path)));
        const rows = facts.reduce((n, f) => n + (f.rows ?? Number.NaN), 0);
        if (rows !== cut.numValues) {
          throw new ProtocolError(
            `the page index of column ${tree.leaves[leaf]!.path.join('.')} (row group ${rowGroup}) disagrees with its pages: ${cut.numValues} rows by the index, ${Number.isNaN(rows) ? 'unreadable page headers' : `${rows} in the page headers`}`,
            this.path,
          );
        }
        cut.dropDictionary = !facts.some((f) => f.needsDictionary);
      }
    }
    const tables = await Promise.all(
      plans.map(async (p) => {
        const have = p.spans ?? [{ start: 0, end: rgRows }];
        const n = rowCount(have);
        const subset = p.spans ? { numRows: n, chunks: p.cuts } : undefined;
        const bytes = assembleCompactParquet(meta, footer, [rowGroup], p.kept, fetched, this.path, subset);
        const t = await decodeParquet(bytes, {
          batchSize: Math.max(1, Math.min(n, 1 << 20)),
          file: this.path,
          transfer: true,
          threads: this.options.threads,
          inlineBelow: this.options.inlineBelow,
        });
        if (t.numRows !== rowCount(have)) {
          throw new ProtocolError(`the Parquet decoder returned ${t.numRows} rows for pages holding ${rowCount(have)} (row group ${rowGroup})`, this.path);
        }
        return sliceToRows(t, have, rows);
      }),
    );
    return { table: zipColumns(tables, ordered), pagesRead, pagesSkipped };
  }

  /**
   * Decodes `rowGroups` (file order), only the top-level `columns` (undefined = all), in file column order. The
   * chunks are fetched together, then decoded in groups of columns of at most `decodeTaskBytes` (DECODE_TASK_BYTES)
   * uncompressed bytes, each its own task of the worker pool, and zipped back into one table.
   */
  async readRowGroups(rowGroups: readonly number[], columns?: readonly string[], batchSize?: number): Promise<Table> {
    const { footer, meta, size } = await this.tail();
    const inFile = (await this.tree()).columns.map((c) => c.name);
    const names = columns ? inFile.filter((n) => columns.includes(n)) : inFile;
    const kept = compactColumns(footer, names);
    let fetched = await this.readRanges(columnChunkRanges(footer, rowGroups, kept, size, this.path));
    // One group of all columns when the ARROW:schema hint cannot be cut down (kept undefined) or there are none.
    const groups = kept?.length ? decodeGroups(footer, rowGroups, kept, this.options.decodeTaskBytes ?? DECODE_TASK_BYTES) : [kept];
    const compacts = groups.map((g) => assembleCompactParquet(meta, footer, rowGroups, g, fetched, this.path));
    fetched = []; // the compact files hold the bytes now
    // Decoded on this thread or in the pool as a whole: a small column group of a big row group goes to the pool too.
    const inline = compacts.reduce((n, b) => n + b.byteLength, 0) < (this.options.inlineBelow ?? INLINE_DECODE_BELOW);
    const tables = await Promise.all(
      compacts.map((bytes) =>
        decodeParquet(bytes, {
          ...(batchSize ? { batchSize } : {}),
          file: this.path,
          transfer: true,
          threads: inline ? 0 : this.options.threads,
          inlineBelow: 0,
        }),
      ),
    );
    const table = tables.length === 1 ? tables[0]! : zipColumns(tables, tables.flatMap((t) => t.schema.fields.map((f) => f.name)));
    if (!columns || kept) return table;
    const keep = new Set(columns);
    return table.select(table.schema.fields.map((f) => f.name).filter((n) => keep.has(n)));
  }
}

/**
 * Consecutive runs of `columns` (in the given order) of at most `budget` uncompressed bytes in `rowGroups` (one
 * column at least). A worker's WASM memory peaks at several times what one task decodes (the input, arrow-rs's
 * batches, the IPC stream as it grows, its copy out) and never shrinks: measured on a 128Ki-row group of 5 columns
 * (~6.5 MB uncompressed), 29 MB decoded at once, 17.5 MB in the 2 tasks of a 4 MB budget, 7-9 MB one column at a time
 * (4 tasks; a full scan collected with toArrow then took ~10% more CPU, the 4 MB budget ~2%).
 */
export function decodeGroups(footer: ParquetFooter, rowGroups: readonly number[], columns: readonly string[], budget: number): string[][] {
  const bytes = new Map<string, number>();
  for (const g of rowGroups) {
    for (const c of footer.rowGroups[g]?.columns ?? []) {
      const top = c.pathInSchema[0]!;
      bytes.set(top, (bytes.get(top) ?? 0) + c.totalUncompressedSize);
    }
  }
  const groups: string[][] = [];
  let current: string[] = [];
  let size = 0;
  for (const c of columns) {
    const n = bytes.get(c) ?? 0;
    if (current.length && size + n > budget) {
      groups.push(current);
      current = [];
      size = 0;
    }
    current.push(c);
    size += n;
  }
  if (current.length) groups.push(current);
  return groups;
}

/** The rows `want` of `t`, a table holding the rows `have` (sorted disjoint spans, each `want` range inside one). */
function sliceToRows(t: Table, have: readonly RowRange[], want: readonly RowRange[]): Table {
  const parts: Table[] = [];
  let h = 0;
  let before = 0; // rows of `t` in the spans before have[h]
  for (const w of want) {
    while (h < have.length && have[h]!.end <= w.start) {
      before += have[h]!.end - have[h]!.start;
      h++;
    }
    const span = have[h];
    if (!span || w.start < span.start || w.end > span.end) throw new Error('readRows: a wanted row range is not inside the decoded pages');
    const at = before + w.start - span.start;
    parts.push(t.slice(at, at + w.end - w.start));
  }
  if (parts.length === 1 && parts[0]!.numRows === t.numRows) return t;
  return new Table(t.schema, parts.flatMap((p) => p.batches));
}
