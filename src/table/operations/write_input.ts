// The data an append or overwrite is given, made ready to write: converted to Arrow, conformed to the table schema
// (or evolving it), and the new metaData when the schema or partitioning changes; streamed input chunk by chunk.
// Writes nothing.
import { RecordBatch, Table } from 'apache-arrow';
import type { Metadata, Protocol } from '../../log/actions.js';
import { protocolWithFeature } from '../../log/features.js';
import type { Snapshot } from '../../log/snapshot.js';
import { conformToSchema } from '../../schema/enforce.js';
import { isPrimitive, serializeSchema } from '../../schema/json.js';
import { objectsToArrow } from '../../schema/objects.js';
import type { DataType, StructType } from '../../schema/types.js';
import { InvalidArgumentError, SchemaMismatchError } from '../../errors.js';
import type { WriteContext } from '../writer.js';

/** One chunk of streamed input. */
export type WriteChunk = Table | RecordBatch | Record<string, unknown>[];
/** Streamed input: written file by file as it arrives, never held whole. */
export type WriteStream = AsyncIterable<WriteChunk> | Iterable<WriteChunk>;

/** Input given whole. */
type WholeData = Table | RecordBatch | RecordBatch[] | Record<string, unknown>[];
export type WriteData = WholeData | WriteStream;

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
  if (isWriteStream(data)) throw new InvalidArgumentError('streamed input is written by the streaming writer, not prepared whole');
  const input = toArrowTable(data, snap.schema, schemaMode);
  const { table, schema, schemaChanged } = conformToSchema(input, snap.schema, { schemaMode });
  return { table, schema, ...evolution(snap, schema, schemaChanged, partitionBy) };
}

/** Whether `data` is streamed input (an async or sync iterable of chunks), not one Table, batch or array. */
export function isWriteStream(data: WriteData): data is WriteStream {
  if (data instanceof Table || data instanceof RecordBatch || Array.isArray(data)) return false;
  return typeof data === 'object' && data !== null && (typeof (data as AsyncIterable<unknown>)[Symbol.asyncIterator] === 'function' || typeof (data as Iterable<unknown>)[Symbol.iterator] === 'function');
}

/**
 * Streamed input conformed chunk by chunk: every chunk is converted to Arrow and checked against the schema so far
 * (the table's; with schemaMode 'merge' widened by each chunk's new columns; with 'overwrite' the first chunk's).
 * Errors name the chunk and the row counted from the start of the stream.
 */
export class StreamConformer {
  /** Schema of the rows conformed so far. */
  schema: StructType;
  private changed = false;
  chunks = 0;
  rows = 0;

  constructor(
    private readonly snap: Snapshot,
    private readonly schemaMode: SchemaMode | undefined,
    private readonly partitionBy?: string[],
  ) {
    this.schema = snap.schema;
  }

  /** The chunk's rows in the current schema; `schemaChanged` when this chunk changed it (rows before it lack its new columns). */
  conform(chunk: WriteChunk): { table: Table; schemaChanged: boolean } {
    const index = this.chunks++;
    // The first chunk decides an overwritten schema; later ones must fit it.
    const mode = this.schemaMode === 'overwrite' && index > 0 ? undefined : this.schemaMode;
    const base = index === 0 ? this.snap.schema : this.schema;
    let out: { table: Table; schema: StructType; schemaChanged: boolean };
    try {
      if (!(chunk instanceof Table || chunk instanceof RecordBatch || Array.isArray(chunk))) {
        throw new InvalidArgumentError(`streamed input chunk ${index} must be an Arrow Table, a RecordBatch or an array of plain objects`);
      }
      out = conformToSchema(toArrowTable(chunk, base, mode), base, { schemaMode: mode });
    } catch (e) {
      if (e instanceof SchemaMismatchError) {
        const row = e.row === undefined ? undefined : this.rows + e.row;
        const where = row === undefined ? '' : `, row ${e.row} (row ${row} of the input)`;
        throw new SchemaMismatchError(`input chunk ${index}${where}: ${e.message}`, e.column, row, index);
      }
      throw e;
    }
    if (out.schemaChanged) this.changed = true;
    this.schema = out.schema;
    this.rows += out.table.numRows;
    return { table: out.table, schemaChanged: out.schemaChanged };
  }

  /** The metaData (and protocol) actions the conformed schema and partitioning need, once the stream ended. */
  evolution(): Pick<PreparedWrite, 'metadataAction' | 'protocolAction'> {
    if (this.partitionBy) validatePartitionColumns(this.schema, this.partitionBy);
    return evolution(this.snap, this.schema, this.changed, this.partitionBy);
  }
}

function evolution(
  snap: Snapshot,
  schema: StructType,
  schemaChanged: boolean,
  partitionBy: string[] | undefined,
): Pick<PreparedWrite, 'metadataAction' | 'protocolAction'> {
  const partitionChanged = partitionBy !== undefined && JSON.stringify(partitionBy) !== JSON.stringify(snap.partitionColumns);
  if (partitionBy) validatePartitionColumns(schema, partitionBy);
  if (!schemaChanged && !partitionChanged) return {};
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
  return { metadataAction, protocolAction };
}

/** Where and how the prepared rows are written: the table's properties, the (possibly new) schema and partitioning. */
export function writeContextOf(snap: Snapshot, schema: StructType, partitionBy?: string[]): WriteContext {
  return { schema, partitionColumns: partitionBy ?? snap.partitionColumns, properties: snap.config.properties };
}

function toArrowTable(data: WholeData, schema: StructType, schemaMode: SchemaMode | undefined): Table {
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
