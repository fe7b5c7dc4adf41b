// Parquet footer reader: the FileMetaData (schema elements, row groups, column chunk metadata) decoded from
// the Thrift footer, plus the schema tree with field ids. It reads no data pages and does not use parquet-wasm.
import { ProtocolError } from '../errors.js';
import { readThriftStruct, type ThriftStruct, type ThriftValue } from './parquet_thrift.js';

export type ParquetPhysicalType =
  | 'BOOLEAN'
  | 'INT32'
  | 'INT64'
  | 'INT96'
  | 'FLOAT'
  | 'DOUBLE'
  | 'BYTE_ARRAY'
  | 'FIXED_LEN_BYTE_ARRAY';
export type ParquetRepetition = 'REQUIRED' | 'OPTIONAL' | 'REPEATED';
export type ParquetCodec = 'UNCOMPRESSED' | 'SNAPPY' | 'GZIP' | 'LZO' | 'BROTLI' | 'LZ4' | 'ZSTD' | 'LZ4_RAW';

const PHYSICAL: readonly ParquetPhysicalType[] = ['BOOLEAN', 'INT32', 'INT64', 'INT96', 'FLOAT', 'DOUBLE', 'BYTE_ARRAY', 'FIXED_LEN_BYTE_ARRAY'];
const REPETITION: readonly ParquetRepetition[] = ['REQUIRED', 'OPTIONAL', 'REPEATED'];
const CODECS: readonly ParquetCodec[] = ['UNCOMPRESSED', 'SNAPPY', 'GZIP', 'LZO', 'BROTLI', 'LZ4', 'ZSTD', 'LZ4_RAW'];
const CONVERTED = [
  'UTF8', 'MAP', 'MAP_KEY_VALUE', 'LIST', 'ENUM', 'DECIMAL', 'DATE', 'TIME_MILLIS', 'TIME_MICROS', 'TIMESTAMP_MILLIS',
  'TIMESTAMP_MICROS', 'UINT_8', 'UINT_16', 'UINT_32', 'UINT_64', 'INT_8', 'INT_16', 'INT_32', 'INT_64', 'JSON', 'BSON',
  'INTERVAL',
] as const;
/** LogicalType union members by Thrift field id (parquet.thrift). */
const LOGICAL: Record<number, string> = {
  1: 'STRING', 2: 'MAP', 3: 'LIST', 4: 'ENUM', 5: 'DECIMAL', 6: 'DATE', 7: 'TIME', 8: 'TIMESTAMP', 10: 'INTEGER',
  11: 'UNKNOWN', 12: 'JSON', 13: 'BSON', 14: 'UUID', 15: 'FLOAT16', 16: 'VARIANT', 17: 'GEOMETRY', 18: 'GEOGRAPHY',
};

export interface ParquetSchemaElement {
  name: string;
  /** Physical type; absent for group nodes. */
  type?: ParquetPhysicalType;
  typeLength?: number;
  repetition?: ParquetRepetition;
  numChildren?: number;
  convertedType?: string;
  scale?: number;
  precision?: number;
  fieldId?: number;
  /** Name of the LogicalType union member (e.g. 'TIMESTAMP', 'STRING'), if any. */
  logicalType?: string;
  /** Unit of a TIMESTAMP / TIME logical type. */
  timeUnit?: 'MILLIS' | 'MICROS' | 'NANOS';
  /** isSigned of an INTEGER logical type. */
  signed?: boolean;
}

export interface ParquetColumnMeta {
  type: ParquetPhysicalType;
  pathInSchema: string[];
  codec: ParquetCodec;
  numValues: number;
  totalCompressedSize: number;
  totalUncompressedSize: number;
  dataPageOffset: number;
  dictionaryPageOffset?: number;
  /** Column chunk statistics, when the writer stored them. */
  statistics?: ParquetStatistics;
  /** Where the chunk's OffsetIndex (page locations) lies in the file (ColumnChunk offset_index_offset/length). */
  offsetIndex?: ParquetIndexLocation;
  /** Where the chunk's ColumnIndex (per-page min/max/nulls) lies in the file (column_index_offset/length). */
  columnIndex?: ParquetIndexLocation;
}

/** A byte range of the page index (parquet.thrift ColumnChunk offset_index_* / column_index_*). */
export interface ParquetIndexLocation {
  offset: number;
  length: number;
}

/**
 * Statistics of one column chunk (parquet.thrift `Statistics`). `min`/`max` are PLAIN-encoded values of the
 * physical type (INT96/INT32/INT64 little-endian, FLOAT/DOUBLE IEEE, BYTE_ARRAY without its length prefix).
 * They come from `min_value`/`max_value`, or from the deprecated `min`/`max` only for physical types whose
 * deprecated order is the right one (signed integers, floating point, boolean); otherwise they are absent.
 */
