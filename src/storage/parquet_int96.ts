// Exact INT96 timestamps: decodes the pages of INT96 column chunks (PLAIN / dictionary, v1 and v2 data pages)
// straight from Parquet bytes into true nanoseconds (bigint), because parquet-wasm wraps them into an int64.
// It does not build Arrow data (parquet.ts does) and never guesses: anything it cannot decode raises an error.
import { brotliDecompressSync, gunzipSync, inflateSync } from 'node:zlib';
import { ProtocolError, UnsupportedFeatureError } from '../errors.js';
import type { ParquetCodec, ParquetColumnMeta, ParquetFooter, ParquetSchemaNode } from './parquet_footer.js';
import { readThriftStruct, type ThriftStruct, type ThriftValue } from './parquet_thrift.js';

/** Julian day number of 1970-01-01 (the INT96 epoch offset used by Spark/Impala/Hive). */
const JULIAN_UNIX_EPOCH = 2440588n;
const NANOS_PER_DAY = 86_400_000_000_000n;

const PAGE_DATA = 0;
const PAGE_DICTIONARY = 2;
const PAGE_DATA_V2 = 3;
const ENC_PLAIN = 0;
const ENC_PLAIN_DICTIONARY = 2;
const ENC_RLE = 3;
const ENC_RLE_DICTIONARY = 8;

export interface Int96Column {
  /** One entry per leaf level entry (per row for a top-level column): true nanoseconds since the epoch, or null. */
  values: Array<bigint | null>;
}

function fail(msg: string, file?: string): never {
  throw new ProtocolError(`cannot decode INT96 column: ${msg}`, file);
}

/** Decodes a Snappy raw (block) stream. */
export function snappyDecompress(src: Uint8Array, file?: string): Uint8Array {
  let pos = 0;
  let len = 0;
  for (let shift = 0; ; shift += 7) {
    if (pos >= src.length || shift > 28) fail('bad snappy length preamble', file);
    const b = src[pos++]!;
    len += (b & 0x7f) * 2 ** shift;
    if ((b & 0x80) === 0) break;
  }
  const out = new Uint8Array(len);
  let o = 0;
  while (pos < src.length) {
    const tag = src[pos++]!;
    const kind = tag & 3;
    if (kind === 0) {
      let n = tag >> 2;
      if (n >= 60) {
        const bytes = n - 59;
        if (pos + bytes > src.length) fail('truncated snappy literal length', file);
        n = 0;
        for (let i = 0; i < bytes; i++) n += src[pos + i]! * 2 ** (8 * i);
        pos += bytes;
      }
      n += 1;
      if (pos + n > src.length || o + n > len) fail('snappy literal out of bounds', file);
      out.set(src.subarray(pos, pos + n), o);
      pos += n;
      o += n;
      continue;
    }
    let n: number;
    let offset: number;
    if (kind === 1) {
      if (pos + 1 > src.length) fail('truncated snappy copy', file);
      n = ((tag >> 2) & 7) + 4;
      offset = ((tag >> 5) << 8) | src[pos++]!;
    } else if (kind === 2) {
      if (pos + 2 > src.length) fail('truncated snappy copy', file);
      n = (tag >> 2) + 1;
      offset = src[pos]! | (src[pos + 1]! << 8);
      pos += 2;
    } else {
      if (pos + 4 > src.length) fail('truncated snappy copy', file);
      n = (tag >> 2) + 1;
      offset = (src[pos]! | (src[pos + 1]! << 8) | (src[pos + 2]! << 16)) + src[pos + 3]! * 2 ** 24;
      pos += 4;
    }
    if (offset === 0 || offset > o || o + n > len) fail('snappy copy out of bounds', file);
    for (let i = 0; i < n; i++, o++) out[o] = out[o - offset]!;
  }
  if (o !== len) fail(`snappy stream produced ${o} bytes, expected ${len}`, file);
  return out;
}

function decompress(codec: ParquetCodec, data: Uint8Array, size: number, file?: string): Uint8Array {
  let out: Uint8Array;
  switch (codec) {
    case 'UNCOMPRESSED':
      out = data;
      break;
    case 'SNAPPY':
      out = snappyDecompress(data, file);
      break;
    case 'GZIP':
      // Parquet GZIP is a gzip stream; some old writers produced raw zlib.
      out = data[0] === 0x1f && data[1] === 0x8b ? gunzipSync(data) : inflateSync(data);
      break;
    case 'BROTLI':
      out = brotliDecompressSync(data);
      break;
    default:
      throw new UnsupportedFeatureError(
        `INT96 timestamps in ${codec}-compressed Parquet`,
        'reader',
        `${file ?? 'data file'}: exact INT96 decoding supports UNCOMPRESSED, SNAPPY, GZIP and BROTLI pages only`,
      );
  }
  if (out.length !== size) fail(`page decompressed to ${out.length} bytes, header says ${size}`, file);
  return out;
}

function int(s: ThriftStruct, id: number, what: string, file?: string): number {
  const v: ThriftValue | undefined = s.get(id);
  if (typeof v === 'number') return v;
  return fail(`page header ${what} missing`, file);
}

