// A compact Parquet file: "PAR1", some byte ranges of a bigger Parquet file (the fetched column chunks), and that
// file's footer rewritten to hold only the selected row groups and top-level columns (schema, column chunks, column
// orders, the ARROW:schema hint), with the chunks' offsets moved to where their bytes now lie. Every other footer
// field is copied byte for byte. It does no I/O and does not decode pages.
import { ProtocolError } from '../errors.js';
import { ARROW_SCHEMA_KEY, pruneArrowSchema } from './parquet_arrow_schema.js';
import type { ParquetFooter } from './parquet_footer.js';
import { columnChunkRange, sliceFetched, type ByteRange, type FetchedRange } from './parquet_ranges.js';
import { CompactReader, T_BINARY, T_I32, T_I64, T_LIST, T_STRUCT, type ThriftFieldSpan } from './parquet_thrift.js';
import { CompactWriter } from './parquet_thrift_write.js';

/** parquet.thrift field ids used here. */
const FILE_SCHEMA = 2;
const FILE_NUM_ROWS = 3;
const FILE_ROW_GROUPS = 4;
const FILE_KEY_VALUE = 5;
const FILE_COLUMN_ORDERS = 7;
const SCHEMA_NUM_CHILDREN = 5;
const KV_KEY = 1;
const KV_VALUE = 2;
const RG_COLUMNS = 1;
const RG_NUM_ROWS = 3;
const RG_FILE_OFFSET = 5;
const RG_COMPRESSED_SIZE = 6;
const CHUNK_FILE_OFFSET = 2;
const CHUNK_META = 3;
/** ColumnChunk offset_index_offset/length, column_index_offset/length: the page index is not carried over. */
const CHUNK_PAGE_INDEX = new Set([4, 5, 6, 7]);
const META_NUM_VALUES = 5;
const META_COMPRESSED_SIZE = 7;
/** ColumnMetaData statistics, size_statistics, geospatial_statistics: dropped from a chunk cut to some pages. */
const META_CHUNK_STATS = new Set([12, 16, 17]);
const META_DATA_PAGE_OFFSET = 9;
const META_INDEX_PAGE_OFFSET = 10;
const META_DICTIONARY_PAGE_OFFSET = 11;
/** ColumnMetaData bloom_filter_offset/length: bloom filters are not carried over. */
const META_BLOOM = new Set([14, 15]);

const MAGIC = new Uint8Array([0x50, 0x41, 0x52, 0x31]);
const decoder = new TextDecoder();

/** Reads a zigzag varint (an i64 field's value bytes). */
function zigzagAt(buf: Uint8Array, span: ThriftFieldSpan): bigint {
  let u = 0n;
  let shift = 0n;
  for (let i = span.start; i < span.end; i++) {
    u |= BigInt(buf[i]! & 0x7f) << shift;
    shift += 7n;
  }
  return (u >> 1n) ^ -(u & 1n);
}

interface StructSpan {
  start: number;
  end: number;
  fields: ThriftFieldSpan[];
}

/** The bytes of a binary field's value (after its length varint). */
function binaryAt(buf: Uint8Array, span: ThriftFieldSpan): Uint8Array {
  let i = span.start;
  while (i < span.end && (buf[i]! & 0x80) !== 0) i++;
  return buf.subarray(i + 1, span.end);
}

/**
 * The columns a compact file can be cut down to: `columns`, or undefined (keep all) when the footer's ARROW:schema
 * hint cannot be re-encoded without the others (then the caller fetches all columns and selects after decoding).
 */
export function compactColumns(footer: ParquetFooter, columns: readonly string[] | undefined): readonly string[] | undefined {
  const hint = footer.keyValueMetadata[ARROW_SCHEMA_KEY];
  if (!columns || hint === undefined) return columns;
  return pruneArrowSchema(hint, new Set(columns)) !== null ? columns : undefined;
}

/** Spans of the elements of a list of structs whose value is `span`. */
function structListSpans(meta: Uint8Array, span: ThriftFieldSpan, what: string, file: string): StructSpan[] {
  const r = new CompactReader(meta, span.start, span.end, what);
  const { elemType, size } = r.listHeader();
  if (elemType !== T_STRUCT) throw new ProtocolError('malformed Parquet footer: list of non-structs', file);
  const out: StructSpan[] = [];
  for (let i = 0; i < size; i++) {
    const start = r.pos;
    const fields = r.structSpans();
    out.push({ start, end: r.pos, fields });
  }
  return out;
}

