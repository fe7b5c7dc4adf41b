// The data an append or overwrite is given, made ready to write: converted to Arrow, conformed to the table schema
// (or evolving it), and the new metaData when the schema or partitioning changes. Writes nothing.
import { RecordBatch, Table } from 'apache-arrow';
import type { Metadata, Protocol } from '../../log/actions.js';
import { protocolWithFeature } from '../../log/features.js';
import type { Snapshot } from '../../log/snapshot.js';
import { conformToSchema } from '../../schema/enforce.js';
import { isPrimitive, serializeSchema } from '../../schema/json.js';
import { objectsToArrow } from '../../schema/objects.js';
import type { DataType, StructType } from '../../schema/types.js';
import { InvalidArgumentError } from '../../errors.js';
import type { WriteContext } from '../writer.js';

export type WriteData = Table | RecordBatch | RecordBatch[] | Record<string, unknown>[];

export type SchemaMode = 'merge' | 'overwrite';

export interface PreparedWrite {
  table: Table;
  /** Schema of `table`: the table's, or the evolved one. */
  schema: StructType;
  /** New metaData when the schema or the partition columns change. */
  metadataAction?: Metadata;
  /** New protocol when the evolved schema needs a feature the table lacks. */
  protocolAction?: Protocol;
}

/** Convert input to Arrow, enforce (or evolve) the schema; returns the new metaData when the schema changes. */
export function prepareWrite(snap: Snapshot, data: WriteData, schemaMode: SchemaMode | undefined, partitionBy?: string[]): PreparedWrite {
  const input = toArrowTable(data, snap.schema, schemaMode);
  const { table, schema, schemaChanged } = conformToSchema(input, snap.schema, { schemaMode });
  const partitionChanged = partitionBy !== undefined && JSON.stringify(partitionBy) !== JSON.stringify(snap.partitionColumns);
  if (partitionBy) validatePartitionColumns(schema, partitionBy);
  if (!schemaChanged && !partitionChanged) return { table, schema };
  if (snap.config.columnMappingMode !== 'none') {
    throw new InvalidArgumentError('schema changes on column-mapping tables are not supported by deltats yet');
  }
  const metadataAction: Metadata = {
    ...snap.metadata,
    schemaString: serializeSchema(schema),
    partitionColumns: partitionBy ?? snap.partitionColumns,
  };
  // A new timestamp_ntz column needs the timestampNtz feature (delta-rs refuses the table without it).
  const needsNtz = usesType(schema, 'timestamp_ntz') && !snap.config.hasFeature('timestampNtz');
  const protocolAction = needsNtz ? protocolWithFeature(snap.protocol, metadataAction, 'timestampNtz') : undefined;
  return { table, schema, metadataAction, protocolAction };
}

/** Where and how the prepared rows are written: the table's properties, the (possibly new) schema and partitioning. */
export function writeContextOf(snap: Snapshot, schema: StructType, partitionBy?: string[]): WriteContext {
  return { schema, partitionColumns: partitionBy ?? snap.partitionColumns, properties: snap.config.properties };
}

function toArrowTable(data: WriteData, schema: StructType, schemaMode: SchemaMode | undefined): Table {
  if (data instanceof Table) return data;
  if (data instanceof RecordBatch) return new Table([data]);
  if (Array.isArray(data)) {
    if (data.length > 0 && data[0] instanceof RecordBatch) return new Table(data as RecordBatch[]);
    const rows = data as Record<string, unknown>[];
    if (schemaMode === 'overwrite') {
      // The data's own columns become the schema: keep the table's types for the columns it still has.
      const keys = new Set(rows.flatMap((r) => Object.keys(r)));
      const kept: StructType = { type: 'struct', fields: schema.fields.filter((f) => keys.has(f.name)) };
      return objectsToArrow(rows, kept, { allowExtra: true });
    }
    return objectsToArrow(rows, schema, { allowExtra: schemaMode === 'merge' });
  }
  throw new InvalidArgumentError('data must be an Arrow Table, RecordBatch(es) or an array of plain objects');
}

/** Partition columns must exist, be primitive and not binary, and leave at least one data column. */
export function validatePartitionColumns(schema: StructType, partitionBy: readonly string[]): void {
  if (!Array.isArray(partitionBy)) throw new InvalidArgumentError('partitionBy must be an array of column names');
  for (const c of partitionBy) {
    if (typeof c !== 'string') throw new InvalidArgumentError(`partition column ${JSON.stringify(c)} must be a column name (a string)`);
    const f = schema.fields.find((x) => x.name === c);
    if (!f) throw new InvalidArgumentError(`partition column '${c}' is not in the schema`);
    if (!isPrimitive(f.type) || f.type === 'binary') {
      throw new InvalidArgumentError(`partition column '${c}' has type ${JSON.stringify(f.type)}; only primitive non-binary types can partition`);
    }
  }
  if (partitionBy.length && partitionBy.length === schema.fields.length) {
    throw new InvalidArgumentError('cannot partition by every column: a data file needs at least one non-partition column');
  }
}

/** Whether the schema uses primitive type `name` anywhere (nested too). */
export function usesType(t: DataType | StructType, name: string): boolean {
  if (typeof t === 'string') return t === name;
  if (t.type === 'struct') return t.fields.some((f) => usesType(f.type, name));
  if (t.type === 'array') return usesType(t.elementType, name);
  return usesType(t.keyType, name) || usesType(t.valueType, name);
}
