// A TableConfiguration for unit tests that read or prune files without a log: a schema, its partition columns
// and a column mapping mode, under the smallest protocol that reads them.
import type { Metadata } from '../../src/log/actions.js';
import { TableConfiguration } from '../../src/log/table_configuration.js';
import { serializeSchema } from '../../src/schema/json.js';
import type { ColumnMappingMode } from '../../src/schema/column_mapping.js';
import type { StructType } from '../../src/schema/types.js';

export function configOf(schema: StructType, partitionColumns: string[] = [], mode: ColumnMappingMode = 'none'): TableConfiguration {
  return configOfMetadata({
    id: 'test',
    format: { provider: 'parquet', options: {} },
    schemaString: serializeSchema(schema),
    partitionColumns,
    configuration: mode === 'none' ? {} : { 'delta.columnMapping.mode': mode },
  });
}

export function configOfMetadata(metadata: Metadata): TableConfiguration {
  const mode = metadata.configuration?.['delta.columnMapping.mode'];
  const mapped = mode !== undefined && mode !== 'none';
  return new TableConfiguration({ minReaderVersion: mapped ? 2 : 1, minWriterVersion: mapped ? 5 : 2 }, metadata);
}