/** Which schema elements and which leaves (column chunk positions) belong to the kept top-level columns. */
function keptSchema(footer: ParquetFooter, keep: ReadonlySet<string> | null): { elements: boolean[]; leaves: boolean[]; top: number } {
  const elems = footer.schema;
  const elements = new Array<boolean>(elems.length).fill(keep === null);
  const leaves: boolean[] = [];
  elements[0] = true;
  let i = 1;
  let top = 0;
  const walk = (kept: boolean): void => {
    const e = elems[i]!;
    elements[i++] = kept;
    const kids = e.numChildren ?? 0;
    if (e.type === undefined || kids > 0) for (let k = 0; k < kids && i < elems.length; k++) walk(kept);
    else leaves.push(kept);
  };
  for (let k = 0; k < (elems[0]?.numChildren ?? 0) && i < elems.length; k++) {
    const kept = keep === null || keep.has(elems[i]!.name);
    if (kept) top++;
    walk(kept);
  }
  return { elements, leaves, top };
}

/**
 * Pages cut from the chunks of the ONE row group of a compact file: the row group holds `numRows` rows, and each
 * leaf (index in the original file's leaf order) in `chunks` keeps only some of its pages (the rest keep the whole
 * chunk). Exact only for non-repeated leaves, whose pages hold whole rows: parquet_ranged.ts chooses them.
 */
export interface PageSubset {
  numRows: number;
  chunks: Map<number, CutChunk>;
}

/** A column chunk cut to some of its data pages. */
export interface CutChunk {
  /** File offset of the chunk's first data page (the OffsetIndex's first page): bytes before it (the dictionary
   *  page) are kept whole, unless `dropDictionary`. */
  firstDataPage: number;
  /** None of the kept pages is dictionary-encoded: the bytes before the first data page are left out. */
  dropDictionary?: boolean;
  /** The kept data pages (file offsets, ascending): they become the chunk's pages, in this order. */
  pages: ByteRange[];
  /** Values in the kept pages (rows, for a non-repeated leaf). */
  numValues: number;
}

/**
 * Assembles the compact file. `meta` is the original FileMetaData (Thrift bytes) and `footer` its decoding,
 * `rowGroups` the selected row groups (ascending), `columns` the kept top-level columns (undefined = all), and
 * `ranges` the fetched byte ranges (ascending, disjoint), which must hold every kept column chunk (of a cut chunk:
 * the bytes before its first data page, and its kept pages). With `subset` (one row group only), chunks are cut to
 * some of their pages. Each kept chunk's bytes are laid out contiguously, in footer order.
 */
