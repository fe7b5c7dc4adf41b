// Schema enforcement and evolution on write (conformToSchema) and normalization of any readable Arrow shape
// to the canonical Arrow types (castToSchema, read path). Validates and casts only; writes nothing.
import * as arrow from 'apache-arrow';
import { SchemaMismatchError } from '../errors.js';
import { fromArrowField, fromArrowSchema, toArrowSchema, toArrowType } from './arrow.js';
import { physicalName } from './column_mapping.js';
import { decimalParams, serializeSchema, typeToString } from './json.js';
import type { DataType, StructField, StructType } from './types.js';
import { buildData } from './vectors.js';
import { readValues, type LossMode, type Value } from './access/get.js';
import { isValid, validityOf } from './access/validity.js';

export type SchemaMode = 'merge' | 'overwrite';

export interface ConformOptions {
  schemaMode?: SchemaMode;
}

export interface ConformResult {
  /** Data with exactly the Arrow types of `toArrowSchema(schema)`, columns in schema order. */
  table: arrow.Table;
  /** The table schema after evolution (the input schema when nothing changed). */
  schema: StructType;
  schemaChanged: boolean;
}

type CastMode = 'write' | 'read';

const INT_RANK: Record<string, number> = { byte: 1, short: 2, integer: 3, long: 4 };
const INT_DIGITS: Record<string, number> = { byte: 3, short: 5, integer: 10, long: 20 };

/** Delta type a source Arrow type "is", for error messages and cast decisions. */
function sourceDeltaType(src: arrow.DataType, path: string): DataType {
  return fromArrowField(new arrow.Field('x', src, true), path).type;
}

/**
 * Throws SchemaMismatchError unless Arrow data of type `src` can be stored as Delta type `target`.
 * Write: identity and safe widening only (byte->short->integer->long, float->double, integers->double
 * (except long) / decimal with room, decimal -> decimal with at least as many integer and fraction digits,
 * any timestamp unit -> microseconds, large/dictionary/view strings and binaries). Read additionally allows
 * date -> timestamp_ntz (Delta type widening).
 */
export function checkCast(src: arrow.DataType, target: DataType, path: string, mode: CastMode): void {
  const fail = (why?: string): never => {
    let shown: string;
    let arrowNote = '';
    try {
      const d = sourceDeltaType(src, path);
      shown = typeToString(d);
      if (String(toArrowType(d)) !== String(src)) arrowNote = ` (Arrow ${String(src)})`;
    } catch {
      shown = `Arrow ${String(src)}`;
    }
    throw new SchemaMismatchError(
      `column '${path}' has type ${shown}${arrowNote} but the table column is ${typeToString(target)}${why ? `: ${why}` : ''}`,
      path,
    );
  };
  if (arrow.DataType.isDictionary(src)) return checkCast(src.dictionary, target, path, mode);
  if (typeof target === 'string') {
    let s: DataType;
    try {
      s = sourceDeltaType(src, path);
    } catch {
      return fail();
    }
    if (typeof s !== 'string') return fail();
    if (s === target) {
      // Unsigned 64-bit never reaches here (fromArrowType rejects it); uint32 maps to long: fine.
      return;
    }
    const td = decimalParams(target);
    const sd = decimalParams(s);
    if (INT_RANK[target] && INT_RANK[s]) {
      if (INT_RANK[s]! <= INT_RANK[target]!) return;
      return fail('narrowing integer cast could overflow');
    }
    if (target === 'double' && (s === 'float' || s === 'byte' || s === 'short' || s === 'integer')) return;
    if (td && sd) {
      if (td.scale >= sd.scale && td.precision - td.scale >= sd.precision - sd.scale) return;
      return fail('decimal cast could lose digits');
    }
    if (td && INT_RANK[s]) {
      if (td.precision - td.scale >= INT_DIGITS[s]! - (s === 'long' ? 1 : 0)) return;
      return fail('decimal has too few integer digits');
    }
    if ((target === 'timestamp' || target === 'timestamp_ntz') && (s === 'timestamp' || s === 'timestamp_ntz')) {
      // Zone presence differs: Spark does not cast implicitly between the two on write.
      if (mode === 'read') return;
      return fail('timestamp with and without time zone are different types');
    }
    if (mode === 'read' && target === 'timestamp_ntz' && s === 'date') return;
    return fail();
  }
  switch (target.type) {
    case 'struct':
      if (!arrow.DataType.isStruct(src)) return fail();
      return; // children are checked field by field by the caller
    case 'array':
      if (!(arrow.DataType.isList(src) || arrow.DataType.isLargeList(src) || arrow.DataType.isFixedSizeList(src))) return fail();
      return checkCast(src.children[0]!.type, target.elementType, `${path}.element`, mode);
    case 'map': {
      if (!arrow.DataType.isMap(src)) return fail();
      const entries = src.children[0]!.type as arrow.Struct;
      checkCast(entries.children[0]!.type, target.keyType, `${path}.key`, mode);
      return checkCast(entries.children[1]!.type, target.valueType, `${path}.value`, mode);
    }
  }
}

