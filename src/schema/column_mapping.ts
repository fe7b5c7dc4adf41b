// Column mapping (PROTOCOL.md "Column Mapping"): physical names and field ids of logical fields,
// physical schemas, matching Parquet (Arrow) fields to Delta fields, under a mode that TableConfiguration reads. No I/O.
import type * as arrow from 'apache-arrow';
import type { DataType, StructField, StructType } from './types.js';

export type ColumnMappingMode = 'none' | 'name' | 'id';

export const PHYSICAL_NAME_KEY = 'delta.columnMapping.physicalName';
export const FIELD_ID_KEY = 'delta.columnMapping.id';
/** Arrow field metadata key under which arrow-rs / parquet-wasm expose (and write) the Parquet field_id. */
export const PARQUET_FIELD_ID_KEY = 'PARQUET:field_id';

/** The physical name of a field: its `delta.columnMapping.physicalName`, else its (display) name. */
export function physicalName(field: Pick<StructField, 'name' | 'metadata'>): string {
  const p = field.metadata?.[PHYSICAL_NAME_KEY];
  return typeof p === 'string' && p !== '' ? p : field.name;
}

/** The column id of a field (`delta.columnMapping.id`), or undefined when it has none. */
export function fieldId(field: Pick<StructField, 'metadata'>): number | undefined {
  const v = field.metadata?.[FIELD_ID_KEY];
  if (typeof v === 'number' && Number.isInteger(v)) return v;
  if (typeof v === 'string' && /^-?\d+$/.test(v)) return Number(v);
  return undefined;
}

/** Name of a field in data files / stats / partitionValues under `mode` ('none': the display name). */
export function physicalFieldName(field: Pick<StructField, 'name' | 'metadata'>, mode: ColumnMappingMode): string {
  return mode === 'none' ? field.name : physicalName(field);
}

/**
 * Key of a partition column in `add.partitionValues`. PROTOCOL.md "Column Mapping": partition values are tracked
 * by physical name when column mapping is on. Without a mode, a physicalName in the metadata still wins (a table
 * whose mapping was enabled keeps physical names for its columns).
 */
export function physicalPartitionName(field: Pick<StructField, 'name' | 'metadata'>, mode?: ColumnMappingMode): string {
  return mode === 'none' ? field.name : physicalName(field);
}

/** Serialized value of a partition column from partitionValues, trying the physical name and then the display name. */
export function partitionValueOf(
  partitionValues: Record<string, string | null> | null | undefined,
  field: Pick<StructField, 'name' | 'metadata'>,
  mode: ColumnMappingMode,
): string | null {
  if (!partitionValues) return null;
  const phys = physicalPartitionName(field, mode);
  if (Object.prototype.hasOwnProperty.call(partitionValues, phys)) return partitionValues[phys] ?? null;
  if (Object.prototype.hasOwnProperty.call(partitionValues, field.name)) return partitionValues[field.name] ?? null;
  return null;
}

function physicalType(t: DataType, mode: ColumnMappingMode): DataType {
  if (typeof t === 'string') return t;
  switch (t.type) {
    case 'struct':
      return physicalSchema(t, mode);
    case 'array':
      return { ...t, elementType: physicalType(t.elementType, mode) };
    case 'map':
      return { ...t, keyType: physicalType(t.keyType, mode), valueType: physicalType(t.valueType, mode) };
  }
}

/**
 * The schema as stored in data files: every field (nested ones too, through structs, arrays and maps) renamed to
 * its physical name. Field metadata is kept (writers put the column id into the Parquet field_id from it).
 * Mode 'none' returns the schema unchanged.
 */
export function physicalSchema(logical: StructType, mode: ColumnMappingMode): StructType {
  if (mode === 'none') return logical;
  return {
    type: 'struct',
    fields: logical.fields.map((f) => ({ ...f, name: physicalName(f), type: physicalType(f.type, mode) })),
  };
}

/** Physical path of a logical nested column path (e.g. ['a', 'b'] -> ['col-1', 'col-2']); null when not found. */
export function physicalPath(schema: StructType, logicalPath: readonly string[], mode: ColumnMappingMode): string[] | null {
  const out: string[] = [];
  let cur: DataType = schema;
  for (const name of logicalPath) {
    if (typeof cur === 'string' || cur.type !== 'struct') return null;
    const f: StructField | undefined = cur.fields.find((x) => x.name === name);
    if (!f) return null;
    out.push(physicalFieldName(f, mode));
    cur = f.type;
  }
  return out;
}

/** The Parquet field id of an Arrow field read by parquet-wasm (metadata `PARQUET:field_id`), if any. */
export function arrowFieldId(f: arrow.Field): number | undefined {
  const v = f.metadata?.get(PARQUET_FIELD_ID_KEY);
  return v !== undefined && /^-?\d+$/.test(v) ? Number(v) : undefined;
}

/**
 * Index in `candidates` (the children of a Parquet struct / the file's top-level fields) of the field that holds
 * Delta field `field`, or -1 when the file lacks it (schema evolution: read as nulls).
 * PROTOCOL.md "Reader Requirements for Column Mapping": 'id' resolves by Parquet field_id (falling back to the
 * physical name when the file carries no ids), 'name' by physical name, 'none' by display name.
 */
export function matchField(
  candidates: readonly arrow.Field[],
  field: Pick<StructField, 'name' | 'metadata'>,
  mode: ColumnMappingMode,
): number {
  if (mode === 'id') {
    const id = fieldId(field);
    if (id !== undefined) {
      const i = candidates.findIndex((c) => arrowFieldId(c) === id);
      if (i >= 0) return i;
      // A file that has field ids but not this one lacks the column; only id-less files fall back to names.
      if (candidates.some((c) => arrowFieldId(c) !== undefined)) return -1;
    }
  }
  const name = physicalFieldName(field, mode);
  return candidates.findIndex((c) => c.name === name);
}