function bitWidth(max: number): number {
  return max === 0 ? 0 : 32 - Math.clz32(max);
}

/** Reads `count` values of the RLE / bit-packed hybrid encoding from buf[pos, end). */
function readHybrid(buf: Uint8Array, pos: number, end: number, width: number, count: number, file?: string): Int32Array {
  const out = new Int32Array(count);
  if (width === 0) return out;
  if (width > 32) fail(`bit width ${width} too large`, file);
  const byteWidth = (width + 7) >> 3;
  let n = 0;
  while (n < count) {
    let header = 0;
    for (let shift = 0; ; shift += 7) {
      if (pos >= end || shift > 28) fail('truncated RLE/bit-packed run header', file);
      const b = buf[pos++]!;
      header += (b & 0x7f) * 2 ** shift;
      if ((b & 0x80) === 0) break;
    }
    if (header % 2 === 0) {
      const run = header / 2;
      if (pos + byteWidth > end) fail('truncated RLE run', file);
      let v = 0;
      for (let i = 0; i < byteWidth; i++) v += buf[pos + i]! * 2 ** (8 * i);
      pos += byteWidth;
      for (let i = 0; i < run && n < count; i++) out[n++] = v;
    } else {
      const values = ((header - 1) / 2) * 8;
      const bytes = (values * width) / 8;
      if (pos + bytes > end) fail('truncated bit-packed run', file);
      let bit = pos * 8;
      for (let i = 0; i < values; i++) {
        let v = 0;
        for (let b = 0; b < width; b++, bit++) {
          if (buf[bit >> 3]! & (1 << (bit & 7))) v += 2 ** b;
        }
        if (n < count) out[n++] = v;
      }
      pos += bytes;
    }
  }
  return out;
}

/** True nanoseconds since 1970-01-01 of the 12-byte INT96 value at `pos` (8 bytes LE nanos-of-day + 4 bytes LE Julian day). */
function int96Nanos(view: DataView, pos: number): bigint {
  const nanosOfDay = view.getBigInt64(pos, true);
  const julianDay = BigInt(view.getUint32(pos + 8, true));
  return (julianDay - JULIAN_UNIX_EPOCH) * NANOS_PER_DAY + nanosOfDay;
}

function plainValues(buf: Uint8Array, pos: number, end: number, count: number, file?: string): bigint[] {
  if (pos + count * 12 > end) fail(`PLAIN page holds fewer than ${count} INT96 values`, file);
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const out: bigint[] = new Array<bigint>(count);
  for (let i = 0; i < count; i++) out[i] = int96Nanos(view, pos + i * 12);
  return out;
}

