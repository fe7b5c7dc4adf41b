// A compact Parquet file: "PAR1", some byte ranges of a bigger Parquet file (the fetched column chunks), and that
// file's footer rewritten to hold only the selected row groups and top-level columns (schema, column chunks, column
// orders, the ARROW:schema hint), with the chunks' offsets moved to where their bytes now lie. Every other footer
// field is copied byte for byte. It does no I/O and does not decode pages.
import { ProtocolError } from '../errors.js';
import { ARROW_SCHEMA_KEY, pruneArrowSchema } from './parquet_arrow_schema.js';
import type { ParquetFooter } from './parquet_footer.js';
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
const RG_FILE_OFFSET = 5;
const CHUNK_FILE_OFFSET = 2;
const CHUNK_META = 3;
/** ColumnChunk offset_index_offset/length, column_index_offset/length: the page index is not carried over. */
const CHUNK_PAGE_INDEX = new Set([4, 5, 6, 7]);
const META_DATA_PAGE_OFFSET = 9;
const META_INDEX_PAGE_OFFSET = 10;
const META_DICTIONARY_PAGE_OFFSET = 11;
/** ColumnMetaData bloom_filter_offset/length: bloom filters are not carried over. */
const META_BLOOM = new Set([14, 15]);

const MAGIC = new Uint8Array([0x50, 0x41, 0x52, 0x31]);
const decoder = new TextDecoder();

/** A byte range of the original file, fetched. */
export interface FetchedRange {
  start: number;
  bytes: Uint8Array;
}

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
 * Assembles the compact file. `meta` is the original FileMetaData (Thrift bytes) and `footer` its decoding,
 * `rowGroups` the selected row groups (ascending), `columns` the kept top-level columns (undefined = all), and
 * `ranges` the fetched byte ranges (ascending, disjoint), which must hold every kept column chunk.
 */
export function assembleCompactParquet(
  meta: Uint8Array,
  footer: ParquetFooter,
  rowGroups: readonly number[],
  columns: readonly string[] | undefined,
  ranges: readonly FetchedRange[],
  file: string,
): Uint8Array {
  const what = `Parquet footer of ${file}`;
  // Where each range lands in the compact file.
  const bases: number[] = [];
  let pos = MAGIC.length;
  for (const r of ranges) {
    bases.push(pos);
    pos += r.bytes.length;
  }
  /** New position of original offset `o` when a range holds it, else undefined. */
  const moved = (o: bigint): bigint | undefined => {
    const n = Number(o);
    let lo = 0;
    let hi = ranges.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      const r = ranges[mid]!;
      if (n < r.start) hi = mid - 1;
      else if (n >= r.start + r.bytes.length) lo = mid + 1;
      else return BigInt(bases[mid]! + (n - r.start));
    }
    return undefined;
  };

  const numRows = rowGroups.reduce((n, i) => n + (footer.rowGroups[i]?.numRows ?? 0), 0);
  const keep = columns ? new Set(columns) : null;
  const kept = keptSchema(footer, keep);
  const fm = new CompactReader(meta, 0, meta.length, what).structSpans();
  const rgField = fm.find((f) => f.id === FILE_ROW_GROUPS);
  const allRowGroups = rgField ? structListSpans(meta, rgField, what, file) : [];
  const w = new CompactWriter();
  const copy = (f: ThriftFieldSpan): void => {
    w.field(f.id, f.type);
    w.raw(meta.subarray(f.start, f.end));
  };

  const writeColumnMeta = (spans: ThriftFieldSpan[]): void => {
    w.structBegin();
    for (const f of spans) {
      if (f.id === META_DATA_PAGE_OFFSET || f.id === META_DICTIONARY_PAGE_OFFSET) {
        const to = moved(zigzagAt(meta, f));
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

  const writeChunk = (spans: ThriftFieldSpan[]): void => {
    w.structBegin();
    for (const f of spans) {
      if (CHUNK_PAGE_INDEX.has(f.id)) continue;
      if (f.id === CHUNK_META) {
        w.field(f.id, T_STRUCT);
        writeColumnMeta(new CompactReader(meta, f.start, f.end, what).structSpans());
      } else if (f.id === CHUNK_FILE_OFFSET) {
        // Deprecated and unused by readers, but required by parquet.thrift: keep it in range.
        w.field(f.id, T_I64);
        w.int(moved(zigzagAt(meta, f)) ?? 4n);
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
          if (g.id !== RG_COLUMNS) {
            copy(g);
            continue;
          }
          const chunks = structListSpans(meta, g, what, file).filter((_, leaf) => kept.leaves[leaf] === true);
          w.field(g.id, T_LIST);
          w.listHeader(T_STRUCT, chunks.length);
          for (const c of chunks) writeChunk(c.fields);
        }
        w.structEnd();
      }
    } else copy(f);
  }
  w.structEnd();
  const encoded = w.finish();

  const out = new Uint8Array(pos + encoded.length + 8);
  out.set(MAGIC, 0);
  ranges.forEach((r, i) => out.set(r.bytes, bases[i]!));
  out.set(encoded, pos);
  new DataView(out.buffer, out.byteOffset).setUint32(pos + encoded.length, encoded.length, true);
  out.set(MAGIC, pos + encoded.length + 4);
  return out;
}
