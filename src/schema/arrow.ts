// Mapping between Delta schema types and Apache Arrow types (the canonical Arrow shape of every Delta type).
// Pure type mapping: no data conversion (enforce.ts casts data), no I/O.
import * as arrow from 'apache-arrow';
import { SchemaMismatchError } from '../errors.js';
import { decimalParams } from './json.js';
import type { DataType, StructField, StructType } from './types.js';

/** Name of the list child field. */
export const LIST_ELEMENT_NAME = 'element';
/**
 * Name of the map entries struct. Spark/Parquet use 'key_value', but apache-arrow's Map_ constructor renames
 * the entries field to 'entries' (ARROW-8716), also when decoding IPC, so 'entries' is the only name an
 * in-memory Arrow map can carry. Parquet readers accept any name for the repeated MAP group.
 */
export const MAP_ENTRIES_NAME = 'entries';
export const MAP_KEY_NAME = 'key';
export const MAP_VALUE_NAME = 'value';

/** Arrow metadata keys that come from Parquet/Arrow writers, not from Delta field metadata. */
const FOREIGN_METADATA_PREFIXES = ['PARQUET:', 'ARROW:'];

/**
 * Canonical Arrow type of a Delta type (docs/ARCHITECTURE.md src/schema):
 * timestamps are MICROSECOND ('UTC' for timestamp, no zone for timestamp_ntz), decimals are 128-bit,
 * lists have child 'element', maps have entries 'key_value' {key (non-null), value}.
 */
export function toArrowType(t: DataType): arrow.DataType {
  if (typeof t === 'string') {
    switch (t) {
      case 'string':
        return new arrow.Utf8();
      case 'long':
        return new arrow.Int64();
      case 'integer':
        return new arrow.Int32();
      case 'short':
        return new arrow.Int16();
      case 'byte':
        return new arrow.Int8();
      case 'float':
        return new arrow.Float32();
      case 'double':
        return new arrow.Float64();
      case 'boolean':
        return new arrow.Bool();
      case 'binary':
        return new arrow.Binary();
      case 'date':
        return new arrow.DateDay();
      case 'timestamp':
        return new arrow.TimestampMicrosecond('UTC');
      case 'timestamp_ntz':
        return new arrow.TimestampMicrosecond(null);
      default: {
        const d = decimalParams(t);
        if (d) return new arrow.Decimal(d.scale, d.precision, 128);
        throw new SchemaMismatchError(`unsupported Delta type '${t as string}'`);
      }
    }
  }
  switch (t.type) {
    case 'struct':
      return new arrow.Struct(t.fields.map(toArrowField));
    case 'array':
      return new arrow.List(new arrow.Field(LIST_ELEMENT_NAME, toArrowType(t.elementType), t.containsNull));
    case 'map': {
      const entries = new arrow.Struct([
        new arrow.Field(MAP_KEY_NAME, toArrowType(t.keyType), false),
        new arrow.Field(MAP_VALUE_NAME, toArrowType(t.valueType), t.valueContainsNull),
      ]);
      return new arrow.Map_(new arrow.Field(MAP_ENTRIES_NAME, entries, false), false);
    }
  }
}

/** Arrow field of a Delta field; Delta field metadata is kept as JSON-string values. */
export function toArrowField(f: StructField): arrow.Field {
  const md = new Map<string, string>();
  for (const [k, v] of Object.entries(f.metadata ?? {})) md.set(k, JSON.stringify(v));
  return new arrow.Field(f.name, toArrowType(f.type), f.nullable, md);
}

export function toArrowSchema(s: StructType): arrow.Schema {
  return new arrow.Schema(s.fields.map(toArrowField));
}

/**
 * Delta type of an Arrow type. `column` names the column in the SchemaMismatchError thrown for Arrow types
 * Delta cannot store (unsigned 64-bit ints, durations, unions, ...).
 */
export function fromArrowType(t: arrow.DataType, column = '<value>'): DataType {
  const unsupported = (): never => {
    throw new SchemaMismatchError(`column '${column}' has Arrow type ${String(t)}, which Delta cannot store`, column);
  };
  switch (t.typeId) {
    case arrow.Type.Utf8:
    case arrow.Type.LargeUtf8:
    case arrow.Type.Utf8View:
      return 'string';
    case arrow.Type.Binary:
    case arrow.Type.LargeBinary:
    case arrow.Type.BinaryView:
    case arrow.Type.FixedSizeBinary:
      return 'binary';
    case arrow.Type.Bool:
      return 'boolean';
    case arrow.Type.Int: {
      const it = t as arrow.Int;
      // Unsigned ints widen to the next signed Delta type; uint64 has no lossless target.
      const w = it.isSigned ? it.bitWidth : it.bitWidth * 2;
      if (w === 8) return 'byte';
      if (w === 16) return 'short';
      if (w === 32) return 'integer';
      if (w === 64) return 'long';
      return unsupported();
    }
    case arrow.Type.Float: {
      const ft = t as arrow.Float;
      return ft.precision === arrow.Precision.DOUBLE ? 'double' : 'float';
    }
    case arrow.Type.Decimal: {
      const dt = t as arrow.Decimal;
      if (dt.precision > 38 || dt.scale < 0 || dt.scale > dt.precision) return unsupported();
      return `decimal(${dt.precision},${dt.scale})`;
    }
    case arrow.Type.Date:
      return 'date';
    case arrow.Type.Timestamp: {
      const tt = t as arrow.Timestamp;
      return tt.timezone ? 'timestamp' : 'timestamp_ntz';
    }
    case arrow.Type.Dictionary:
      return fromArrowType((t as arrow.Dictionary).dictionary, column);
    case arrow.Type.Struct: {
      const st = t as arrow.Struct;
      return { type: 'struct', fields: st.children.map((c) => fromArrowField(c, `${column}.${c.name}`)) };
    }
    case arrow.Type.List:
    case arrow.Type.LargeList:
    case arrow.Type.FixedSizeList: {
      const child = (t as arrow.List).children[0]!;
      return {
        type: 'array',
        elementType: fromArrowType(child.type, `${column}.${LIST_ELEMENT_NAME}`),
        containsNull: child.nullable,
      };
    }
    case arrow.Type.Map: {
      const entries = (t as arrow.Map_).children[0]!.type as arrow.Struct;
      const [k, v] = entries.children;
      if (!k || !v) return unsupported();
      return {
        type: 'map',
        keyType: fromArrowType(k.type, `${column}.${MAP_KEY_NAME}`),
        valueType: fromArrowType(v.type, `${column}.${MAP_VALUE_NAME}`),
        valueContainsNull: v.nullable,
      };
    }
    default:
      return unsupported();
  }
}

/** Delta field of an Arrow field (`path` is the dotted column path used in errors). */
export function fromArrowField(f: arrow.Field, path = f.name): StructField {
  const metadata: Record<string, unknown> = {};
  for (const [k, v] of f.metadata) {
    if (FOREIGN_METADATA_PREFIXES.some((p) => k.startsWith(p))) continue;
    try {
      metadata[k] = JSON.parse(v);
    } catch {
      metadata[k] = v;
    }
  }
  return { name: f.name, type: fromArrowType(f.type, path), nullable: f.nullable, metadata };
}

export function fromArrowSchema(schema: arrow.Schema): StructType {
  return { type: 'struct', fields: schema.fields.map((f) => fromArrowField(f)) };
}