/** Decodes one INT96 column chunk into one entry per level entry (value or null). */
export function decodeInt96Chunk(bytes: Uint8Array, meta: ParquetColumnMeta, leaf: ParquetSchemaNode, file?: string): Int96Column {
  if (meta.type !== 'INT96') fail(`column ${meta.pathInSchema.join('.')} is ${meta.type}, not INT96`, file);
  const maxDef = leaf.maxDefinitionLevel;
  const maxRep = leaf.maxRepetitionLevel;
  let pos = meta.dataPageOffset;
  if (meta.dictionaryPageOffset !== undefined && meta.dictionaryPageOffset > 0 && meta.dictionaryPageOffset < pos) {
    pos = meta.dictionaryPageOffset;
  }
  const chunkEnd = pos + meta.totalCompressedSize;
  if (chunkEnd > bytes.length) fail(`column chunk ${meta.pathInSchema.join('.')} runs past end of file`, file);
  let dictionary: bigint[] | null = null;
  const values: Array<bigint | null> = [];
  while (values.length < meta.numValues) {
    if (pos >= chunkEnd) fail(`column chunk ended after ${values.length} of ${meta.numValues} values`, file);
    const { value: h, end: bodyStart } = readThriftStruct(bytes, pos, `page header${file ? ` of ${file}` : ''}`, chunkEnd);
    const type = int(h, 1, 'type', file);
    const uncompressed = int(h, 2, 'uncompressed_page_size', file);
    const compressed = int(h, 3, 'compressed_page_size', file);
    const bodyEnd = bodyStart + compressed;
    if (bodyEnd > chunkEnd) fail('page runs past the column chunk', file);
    const body = bytes.subarray(bodyStart, bodyEnd);
    pos = bodyEnd;
    if (type === PAGE_DICTIONARY) {
      const dh = h.get(7);
      if (!(dh instanceof Map)) fail('dictionary page without dictionary_page_header', file);
      const n = int(dh, 1, 'dictionary num_values', file);
      const enc = int(dh, 2, 'dictionary encoding', file);
      if (enc !== ENC_PLAIN && enc !== ENC_PLAIN_DICTIONARY) fail(`dictionary page encoding ${enc}`, file);
      const data = decompress(meta.codec, body, uncompressed, file);
      dictionary = plainValues(data, 0, data.length, n, file);
      continue;
    }
    let numValues: number;
    let encoding: number;
    let defLevels: Int32Array;
    let data: Uint8Array;
    let p: number;
    if (type === PAGE_DATA) {
      const dh = h.get(5);
      if (!(dh instanceof Map)) fail('data page without data_page_header', file);
      numValues = int(dh, 1, 'num_values', file);
      encoding = int(dh, 2, 'encoding', file);
      data = decompress(meta.codec, body, uncompressed, file);
      p = 0;
      // v1 page: [repetition levels][definition levels][values], each level block prefixed by a 4-byte LE length.
      const levelBlock = (max: number, encId: number, what: string): Int32Array => {
        if (max === 0) return new Int32Array(numValues);
        const enc = int(dh, encId, `${what} level encoding`, file);
        if (enc !== ENC_RLE) fail(`${what} levels use encoding ${enc} (only RLE is supported)`, file);
        if (p + 4 > data.length) fail(`truncated ${what} levels`, file);
        const len = new DataView(data.buffer, data.byteOffset + p, 4).getUint32(0, true);
        const start = p + 4;
        p = start + len;
        if (p > data.length) fail(`${what} levels run past the page`, file);
        return readHybrid(data, start, p, bitWidth(max), numValues, file);
      };
      levelBlock(maxRep, 4, 'repetition');
      defLevels = levelBlock(maxDef, 3, 'definition');
    } else if (type === PAGE_DATA_V2) {
      const dh = h.get(8);
      if (!(dh instanceof Map)) fail('data page v2 without data_page_header_v2', file);
      numValues = int(dh, 1, 'num_values', file);
      encoding = int(dh, 4, 'encoding', file);
      const defLen = int(dh, 5, 'definition_levels_byte_length', file);
      const repLen = int(dh, 6, 'repetition_levels_byte_length', file);
      const isCompressed = dh.get(7) !== false;
      if (repLen + defLen > body.length) fail('v2 page levels run past the page', file);
      defLevels = maxDef === 0 ? new Int32Array(numValues) : readHybrid(body, repLen, repLen + defLen, bitWidth(maxDef), numValues, file);
      const rest = body.subarray(repLen + defLen);
      data = isCompressed ? decompress(meta.codec, rest, uncompressed - repLen - defLen, file) : rest;
      p = 0;
    } else {
      continue; // index pages carry no values
    }
    let present = 0;
    for (let i = 0; i < numValues; i++) if (defLevels[i] === maxDef) present++;
    let decoded: bigint[];
    if (encoding === ENC_PLAIN) {
      decoded = plainValues(data, p, data.length, present, file);
    } else if (encoding === ENC_PLAIN_DICTIONARY || encoding === ENC_RLE_DICTIONARY) {
      if (!dictionary) fail('dictionary-encoded page without a dictionary page', file);
      if (p >= data.length && present > 0) fail('truncated dictionary indices', file);
      const width = present > 0 ? data[p]! : 0;
      const idx = readHybrid(data, p + 1, data.length, width, present, file);
      decoded = new Array<bigint>(present);
      for (let i = 0; i < present; i++) {
        const v = dictionary[idx[i]!];
        if (v === undefined) fail(`dictionary index ${idx[i]} out of range (${dictionary.length} entries)`, file);
        decoded[i] = v;
      }
    } else {
      throw new UnsupportedFeatureError(`INT96 page encoding ${encoding}`, 'reader', file);
    }
    let k = 0;
    for (let i = 0; i < numValues; i++) values.push(defLevels[i] === maxDef ? decoded[k++]! : null);
  }
  if (values.length !== meta.numValues) fail(`decoded ${values.length} values, column metadata says ${meta.numValues}`, file);
  return { values };
}

/** All values of one INT96 leaf column across the given row groups (default: all), in file order. */
export function readInt96Column(
  bytes: Uint8Array,
  footer: ParquetFooter,
  leafIndex: number,
  leaf: ParquetSchemaNode,
  file?: string,
  rowGroups?: readonly number[],
): Int96Column {
  const values: Array<bigint | null> = [];
  for (const g of rowGroups ?? footer.rowGroups.keys()) {
    const rg = footer.rowGroups[g];
    if (!rg) fail(`row group ${g} does not exist (the file has ${footer.rowGroups.length})`, file);
    const meta = rg.columns[leafIndex];
    if (!meta) fail(`row group lacks column ${leaf.path.join('.')}`, file);
    if (meta.pathInSchema.join('.') !== leaf.path.join('.')) {
      fail(`column chunk path ${meta.pathInSchema.join('.')} does not match schema leaf ${leaf.path.join('.')}`, file);
    }
    for (const v of decodeInt96Chunk(bytes, meta, leaf, file).values) values.push(v);
  }
  return { values };
}

/** floor(a / b) for bigint (BigInt division truncates toward zero). */
export function floorDiv(a: bigint, b: bigint): bigint {
  const q = a / b;
  return (a % b !== 0n && (a < 0n) !== (b < 0n)) ? q - 1n : q;
}