/** True when Data of Arrow type `src` can be relabelled as canonical type `dst` without touching buffers. */
function sameShape(src: arrow.DataType, dst: arrow.DataType): boolean {
  if (arrow.DataType.isTimestamp(src) && arrow.DataType.isTimestamp(dst)) return src.unit === dst.unit;
  if (arrow.DataType.isDecimal(src) && arrow.DataType.isDecimal(dst)) {
    return src.bitWidth === dst.bitWidth && src.scale === dst.scale;
  }
  if (arrow.DataType.isStruct(src) && arrow.DataType.isStruct(dst)) {
    return (
      src.children.length === dst.children.length &&
      src.children.every((c, k) => c.name === dst.children[k]!.name && sameShape(c.type, dst.children[k]!.type))
    );
  }
  if (arrow.DataType.isList(src) && arrow.DataType.isList(dst)) return sameShape(src.children[0]!.type, dst.children[0]!.type);
  if (arrow.DataType.isMap(src) && arrow.DataType.isMap(dst)) {
    const a = (src.children[0]!.type as arrow.Struct).children;
    const b = (dst.children[0]!.type as arrow.Struct).children;
    return a.length === 2 && sameShape(a[0]!.type, b[0]!.type) && sameShape(a[1]!.type, b[1]!.type);
  }
  if (src.typeId !== dst.typeId) return false;
  return String(src) === String(dst);
}

/** Relabel `data` with canonical type `dst` (same buffers), recursively for children. */
function relabel(data: arrow.Data, dst: arrow.DataType): arrow.Data {
  const children = data.children.map((c, k) => {
    const childType = arrow.DataType.isMap(dst) ? dst.children[0]!.type : dst.children[k]!.type;
    return relabel(c, childType);
  });
  return data.clone(dst, data.offset, data.length, data.nullCount, data.buffers, children);
}

function compactValidity(data: arrow.Data): { bitmap: Uint8Array | undefined; nullCount: number } {
  if (data.nullCount === 0) return { bitmap: undefined, nullCount: 0 };
  const valid = validityOf(data);
  const bitmap = new Uint8Array(((data.length + 63) & ~63) >> 3);
  let nulls = 0;
  for (let i = 0; i < data.length; i++) {
    if (valid(i)) bitmap[i >> 3]! |= 1 << (i & 7);
    else nulls++;
  }
  return { bitmap, nullCount: nulls };
}

export interface CastColumnOptions {
  mode: CastMode;
  /** Source struct child name for a target field (column mapping physical names); default its name. */
  sourceName?: (f: StructField) => string;
  /** Row index of this batch's first row, for error messages. */
  rowBase?: number;
}

/** A column of `length` nulls with the canonical Arrow type of `t`. */
export function nullColumn(t: DataType, length: number): arrow.Data {
  return buildData(new Array<Value>(length).fill(null), t);
}