export interface ParquetStatistics {
  nullCount?: number;
  min?: Uint8Array;
  max?: Uint8Array;
  /** `is_min_value_exact` / `is_max_value_exact`: false when the writer truncated the value (absent: not stated). */
  minExact?: boolean;
  maxExact?: boolean;
  /** True when min/max come from the deprecated fields (written by old writers). */
  legacy?: boolean;
}

export interface ParquetRowGroup {
  numRows: number;
  columns: ParquetColumnMeta[];
}

export interface ParquetFooter {
  version: number;
  numRows: number;
  schema: ParquetSchemaElement[];
  rowGroups: ParquetRowGroup[];
  keyValueMetadata: Record<string, string>;
  createdBy?: string;
  /** Per leaf (file order): true when its ColumnOrder is TYPE_DEFINED_ORDER (min/max by the logical type's order);
   *  absent when the footer has no column_orders (then the page index's min/max order is undefined). */
  typeDefinedOrder?: boolean[];
}

/** A node of the schema tree (the flat schema element list rebuilt with children). */
export interface ParquetSchemaNode extends ParquetSchemaElement {
  /** Names from the top-level column down to this node. */
  path: string[];
  children: ParquetSchemaNode[];
  /** Definition level of this node (count of non-REQUIRED nodes on its path, itself included). */
  maxDefinitionLevel: number;
  /** Repetition level of this node (count of REPEATED nodes on its path). */
  maxRepetitionLevel: number;
}

export interface ParquetSchemaInfo {
  /** Top-level columns. */
  columns: ParquetSchemaNode[];
  /** Leaf columns in file order (the order of column chunks in a row group). */
  leaves: ParquetSchemaNode[];
  /** Field id per column path (path joined with '.'), for every node (group or leaf) that has one. */
  fieldIds: Map<string, number>;
}

const MAGIC = [0x50, 0x41, 0x52, 0x31]; // "PAR1"
const decoder = new TextDecoder('utf-8');

function fail(msg: string, file?: string): never {
  throw new ProtocolError(`invalid Parquet footer: ${msg}`, file);
}

function num(v: ThriftValue | undefined, what: string, file?: string): number {
  if (typeof v === 'number') return v;
  if (typeof v === 'bigint') {
    if (v > BigInt(Number.MAX_SAFE_INTEGER) || v < -BigInt(Number.MAX_SAFE_INTEGER)) fail(`${what} out of range`, file);
    return Number(v);
  }
  return fail(`${what} missing or not an integer`, file);
}
function optNum(v: ThriftValue | undefined, what: string, file?: string): number | undefined {
  return v === undefined ? undefined : num(v, what, file);
}
function str(v: ThriftValue | undefined, what: string, file?: string): string {
  if (v instanceof Uint8Array) return decoder.decode(v);
  return fail(`${what} missing or not a string`, file);
}
function list(v: ThriftValue | undefined, what: string, file?: string): ThriftValue[] {
  if (v === undefined) return [];
  if (Array.isArray(v)) return v;
  return fail(`${what} is not a list`, file);
}
function struct(v: ThriftValue | undefined, what: string, file?: string): ThriftStruct {
  if (v instanceof Map) return v;
  return fail(`${what} missing or not a struct`, file);
}
function enumOf<T>(values: readonly T[], v: ThriftValue | undefined, what: string, file?: string): T {
  const n = num(v, what, file);
  const r = values[n];
  if (r === undefined) fail(`unknown ${what} ${n}`, file);
  return r;
}

