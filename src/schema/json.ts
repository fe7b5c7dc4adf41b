// Delta schema JSON (PROTOCOL.md "Schema Serialization Format"): parse metaData.schemaString, serialize it
// the way Spark does, and small type helpers. Pure functions: no I/O, no Arrow.
import { ProtocolError } from '../errors.js';
import type { ArrayType, DataType, MapType, PrimitiveTypeName, StructField, StructType } from './types.js';

const PRIMITIVES: ReadonlySet<string> = new Set([
  'string',
  'long',
  'integer',
  'short',
  'byte',
  'float',
  'double',
  'boolean',
  'binary',
  'date',
  'timestamp',
  'timestamp_ntz',
]);

const DECIMAL_RE = /^decimal\(\s*(\d+)\s*,\s*(-?\d+)\s*\)$/;

/** Parse a `metaData.schemaString`. Throws ProtocolError naming the path of a malformed part. */
export function parseSchema(schemaString: string): StructType {
  let raw: unknown;
  try {
    raw = JSON.parse(schemaString);
  } catch (e) {
    throw new ProtocolError(`schemaString is not valid JSON: ${(e as Error).message}`, undefined, undefined, {
      cause: e,
    });
  }
  const t = parseDataType(raw, '<root>');
  if (typeof t !== 'object' || t.type !== 'struct') {
    throw new ProtocolError(`schemaString must be a struct type, got ${JSON.stringify(raw)?.slice(0, 100)}`);
  }
  return t;
}

/** Parse one Delta data type from its JSON form (already JSON.parse'd). `path` names it in errors. */
export function parseDataType(raw: unknown, path: string): DataType {
  if (typeof raw === 'string') {
    if (PRIMITIVES.has(raw)) return raw as PrimitiveTypeName;
    const m = DECIMAL_RE.exec(raw.trim());
    if (m) {
      const precision = Number(m[1]);
      const scale = Number(m[2]);
      if (precision < 1 || precision > 38 || scale < 0 || scale > precision) {
        throw new ProtocolError(`invalid decimal type '${raw}' at ${path} (need 1 <= precision <= 38, 0 <= scale <= precision)`);
      }
      return `decimal(${precision},${scale})`;
    }
    if (raw === 'decimal') return 'decimal(10,0)'; // Spark's default DecimalType
    throw new ProtocolError(`unknown data type '${raw}' at ${path}`);
  }
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
    throw new ProtocolError(`malformed data type at ${path}: ${JSON.stringify(raw)?.slice(0, 100)}`);
  }
  const o = raw as Record<string, unknown>;
  switch (o.type) {
    case 'struct': {
      if (!Array.isArray(o.fields)) throw new ProtocolError(`struct at ${path} has no 'fields' array`);
      const fields = o.fields.map((f, i) => parseField(f, `${path}.fields[${i}]`));
      return { type: 'struct', fields };
    }
    case 'array': {
      if (!('elementType' in o)) throw new ProtocolError(`array at ${path} has no 'elementType'`);
      const containsNull = o.containsNull ?? true;
      if (typeof containsNull !== 'boolean') throw new ProtocolError(`array at ${path}: 'containsNull' must be boolean`);
      return { type: 'array', elementType: parseDataType(o.elementType, `${path}.element`), containsNull };
    }
    case 'map': {
      if (!('keyType' in o) || !('valueType' in o)) {
        throw new ProtocolError(`map at ${path} needs 'keyType' and 'valueType'`);
      }
      const valueContainsNull = o.valueContainsNull ?? true;
      if (typeof valueContainsNull !== 'boolean') {
        throw new ProtocolError(`map at ${path}: 'valueContainsNull' must be boolean`);
      }
      return {
        type: 'map',
        keyType: parseDataType(o.keyType, `${path}.key`),
        valueType: parseDataType(o.valueType, `${path}.value`),
        valueContainsNull,
      };
    }
    default:
      throw new ProtocolError(`unknown data type ${JSON.stringify(o.type)} at ${path}`);
  }
}