/** Cast one Arrow column to the canonical Arrow type of Delta type `t` (checkCast must have passed). */
export function castColumn(data: arrow.Data, t: DataType, path: string, opts: CastColumnOptions): arrow.Data {
  const canonical = toArrowType(t);
  if (sameShape(data.type, canonical)) return relabel(data, canonical);
  const rowBase = opts.rowBase ?? 0;
  if (typeof t === 'object' && t.type === 'struct' && arrow.DataType.isStruct(data.type)) {
    const src = data.type;
    const nameOf = opts.sourceName ?? ((f: StructField) => f.name);
    const children = t.fields.map((f) => {
      const idx = src.children.findIndex((c) => c.name === nameOf(f));
      if (idx < 0) return nullColumn(f.type, data.length);
      return castColumn(data.children[idx]!, f.type, `${path}.${f.name}`, opts);
    });
    const { bitmap, nullCount } = compactValidity(data);
    return arrow.makeData({ type: canonical as arrow.Struct, length: data.length, nullCount, nullBitmap: bitmap, children });
  }
  const loss: LossMode = opts.mode === 'write' ? 'error' : 'truncate';
  const values = readValues(data, t, {
    loss,
    path,
    rowOf: (i) => rowBase + i,
    sourceName: opts.sourceName,
  });
  return buildData(values, t);
}

function hasNestedNotNull(t: DataType): boolean {
  if (typeof t === 'string') return false;
  switch (t.type) {
    case 'struct':
      return t.fields.some((f) => !f.nullable || hasNestedNotNull(f.type));
    case 'array':
      return !t.containsNull || hasNestedNotNull(t.elementType);
    case 'map':
      return !t.valueContainsNull || hasNestedNotNull(t.keyType) || hasNestedNotNull(t.valueType);
  }
}

/** Path of the first non-nullable position holding null inside one (non-null) value, or null. */
function nestedNullViolation(v: Value, t: DataType, path: string): string | null {
  if (v === null || typeof t === 'string') return null;
  switch (t.type) {
    case 'struct': {
      const o = v as Record<string, Value>;
      for (const f of t.fields) {
        const fv = o[f.name] ?? null;
        const p = `${path}.${f.name}`;
        if (fv === null) {
          if (!f.nullable) return p;
          continue;
        }
        const inner = nestedNullViolation(fv, f.type, p);
        if (inner) return inner;
      }
      return null;
    }
    case 'array':
      for (const e of v as Value[]) {
        if (e === null) {
          if (!t.containsNull) return `${path}.element`;
          continue;
        }
        const inner = nestedNullViolation(e, t.elementType, `${path}.element`);
        if (inner) return inner;
      }
      return null;
    case 'map':
      for (const kv of v as Value[][]) {
        const [k, val] = kv as [Value, Value];
        const ik = nestedNullViolation(k, t.keyType, `${path}.key`);
        if (ik) return ik;
        if (val === null) {
          if (!t.valueContainsNull) return `${path}.value`;
          continue;
        }
        const iv = nestedNullViolation(val, t.valueType, `${path}.value`);
        if (iv) return iv;
      }
      return null;
  }
}

/** Throw SchemaMismatchError for the first null where `field` (incl. nested parts) does not allow one. */
function checkNulls(data: arrow.Data, field: StructField, rowBase: number): void {
  if (!field.nullable && data.nullCount > 0) {
    for (let i = 0; i < data.length; i++) {
      if (!isValid(data, i)) {
        throw new SchemaMismatchError(
          `column '${field.name}' is not nullable but row ${rowBase + i} is null`,
          field.name,
          rowBase + i,
        );
      }
    }
  }
  if (!hasNestedNotNull(field.type)) return;
  const values = readValues(data, field.type, { loss: 'truncate', path: field.name });
  for (let i = 0; i < values.length; i++) {
    const p = nestedNullViolation(values[i]!, field.type, field.name);
    if (p) throw new SchemaMismatchError(`column '${p}' is not nullable but row ${rowBase + i} has a null there`, p, rowBase + i);
  }
}

/**
 * Merge the data's schema into the table schema (schemaMode 'merge'): new fields are appended as nullable,
 * recursively inside structs (also structs inside arrays and map values); existing fields keep the table's
 * type (data must then be castable to it) and nullability.
 */