function schemaElement(s: ThriftStruct, file?: string): ParquetSchemaElement {
  const e: ParquetSchemaElement = { name: str(s.get(4), 'schema element name', file) };
  if (s.has(1)) e.type = enumOf(PHYSICAL, s.get(1), 'physical type', file);
  if (s.has(2)) e.typeLength = num(s.get(2), 'type_length', file);
  if (s.has(3)) e.repetition = enumOf(REPETITION, s.get(3), 'repetition type', file);
  if (s.has(5)) e.numChildren = num(s.get(5), 'num_children', file);
  if (s.has(6)) {
    const c = num(s.get(6), 'converted_type', file);
    e.convertedType = CONVERTED[c] ?? `CONVERTED_${c}`;
  }
  if (s.has(7)) e.scale = num(s.get(7), 'scale', file);
  if (s.has(8)) e.precision = num(s.get(8), 'precision', file);
  if (s.has(9)) e.fieldId = num(s.get(9), 'field_id', file);
  const lt = s.get(10);
  if (lt instanceof Map) {
    const [id] = lt.keys();
    if (id !== undefined) e.logicalType = LOGICAL[id] ?? `LOGICAL_${id}`;
    const body = id !== undefined ? lt.get(id) : undefined;
    if (body instanceof Map) {
      if (e.logicalType === 'TIMESTAMP' || e.logicalType === 'TIME') {
        const unit = body.get(2);
        const [u] = unit instanceof Map ? unit.keys() : [];
        if (u === 1) e.timeUnit = 'MILLIS';
        else if (u === 2) e.timeUnit = 'MICROS';
        else if (u === 3) e.timeUnit = 'NANOS';
      } else if (e.logicalType === 'INTEGER' && typeof body.get(2) === 'boolean') {
        e.signed = body.get(2) as boolean;
      } else if (e.logicalType === 'DECIMAL') {
        if (e.scale === undefined && body.has(1)) e.scale = num(body.get(1), 'decimal scale', file);
        if (e.precision === undefined && body.has(2)) e.precision = num(body.get(2), 'decimal precision', file);
      }
    }
  }
  return e;
}

function columnMeta(s: ThriftStruct, file?: string): ParquetColumnMeta {
  const m: ParquetColumnMeta = {
    type: enumOf(PHYSICAL, s.get(1), 'column physical type', file),
    pathInSchema: list(s.get(3), 'path_in_schema', file).map((p) => str(p, 'path_in_schema element', file)),
    codec: enumOf(CODECS, s.get(4), 'compression codec', file),
    numValues: num(s.get(5), 'num_values', file),
    totalUncompressedSize: num(s.get(6), 'total_uncompressed_size', file),
    totalCompressedSize: num(s.get(7), 'total_compressed_size', file),
    dataPageOffset: num(s.get(9), 'data_page_offset', file),
  };
  const dict = optNum(s.get(11), 'dictionary_page_offset', file);
  if (dict !== undefined) m.dictionaryPageOffset = dict;
  const st = s.get(12);
  if (st instanceof Map) m.statistics = statistics(st, m.type, file);
  return m;
}

/** A page index location of a column chunk (both fields set, in range), else undefined. */
function indexLocation(cc: ThriftStruct, offsetId: number, lengthId: number, what: string, file?: string): ParquetIndexLocation | undefined {
  const offset = optNum(cc.get(offsetId), `${what} offset`, file);
  const length = optNum(cc.get(lengthId), `${what} length`, file);
  if (offset === undefined || length === undefined || offset < 0 || length <= 0) return undefined;
  return { offset, length };
}

/** Physical types whose deprecated min/max (signed comparison) order equals their logical order. */
const LEGACY_STATS_OK = new Set<ParquetPhysicalType>(['BOOLEAN', 'INT32', 'INT64', 'FLOAT', 'DOUBLE']);

function statistics(s: ThriftStruct, type: ParquetPhysicalType, file?: string): ParquetStatistics {
  const out: ParquetStatistics = {};
  const nulls = optNum(s.get(3), 'null_count', file);
  if (nulls !== undefined) out.nullCount = nulls;
  // Copies: the footer must not keep the file's bytes alive through subarrays.
  const bytes = (v: ThriftValue | undefined): Uint8Array | undefined => (v instanceof Uint8Array ? v.slice() : undefined);
  const min = bytes(s.get(6));
  const max = bytes(s.get(5));
  if (min !== undefined || max !== undefined) {
    if (min !== undefined) out.min = min;
    if (max !== undefined) out.max = max;
  } else if (LEGACY_STATS_OK.has(type)) {
    const lmin = bytes(s.get(2));
    const lmax = bytes(s.get(1));
    if (lmin !== undefined) out.min = lmin;
    if (lmax !== undefined) out.max = lmax;
    if (lmin !== undefined || lmax !== undefined) out.legacy = true;
  }
  const maxExact = s.get(7);
  const minExact = s.get(8);
  if (typeof maxExact === 'boolean') out.maxExact = maxExact;
  if (typeof minExact === 'boolean') out.minExact = minExact;
  return out;
}

/**
 * Decodes the footer of a whole Parquet file: trailing "PAR1", 4-byte little-endian footer length, and the
 * Thrift compact-protocol FileMetaData before it. `file` only names the file in errors.
 */