function parseField(raw: unknown, path: string): StructField {
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
    throw new ProtocolError(`malformed struct field at ${path}`);
  }
  const o = raw as Record<string, unknown>;
  if (typeof o.name !== 'string') throw new ProtocolError(`struct field at ${path} has no string 'name'`);
  const where = `${path} ('${o.name}')`;
  if (!('type' in o)) throw new ProtocolError(`struct field at ${where} has no 'type'`);
  const nullable = o.nullable ?? true;
  if (typeof nullable !== 'boolean') throw new ProtocolError(`struct field at ${where}: 'nullable' must be boolean`);
  const metadata = o.metadata ?? {};
  if (metadata === null || typeof metadata !== 'object' || Array.isArray(metadata)) {
    throw new ProtocolError(`struct field at ${where}: 'metadata' must be an object`);
  }
  return {
    name: o.name,
    type: parseDataType(o.type, where),
    nullable,
    metadata: metadata as Record<string, unknown>,
  };
}

/** Spark-compatible JSON (key order type/fields, name/type/nullable/metadata), no whitespace. */
export function serializeSchema(s: StructType): string {
  return JSON.stringify(dataTypeToJson(s));
}

/** The plain JSON value of a data type, with Spark's key order. */
export function dataTypeToJson(t: DataType): unknown {
  if (typeof t === 'string') return t;
  switch (t.type) {
    case 'struct':
      return {
        type: 'struct',
        fields: t.fields.map((f) => ({
          name: f.name,
          type: dataTypeToJson(f.type),
          nullable: f.nullable,
          metadata: f.metadata ?? {},
        })),
      };
    case 'array':
      return { type: 'array', elementType: dataTypeToJson(t.elementType), containsNull: t.containsNull };
    case 'map':
      return {
        type: 'map',
        keyType: dataTypeToJson(t.keyType),
        valueType: dataTypeToJson(t.valueType),
        valueContainsNull: t.valueContainsNull,
      };
  }
}

/** `{precision, scale}` of a decimal type, null for any other type. */
export function decimalParams(t: DataType): { precision: number; scale: number } | null {
  if (typeof t !== 'string') return null;
  const m = DECIMAL_RE.exec(t);
  return m ? { precision: Number(m[1]), scale: Number(m[2]) } : null;
}

/** The Delta type name of decimal(precision, scale). */
export function decimalType(precision: number, scale: number): PrimitiveTypeName {
  return `decimal(${precision},${scale})`;
}

export function isPrimitive(t: DataType): t is PrimitiveTypeName {
  return typeof t === 'string';
}

export function isStruct(t: DataType): t is StructType {
  return typeof t === 'object' && t.type === 'struct';
}

export function isArray(t: DataType): t is ArrayType {
  return typeof t === 'object' && t.type === 'array';
}

export function isMap(t: DataType): t is MapType {
  return typeof t === 'object' && t.type === 'map';
}

/** Top-level field by exact name. */
export function fieldByName(struct: StructType, name: string): StructField | undefined {
  return struct.fields.find((f) => f.name === name);
}

/** Nested field by path (['a','b'] = a.b through structs only). */
export function fieldByPath(struct: StructType, path: readonly string[]): StructField | undefined {
  let cur: StructType = struct;
  let f: StructField | undefined;
  for (let i = 0; i < path.length; i++) {
    f = fieldByName(cur, path[i]!);
    if (!f) return undefined;
    if (i < path.length - 1) {
      if (!isStruct(f.type)) return undefined;
      cur = f.type;
    }
  }
  return f;
}

/** Case-insensitive lookup (Delta column names are case-insensitive for matching in Spark). */
export function fieldByNameCaseInsensitive(struct: StructType, name: string): StructField | undefined {
  const l = name.toLowerCase();
  return struct.fields.find((f) => f.name.toLowerCase() === l);
}

/** Human-readable type name, e.g. `array<map<string,long>>`, for error messages. */
export function typeToString(t: DataType): string {
  if (typeof t === 'string') return t;
  switch (t.type) {
    case 'struct':
      return `struct<${t.fields.map((f) => `${f.name}:${typeToString(f.type)}`).join(',')}>`;
    case 'array':
      return `array<${typeToString(t.elementType)}>`;
    case 'map':
      return `map<${typeToString(t.keyType)},${typeToString(t.valueType)}>`;
  }
}