export function mergeSchemas(table: StructType, data: StructType, path = ''): StructType {
  const fields: StructField[] = table.fields.map((f) => {
    const d = data.fields.find((x) => x.name === f.name);
    return d ? { ...f, type: mergeTypes(f.type, d.type, `${path}${f.name}`) } : f;
  });
  for (const d of data.fields) {
    if (table.fields.some((f) => f.name === d.name)) continue;
    const ci = table.fields.find((f) => f.name.toLowerCase() === d.name.toLowerCase());
    if (ci) throw caseError(`${path}${d.name}`, `${path}${ci.name}`);
    fields.push({ ...d, nullable: true });
  }
  return { type: 'struct', fields };
}

function mergeTypes(t: DataType, d: DataType, path: string): DataType {
  if (typeof t === 'string' || typeof d === 'string') return t;
  if (t.type === 'struct' && d.type === 'struct') return mergeSchemas(t, d, `${path}.`);
  if (t.type === 'array' && d.type === 'array') return { ...t, elementType: mergeTypes(t.elementType, d.elementType, `${path}.element`) };
  if (t.type === 'map' && d.type === 'map') return { ...t, valueType: mergeTypes(t.valueType, d.valueType, `${path}.value`) };
  return t;
}

function caseError(dataName: string, tableName: string): SchemaMismatchError {
  return new SchemaMismatchError(
    `column '${dataName}' differs only in case from table column '${tableName}'; column names must match exactly`,
    dataName,
  );
}

/** Extra data columns (not in the table schema) as errors, recursively inside structs. */
function rejectExtra(table: StructType, data: StructType, path = ''): void {
  for (const d of data.fields) {
    const f = table.fields.find((x) => x.name === d.name);
    if (!f) {
      const ci = table.fields.find((x) => x.name.toLowerCase() === d.name.toLowerCase());
      if (ci) throw caseError(`${path}${d.name}`, `${path}${ci.name}`);
      throw new SchemaMismatchError(
        `column '${path}${d.name}' is not in the table schema (use schemaMode 'merge' to add it)`,
        `${path}${d.name}`,
      );
    }
    const [a, b] = [f.type, d.type];
    if (typeof a === 'object' && typeof b === 'object') {
      if (a.type === 'struct' && b.type === 'struct') rejectExtra(a, b, `${path}${d.name}.`);
      else if (a.type === 'array' && b.type === 'array' && typeof a.elementType === 'object' && typeof b.elementType === 'object' && a.elementType.type === 'struct' && b.elementType.type === 'struct') {
        rejectExtra(a.elementType, b.elementType, `${path}${d.name}.element.`);
      }
    }
  }
}

/** checkCast for a whole field, descending into structs by name. */
function checkFieldCast(src: arrow.DataType, target: DataType, path: string, mode: CastMode, nameOf?: (f: StructField) => string): void {
  checkCast(src, target, path, mode);
  const s = arrow.DataType.isDictionary(src) ? src.dictionary : src;
  if (typeof target === 'object') {
    if (target.type === 'struct' && arrow.DataType.isStruct(s)) {
      for (const f of target.fields) {
        const c = s.children.find((x) => x.name === (nameOf ? nameOf(f) : f.name));
        if (c) checkFieldCast(c.type, f.type, `${path}.${f.name}`, mode, nameOf);
        else if (mode === 'write' && !f.nullable) {
          throw new SchemaMismatchError(`column '${path}.${f.name}' is not nullable but is missing from the data`, `${path}.${f.name}`);
        }
      }
    } else if (target.type === 'array' && (arrow.DataType.isList(s) || arrow.DataType.isLargeList(s))) {
      checkFieldCast(s.children[0]!.type, target.elementType, `${path}.element`, mode, nameOf);
    } else if (target.type === 'map' && arrow.DataType.isMap(s)) {
      const e = (s.children[0]!.type as arrow.Struct).children;
      checkFieldCast(e[0]!.type, target.keyType, `${path}.key`, mode, nameOf);
      checkFieldCast(e[1]!.type, target.valueType, `${path}.value`, mode, nameOf);
    }
  }
}

function batchesOf(table: arrow.Table): arrow.RecordBatch[] {
  return table.batches.length > 0 ? table.batches : [];
}

