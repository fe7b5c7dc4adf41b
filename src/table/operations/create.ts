// CREATE TABLE: version 0 with the smallest protocol the schema and properties need, and the metaData.
// Validates schema, partition columns and every table property before anything is written.
import { Schema as ArrowSchema } from 'apache-arrow';
import { v4 as uuidv4 } from 'uuid';
import type { Metadata } from '../../log/actions.js';
import { featuresEnabledBy, protocolFor } from '../../log/features.js';
import type { Snapshot } from '../../log/snapshot.js';
import { TableProperties } from '../../log/table_properties.js';
import { Transaction } from '../../log/transaction.js';
import { fromArrowSchema } from '../../schema/arrow.js';
import { parseSchema, serializeSchema } from '../../schema/json.js';
import type { DataType, StructType } from '../../schema/types.js';
import type { ObjectStore } from '../../storage/store.js';
import { InvalidArgumentError } from '../../errors.js';
import { usesType, validatePartitionColumns } from './write_input.js';

export interface CreateTableOptions {
  schema: StructType | ArrowSchema;
  partitionBy?: string[];
  /** Table properties (metaData.configuration), e.g. {'delta.checkpointInterval': '10'}. */
  properties?: Record<string, string>;
  name?: string;
  description?: string;
}

/** Commit version 0 of a new table in `store` (TableExistsError when one exists); the snapshot of that version. */
export async function createTable(store: ObjectStore, options: CreateTableOptions): Promise<Snapshot> {
  const schema = options.schema instanceof ArrowSchema ? fromArrowSchema(options.schema) : options.schema;
  // Validate by a round trip through the JSON form a reader will parse.
  const schemaString = serializeSchema(parseSchema(JSON.stringify(schema)));
  assertFieldNames(schema, '');
  const partitionBy = options.partitionBy ?? [];
  validatePartitionColumns(schema, partitionBy);
  const properties = { ...(options.properties ?? {}) };
  for (const [k, v] of Object.entries(properties)) {
    if (typeof v !== 'string') throw new InvalidArgumentError(`table property '${k}' must be a string, got ${typeof v} ${JSON.stringify(v)}`);
  }
  const typed = new TableProperties(properties);
  typed.validate();
  const protocol = protocolFor({
    timestampNtz: usesType(schema, 'timestamp_ntz'),
    ...Object.fromEntries(featuresEnabledBy(typed).map((name) => [name, true])),
  });
  const metadata: Metadata = {
    id: uuidv4(),
    name: options.name ?? null,
    description: options.description ?? null,
    format: { provider: 'parquet', options: {} },
    schemaString,
    partitionColumns: partitionBy,
    configuration: properties,
    createdTime: Date.now(),
  };
  const txn = new Transaction(store, null, {
    operation: 'CREATE TABLE',
    operationParameters: {
      isManaged: 'false',
      description: options.description ?? null,
      partitionBy: JSON.stringify(partitionBy),
      properties: JSON.stringify(properties),
    },
  });
  txn.addActions([{ protocol }, { metaData: metadata }]);
  return (await txn.commit()).snapshot;
}

/** Column names are non-empty and unique within each struct, ignoring case (Spark's default resolution). */
function assertFieldNames(t: DataType | StructType, path: string): void {
  if (typeof t === 'string') return;
  if (t.type === 'array') return assertFieldNames(t.elementType, path);
  if (t.type === 'map') {
    assertFieldNames(t.keyType, path);
    return assertFieldNames(t.valueType, path);
  }
  const seen = new Map<string, string>();
  for (const f of t.fields) {
    const full = path ? `${path}.${f.name}` : f.name;
    if (typeof f.name !== 'string' || f.name === '') throw new InvalidArgumentError(`schema has a column with an empty name${path ? ` in '${path}'` : ''}`);
    const prior = seen.get(f.name.toLowerCase());
    if (prior !== undefined) {
      throw new InvalidArgumentError(`schema has column '${full}' twice (as '${prior}' and '${f.name}'; names are case-insensitive)`);
    }
    seen.set(f.name.toLowerCase(), f.name);
    assertFieldNames(f.type, full);
  }
}