export function readParquetFooter(bytes: Uint8Array, file?: string): ParquetFooter {
  const n = bytes.length;
  if (n < 12) fail(`file too short (${n} bytes)`, file);
  for (let i = 0; i < 4; i++) {
    if (bytes[n - 4 + i] !== MAGIC[i]) fail('missing PAR1 magic at end of file (encrypted footers "PARE" are not supported)', file);
  }
  const len = new DataView(bytes.buffer, bytes.byteOffset + n - 8, 4).getUint32(0, true);
  const start = n - 8 - len;
  if (start < 4) fail(`footer length ${len} exceeds file size ${n}`, file);
  const { value: fm } = readThriftStruct(bytes, start, `Parquet footer${file ? ` of ${file}` : ''}`, n - 8);
  const keyValueMetadata: Record<string, string> = {};
  for (const kv of list(fm.get(5), 'key_value_metadata', file)) {
    const s = struct(kv, 'key_value', file);
    const v = s.get(2);
    keyValueMetadata[str(s.get(1), 'key', file)] = v instanceof Uint8Array ? decoder.decode(v) : '';
  }
  const footer: ParquetFooter = {
    version: num(fm.get(1), 'version', file),
    numRows: num(fm.get(3), 'num_rows', file),
    schema: list(fm.get(2), 'schema', file).map((e) => schemaElement(struct(e, 'schema element', file), file)),
    rowGroups: list(fm.get(4), 'row_groups', file).map((rg) => {
      const s = struct(rg, 'row group', file);
      return {
        numRows: num(s.get(3), 'row group num_rows', file),
        columns: list(s.get(1), 'row group columns', file).map((c) => {
          const cc = struct(c, 'column chunk', file);
          if (cc.has(1)) fail('column chunks in external files (file_path) are not supported', file);
          const m = columnMeta(struct(cc.get(3), 'column metadata', file), file);
          const oi = indexLocation(cc, 4, 5, 'offset index', file);
          const ci = indexLocation(cc, 6, 7, 'column index', file);
          if (oi) m.offsetIndex = oi;
          if (ci) m.columnIndex = ci;
          return m;
        }),
      };
    }),
    keyValueMetadata,
  };
  const createdBy = fm.get(6);
  if (createdBy instanceof Uint8Array) footer.createdBy = decoder.decode(createdBy);
  if (fm.has(7)) {
    // ColumnOrder is a union: field 1 is TYPE_DEFINED_ORDER (an empty struct); any other member is an order we do not know.
    footer.typeDefinedOrder = list(fm.get(7), 'column_orders', file).map((o) => o instanceof Map && o.has(1));
  }
  return footer;
}

/** Rebuilds the schema tree from the flat (depth-first) schema element list; the root element is dropped. */
export function schemaTree(footer: ParquetFooter, file?: string): ParquetSchemaInfo {
  const elems = footer.schema;
  if (elems.length === 0) fail('empty schema', file);
  let i = 1;
  const leaves: ParquetSchemaNode[] = [];
  const fieldIds = new Map<string, number>();
  const build = (parentPath: string[], def: number, rep: number): ParquetSchemaNode => {
    const e = elems[i++];
    if (!e) return fail('schema element list ends before all num_children were read', file);
    const path = [...parentPath, e.name];
    const node: ParquetSchemaNode = {
      ...e,
      path,
      children: [],
      maxDefinitionLevel: def + (e.repetition && e.repetition !== 'REQUIRED' ? 1 : 0),
      maxRepetitionLevel: rep + (e.repetition === 'REPEATED' ? 1 : 0),
    };
    if (e.fieldId !== undefined) fieldIds.set(path.join('.'), e.fieldId);
    const kids = e.numChildren ?? 0;
    if (e.type === undefined || kids > 0) {
      for (let k = 0; k < kids; k++) node.children.push(build(path, node.maxDefinitionLevel, node.maxRepetitionLevel));
    } else {
      leaves.push(node);
    }
    return node;
  };
  const rootKids = elems[0]!.numChildren ?? 0;
  const columns: ParquetSchemaNode[] = [];
  for (let k = 0; k < rootKids; k++) columns.push(build([], 0, 0));
  if (i !== elems.length) fail(`schema has ${elems.length - i} elements not reachable from the root`, file);
  for (const rg of footer.rowGroups) {
    if (rg.columns.length !== leaves.length) fail(`row group has ${rg.columns.length} column chunks, schema has ${leaves.length} leaves`, file);
  }
  return { columns, leaves, fieldIds };
}

/** Footer schema of a Parquet file: the column tree with physical types, repetition and field ids. */
export function parquetSchema(bytes: Uint8Array, file?: string): ParquetSchemaInfo {
  return schemaTree(readParquetFooter(bytes, file), file);
}