function assemble(schema: StructType, batches: arrow.Data[][], lengths: number[]): arrow.Table {
  const arrowSchema = toArrowSchema(schema);
  const rbs = batches.map((cols, b) => {
    const struct = arrow.makeData({
      type: new arrow.Struct(arrowSchema.fields),
      length: lengths[b]!,
      nullCount: 0,
      children: cols,
    });
    return new arrow.RecordBatch(arrowSchema, struct);
  });
  return new arrow.Table(arrowSchema, rbs);
}

/**
 * Validate and cast data for a write (Delta/Spark rules, see checkCast). Columns are matched by exact name;
 * missing nullable columns become nulls; the output has the canonical Arrow types of the (possibly evolved)
 * schema in schema order, so every Parquet file of the table is uniform.
 */
export function conformToSchema(data: arrow.Table, tableSchema: StructType, opts: ConformOptions = {}): ConformResult {
  const dataSchema = fromArrowSchema(data.schema);
  let schema: StructType;
  if (opts.schemaMode === 'overwrite') schema = dataSchema;
  else if (opts.schemaMode === 'merge') schema = mergeSchemas(tableSchema, dataSchema);
  else {
    rejectExtra(tableSchema, dataSchema);
    schema = tableSchema;
  }
  const byName = new Map(data.schema.fields.map((f, i) => [f.name, i]));
  for (const f of schema.fields) {
    const i = byName.get(f.name);
    if (i === undefined) {
      if (!f.nullable) {
        throw new SchemaMismatchError(`column '${f.name}' is not nullable but is missing from the data`, f.name);
      }
      continue;
    }
    checkFieldCast(data.schema.fields[i]!.type, f.type, f.name, 'write');
  }
  const out: arrow.Data[][] = [];
  const lengths: number[] = [];
  let rowBase = 0;
  for (const batch of batchesOf(data)) {
    const cols = schema.fields.map((f) => {
      const i = byName.get(f.name);
      const col = i === undefined ? nullColumn(f.type, batch.numRows) : castColumn(batch.data.children[i]!, f.type, f.name, { mode: 'write', rowBase });
      checkNulls(col, f, rowBase);
      return col;
    });
    out.push(cols);
    lengths.push(batch.numRows);
    rowBase += batch.numRows;
  }
  const schemaChanged = serializeSchema(schema) !== serializeSchema(tableSchema);
  return { table: assemble(schema, out, lengths), schema, schemaChanged };
}

export interface CastToSchemaOptions {
  /**
   * Match file columns by `delta.columnMapping.physicalName` field metadata (column mapping 'name'/'id'
   * mode) at every nesting level; output columns carry the logical names.
   */
  physicalNames?: boolean;
}

/**
 * Read path: normalize any readable Arrow shape of a data file (INT96-derived Timestamp(ns), millisecond
 * timestamps, Dictionary/Large strings, decimals of other widths or narrower scale, int widening per Delta
 * type widening, list/map child names) to the canonical Arrow types of `schema`, in schema order. Columns
 * the file lacks become nulls; extra file columns are dropped. No nullability checks (data is committed).
 */
export function castToSchema(table: arrow.Table, schema: StructType, opts: CastToSchemaOptions = {}): arrow.Table {
  const nameOf = opts.physicalNames ? physicalName : (f: StructField) => f.name;
  const byName = new Map(table.schema.fields.map((f, i) => [f.name, i]));
  for (const f of schema.fields) {
    const i = byName.get(nameOf(f));
    if (i !== undefined) checkFieldCast(table.schema.fields[i]!.type, f.type, f.name, 'read', nameOf);
  }
  const out: arrow.Data[][] = [];
  const lengths: number[] = [];
  let rowBase = 0;
  const batches = batchesOf(table);
  for (const batch of batches) {
    out.push(
      schema.fields.map((f) => {
        const i = byName.get(nameOf(f));
        return i === undefined
          ? nullColumn(f.type, batch.numRows)
          : castColumn(batch.data.children[i]!, f.type, f.name, { mode: 'read', rowBase, sourceName: nameOf });
      }),
    );
    lengths.push(batch.numRows);
    rowBase += batch.numRows;
  }
  return assemble(schema, out, lengths);
}