export function assembleCompactParquet(
  meta: Uint8Array,
  footer: ParquetFooter,
  rowGroups: readonly number[],
  columns: readonly string[] | undefined,
  ranges: readonly FetchedRange[],
  file: string,
  subset?: PageSubset,
): Uint8Array {
  const what = `Parquet footer of ${file}`;
  if (subset && rowGroups.length !== 1) throw new Error('assembleCompactParquet: a page subset needs exactly one row group');
  const bytesAt = (start: number, end: number): Uint8Array => sliceFetched(ranges, start, end, file);

  const keep = columns ? new Set(columns) : null;
  const kept = keptSchema(footer, keep);
  // The layout: each kept chunk's pieces, contiguous, after the magic. `moved` maps an original page offset of a
  // chunk to its new place (undefined: not among the chunk's bytes, e.g. a placeholder dictionary offset of 0).
  type Placed = { moved: (o: bigint) => bigint | undefined; size: number; cut?: CutChunk };
  const pieces: Uint8Array[] = [];
  let pos = MAGIC.length;
  const layout = new Map<string, Placed>();
  for (const g of rowGroups) {
    const rg = footer.rowGroups[g];
    if (!rg) throw new ProtocolError(`Parquet footer: row group ${g} does not exist (${footer.rowGroups.length} row groups)`, file);
    rg.columns.forEach((c, leaf) => {
      if (!kept.leaves[leaf]) return;
      const { start, end } = columnChunkRange(c, g, Number.MAX_SAFE_INTEGER, file);
      const base = pos;
      const cut = subset?.chunks.get(leaf);
      if (!cut) {
        pieces.push(bytesAt(start, end));
        pos += end - start;
        const moved = (o: bigint): bigint | undefined => (o >= start && o < end ? BigInt(base) + o - BigInt(start) : undefined);
        layout.set(`${g}:${leaf}`, { moved, size: end - start });
        return;
      }
      if (cut.firstDataPage < start || cut.firstDataPage > end) throw new ProtocolError(`Parquet page index: the first data page of ${c.pathInSchema.join('.')} lies outside its chunk`, file);
      const prefix = cut.dropDictionary ? 0 : cut.firstDataPage - start;
      if (prefix > 0) pieces.push(bytesAt(start, cut.firstDataPage));
      for (const p of cut.pages) pieces.push(bytesAt(p.start, p.end));
      const size = prefix + cut.pages.reduce((n, p) => n + p.end - p.start, 0);
      pos += size;
      const moved = (o: bigint): bigint | undefined => {
        if (o < start || o >= end) return undefined;
        if (o >= cut.firstDataPage) return BigInt(base + prefix);
        return cut.dropDictionary ? undefined : BigInt(base) + o - BigInt(start);
      };
      layout.set(`${g}:${leaf}`, { moved, size, cut });
    });
  }

  const numRows = subset ? subset.numRows : rowGroups.reduce((n, i) => n + (footer.rowGroups[i]?.numRows ?? 0), 0);
  const fm = new CompactReader(meta, 0, meta.length, what).structSpans();
  const rgField = fm.find((f) => f.id === FILE_ROW_GROUPS);
  const allRowGroups = rgField ? structListSpans(meta, rgField, what, file) : [];
  const w = new CompactWriter();
  const copy = (f: ThriftFieldSpan): void => {
    w.field(f.id, f.type);
    w.raw(meta.subarray(f.start, f.end));
  };

  const writeColumnMeta = (spans: ThriftFieldSpan[], { moved, size, cut }: Placed): void => {
    w.structBegin();
    for (const f of spans) {
      if (cut && (f.id === META_NUM_VALUES || f.id === META_COMPRESSED_SIZE)) {
        w.field(f.id, T_I64);
        w.int(f.id === META_NUM_VALUES ? cut.numValues : size);
      } else if (cut && META_CHUNK_STATS.has(f.id)) {
        continue; // the chunk's statistics describe pages it no longer holds
      } else if (f.id === META_DATA_PAGE_OFFSET || f.id === META_DICTIONARY_PAGE_OFFSET) {
        let to = moved(zigzagAt(meta, f));
        // A data page offset pointing at a dictionary page left out (no dictionary_page_offset): the first kept page.
        if (to === undefined && cut?.dropDictionary && f.id === META_DATA_PAGE_OFFSET) to = moved(BigInt(cut.firstDataPage));
        if (to === undefined) {
          // A dictionary offset outside the chunk is a writer's placeholder (0) that the range plan ignored too.
          if (f.id === META_DICTIONARY_PAGE_OFFSET) continue;
          throw new ProtocolError("Parquet footer: a column chunk's pages lie outside the fetched ranges", file);
        }
        w.field(f.id, T_I64);
        w.int(to);
      } else if (f.id === META_INDEX_PAGE_OFFSET || META_BLOOM.has(f.id)) {
        continue;
      } else copy(f);
    }
    w.structEnd();
  };

  const writeChunk = (spans: ThriftFieldSpan[], placed: Placed): void => {
    w.structBegin();
    for (const f of spans) {
      if (CHUNK_PAGE_INDEX.has(f.id)) continue;
      if (f.id === CHUNK_META) {
        w.field(f.id, T_STRUCT);
        writeColumnMeta(new CompactReader(meta, f.start, f.end, what).structSpans(), placed);
      } else if (f.id === CHUNK_FILE_OFFSET) {
        // Deprecated and unused by readers, but required by parquet.thrift: keep it in range.
        w.field(f.id, T_I64);
        w.int(placed.moved(zigzagAt(meta, f)) ?? 4n);
      } else copy(f);
    }
    w.structEnd();
  };

  /** key_value_metadata with the ARROW:schema hint cut down to the kept columns (dropped if it cannot be decoded). */
  const writeKeyValues = (f: ThriftFieldSpan): void => {
    const elems = structListSpans(meta, f, what, file);
    const hint = footer.keyValueMetadata[ARROW_SCHEMA_KEY];
    const pruned = hint !== undefined && keep ? pruneArrowSchema(hint, keep) : null;
    if (hint !== undefined && pruned === null) throw new ProtocolError('Parquet footer: its ARROW:schema cannot be cut down (see compactColumns)', file);
    const isHint = (e: StructSpan): boolean => {
      const k = e.fields.find((g) => g.id === KV_KEY);
      return k !== undefined && decoder.decode(binaryAt(meta, k)) === ARROW_SCHEMA_KEY;
    };
    w.field(f.id, T_LIST);
    w.listHeader(T_STRUCT, elems.length);
    for (const e of elems) {
      if (!isHint(e)) {
        w.raw(meta.subarray(e.start, e.end));
        continue;
      }
      w.structBegin();
      for (const g of e.fields) {
        if (g.id !== KV_VALUE) {
          copy(g);
          continue;
        }
        w.field(g.id, T_BINARY);
        w.binary(new TextEncoder().encode(pruned!));
      }
      w.structEnd();
    }
  };

  /** A list field keeping the struct elements for which `keepAt(index)` holds, verbatim. */
  const filteredList = (f: ThriftFieldSpan, keepAt: (i: number) => boolean): void => {
    const elems = structListSpans(meta, f, what, file);
    const keptElems = elems.filter((_, i) => keepAt(i));
    w.field(f.id, T_LIST);
    w.listHeader(T_STRUCT, keptElems.length);
    for (const e of keptElems) w.raw(meta.subarray(e.start, e.end));
  };

  w.structBegin();
  for (const f of fm) {
    if (f.id === FILE_NUM_ROWS) {
      w.field(f.id, T_I64);
      w.int(numRows);
    } else if (f.id === FILE_SCHEMA && keep) {
      const elems = structListSpans(meta, f, what, file);
      w.field(f.id, T_LIST);
      w.listHeader(T_STRUCT, kept.elements.filter(Boolean).length);
      elems.forEach((e, i) => {
        if (!kept.elements[i]) return;
        if (i > 0) return w.raw(meta.subarray(e.start, e.end));
        // The root: its num_children becomes the number of kept top-level columns.
        w.structBegin();
        for (const g of e.fields) {
          if (g.id === SCHEMA_NUM_CHILDREN) {
            w.field(g.id, T_I32);
            w.int(kept.top);
          } else copy(g);
        }
        w.structEnd();
      });
    } else if (f.id === FILE_COLUMN_ORDERS && keep) {
      filteredList(f, (i) => kept.leaves[i] === true);
    } else if (f.id === FILE_KEY_VALUE && keep) {
      writeKeyValues(f);
    } else if (f.id === FILE_ROW_GROUPS) {
      w.field(f.id, T_LIST);
      w.listHeader(T_STRUCT, rowGroups.length);
      for (const i of rowGroups) {
        const rg = allRowGroups[i];
        if (!rg) throw new ProtocolError(`Parquet footer: row group ${i} does not exist (${allRowGroups.length} row groups)`, file);
        w.structBegin();
        for (const g of rg.fields) {
          if (g.id === RG_FILE_OFFSET) continue; // optional; the chunks' offsets are what readers use
          if (subset && g.id === RG_COMPRESSED_SIZE) continue; // optional; no longer the sum of the chunks
          if (subset && g.id === RG_NUM_ROWS) {
            w.field(g.id, T_I64);
            w.int(subset.numRows);
            continue;
          }
          if (g.id !== RG_COLUMNS) {
            copy(g);
            continue;
          }
          const chunks = structListSpans(meta, g, what, file);
          w.field(g.id, T_LIST);
          w.listHeader(T_STRUCT, kept.leaves.filter(Boolean).length);
          chunks.forEach((c, leaf) => {
            if (kept.leaves[leaf]) writeChunk(c.fields, layout.get(`${i}:${leaf}`)!);
          });
        }
        w.structEnd();
      }
    } else copy(f);
  }
  w.structEnd();
  const encoded = w.finish();

  const out = new Uint8Array(pos + encoded.length + 8);
  out.set(MAGIC, 0);
  let at = MAGIC.length;
  for (const p of pieces) {
    out.set(p, at);
    at += p.length;
  }
  out.set(encoded, pos);
  new DataView(out.buffer, out.byteOffset).setUint32(pos + encoded.length, encoded.length, true);
  out.set(MAGIC, pos + encoded.length + 4);
  return out;
}
