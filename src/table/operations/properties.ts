// SET TBLPROPERTIES: change table properties of an existing table in one metaData commit, upgrading the protocol
// with the features the new properties turn on (In-Commit Timestamps, change data feed, deletion vectors, ...).
import type { Action } from '../../log/actions.js';
import { protocolForProperties } from '../../log/features.js';
import { ICT_ENABLEMENT_TIMESTAMP_KEY, ICT_ENABLEMENT_VERSION_KEY, withoutEnablement } from '../../log/in_commit_timestamp.js';
import type { Snapshot } from '../../log/snapshot.js';
import { TableConfiguration } from '../../log/table_configuration.js';
import { TABLE_PROPERTIES } from '../../log/table_properties.js';
import { InvalidArgumentError } from '../../errors.js';
import { commitActions } from './commit.js';
import type { Committed } from './write.js';

export interface SetPropertiesResult {
  version: number;
  /** The table properties after the commit. */
  properties: Record<string, string>;
}

/** Properties only the writer sets (PROTOCOL.md "In-Commit Timestamps" requirement 4: the enabling commit's facts). */
const WRITER_OWNED = new Set([ICT_ENABLEMENT_VERSION_KEY, ICT_ENABLEMENT_TIMESTAMP_KEY]);
const COLUMN_MAPPING_KEYS = new Set([TABLE_PROPERTIES.columnMappingMode.key, TABLE_PROPERTIES.columnMappingMaxColumnId.key]);

/**
 * Spark's ALTER TABLE SET TBLPROPERTIES: `properties` replace or add to metaData.configuration. The protocol gains
 * the features they enable; turning In-Commit Timestamps off also drops its enablement properties, turning it on
 * lets the transaction record them.
 */
export async function setProperties(snapshot: Snapshot, properties: Record<string, string>): Promise<Committed<SetPropertiesResult>> {
  const where = `table ${snapshot.store.uri}`;
  const current = snapshot.metadata.configuration ?? {};
  for (const [k, v] of Object.entries(properties)) {
    if (typeof v !== 'string') throw new InvalidArgumentError(`table property '${k}' must be a string, got ${typeof v} ${JSON.stringify(v)}`);
    if (WRITER_OWNED.has(k)) throw new InvalidArgumentError(`${where}: '${k}' is set by the writer when it enables In-Commit Timestamps, not by hand`);
    if (COLUMN_MAPPING_KEYS.has(k) && current[k] !== v) {
      throw new InvalidArgumentError(`${where}: changing '${k}' rewrites the schema's column mapping, which deltats does not do`);
    }
  }
  let configuration = { ...current, ...properties };
  const config = new TableConfiguration(snapshot.protocol, { ...snapshot.metadata, configuration });
  config.properties.validate();
  if (!config.inCommitTimestampsEnabled) configuration = withoutEnablement(configuration);
  const metadata = { ...snapshot.metadata, configuration };
  const protocol = protocolForProperties(snapshot.protocol, metadata);
  const actions: Action[] = [...(protocol !== snapshot.protocol ? [{ protocol }] : []), { metaData: metadata }];
  const res = await commitActions(snapshot, actions, {
    operation: 'SET TBLPROPERTIES',
    operationParameters: { properties: JSON.stringify(properties) },
  });
  return { result: { version: res.version, properties: { ...res.snapshot.metadata.configuration } }, snapshot: res.snapshot };
}
