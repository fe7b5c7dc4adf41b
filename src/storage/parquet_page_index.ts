// The Parquet page index of a column chunk (parquet.thrift OffsetIndex and ColumnIndex, written between the data
// and the footer): where each data page lies and which rows it holds, and per page min/max/null facts. Decoding
// only; which bytes to read is parquet_ranged.ts's, what the bounds mean is the pruning evaluator's (src/table).
import { ProtocolError } from '../errors.js';
import { readThriftStruct, type ThriftValue } from './parquet_thrift.js';

/** One data page of a column chunk (parquet.thrift PageLocation). */
export interface PageLocation {
  /** File offset of the page (its header). */
  offset: number;
  /** Bytes of the page, header included. */
  compressedSize: number;
  /** Index of the page's first row within the row group. */
  firstRowIndex: number;
}

/** parquet.thrift OffsetIndex: the chunk's data pages in order (the dictionary page is not among them). */
export interface OffsetIndex {
  pages: PageLocation[];
}

/** parquet.thrift ColumnIndex: per data page, whether it is all null, its min/max (PLAIN, like Statistics), nulls. */
export interface ColumnIndex {
  nullPages: boolean[];
  /** Lower bounds per page (empty bytes for a null page); bounds, not necessarily values of the page. */
  minValues: Uint8Array[];
  /** Upper bounds per page (empty bytes for a null page). */
  maxValues: Uint8Array[];
  /** Null values per page, when the writer stored them. */
  nullCounts?: number[];
}

/** A row range [start, end) within a row group. */
export interface RowRange {
  start: number;
  end: number;
}

function fail(what: string, file: string | undefined, msg: string): never {
  throw new ProtocolError(`invalid Parquet ${what}: ${msg}`, file);
}

function int(v: ThriftValue | undefined, what: string, file: string | undefined, field: string): number {
  const n = typeof v === 'bigint' ? Number(v) : v;
  if (typeof n !== 'number' || !Number.isSafeInteger(n) || n < 0) fail(what, file, `${field} missing or out of range`);
  return n;
}

/**
 * Decodes an OffsetIndex. `rowGroupRows` and the chunk's byte range check it: pages in ascending row order, the
 * first at row 0, inside the chunk. Errors name `file`.
 */
export function readOffsetIndex(bytes: Uint8Array, rowGroupRows: number, file?: string): OffsetIndex {
  const what = 'offset index';
  const { value } = readThriftStruct(bytes, 0, `Parquet ${what}${file ? ` of ${file}` : ''}`);
  const list = value.get(1);
  if (!Array.isArray(list) || list.length === 0) fail(what, file, 'no page locations');
  const pages = list.map((p): PageLocation => {
    if (!(p instanceof Map)) fail(what, file, 'page location is not a struct');
    return {
      offset: int(p.get(1), what, file, 'offset'),
      compressedSize: int(p.get(2), what, file, 'compressed_page_size'),
      firstRowIndex: int(p.get(3), what, file, 'first_row_index'),
    };
  });
  if (pages[0]!.firstRowIndex !== 0) fail(what, file, `first page starts at row ${pages[0]!.firstRowIndex}, not 0`);
  for (let i = 1; i < pages.length; i++) {
    const a = pages[i - 1]!;
    const b = pages[i]!;
    if (b.firstRowIndex <= a.firstRowIndex || b.firstRowIndex >= rowGroupRows || b.offset < a.offset + a.compressedSize) {
      fail(what, file, `page ${i} (row ${b.firstRowIndex}, offset ${b.offset}) does not follow page ${i - 1}`);
    }
  }
  return { pages };
}

/** Decodes a ColumnIndex of a chunk with `pageCount` data pages (its OffsetIndex's). Errors name `file`. */
export function readColumnIndex(bytes: Uint8Array, pageCount: number, file?: string): ColumnIndex {
  const what = 'column index';
  const { value } = readThriftStruct(bytes, 0, `Parquet ${what}${file ? ` of ${file}` : ''}`);
  const nullPages = value.get(1);
  const mins = value.get(2);
  const maxs = value.get(3);
  const ok = (l: unknown): l is unknown[] => Array.isArray(l) && l.length === pageCount;
  if (!ok(nullPages) || !ok(mins) || !ok(maxs)) fail(what, file, `lists do not have one entry per page (${pageCount} pages)`);
  const bytesList = (l: unknown[]): Uint8Array[] =>
    l.map((b) => (b instanceof Uint8Array ? b.slice() : fail(what, file, 'a min/max value is not binary')));
  const out: ColumnIndex = {
    nullPages: nullPages.map((b) => b === true),
    minValues: bytesList(mins),
    maxValues: bytesList(maxs),
  };
  const counts = value.get(5);
  if (counts !== undefined) {
    if (!ok(counts)) fail(what, file, 'null_counts does not have one entry per page');
    out.nullCounts = counts.map((c) => int(c, what, file, 'null count'));
  }
  return out;
}

/** parquet.thrift Encoding values of dictionary-encoded data pages (PLAIN_DICTIONARY, RLE_DICTIONARY). */
const DICTIONARY_ENCODINGS = new Set([2, 8]);

/**
 * What a data page's header (the first bytes of `page`) says: its rows (null when the header is not a data page's
 * or cannot be read), and whether it may need the chunk's dictionary page (a dictionary encoding, or unknown).
 */
export function dataPageFacts(page: Uint8Array): { rows: number | null; needsDictionary: boolean } {
  try {
    const { value: header } = readThriftStruct(page, 0, 'Parquet page header');
    // PageHeader: 5 = data_page_header (1: num_values, 2: encoding), 8 = data_page_header_v2 (3: num_rows, 4: encoding).
    const v1 = header.get(5);
    const v2 = header.get(8);
    const rows = v1 instanceof Map ? v1.get(1) : v2 instanceof Map ? v2.get(3) : undefined;
    const encoding = v1 instanceof Map ? v1.get(2) : v2 instanceof Map ? v2.get(4) : undefined;
    return {
      rows: typeof rows === 'number' ? rows : null,
      needsDictionary: typeof encoding !== 'number' || DICTIONARY_ENCODINGS.has(encoding),
    };
  } catch {
    return { rows: null, needsDictionary: true };
  }
}

/** Row range of page `i` of a chunk in a row group of `rowGroupRows` rows. */
export function pageRows(index: OffsetIndex, i: number, rowGroupRows: number): RowRange {
  const next = index.pages[i + 1];
  return { start: index.pages[i]!.firstRowIndex, end: next ? next.firstRowIndex : rowGroupRows };
}

/** Indexes of the pages of `index` holding at least one row of `rows` (sorted, disjoint). */
export function pagesCovering(index: OffsetIndex, rows: readonly RowRange[], rowGroupRows: number): number[] {
  const out: number[] = [];
  let r = 0;
  for (let i = 0; i < index.pages.length && r < rows.length; i++) {
    const p = pageRows(index, i, rowGroupRows);
    while (r < rows.length && rows[r]!.end <= p.start) r++;
    if (r < rows.length && rows[r]!.start < p.end) out.push(i);
  }
  return out;
}

/** Total rows of sorted disjoint ranges. */
export function rowCount(rows: readonly RowRange[]): number {
  let n = 0;
  for (const r of rows) n += r.end - r.start;
  return n;
}
