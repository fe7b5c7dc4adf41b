// In-Commit Timestamps, the writer's rules (PROTOCOL.md "Writer Requirements for In-Commit Timestamps"): the
// inCommitTimestamp of a commit attempt and the enablement properties of the commit that turns the feature on.
// Pure functions; the transaction supplies the times, versions and configurations. Reading is TableConfiguration's.
import stableStringify from 'fast-json-stable-stringify';
import type { Metadata, Protocol } from './actions.js';
import { readerFeaturesOf, writerFeaturesOf } from './features.js';
import type { TableConfiguration } from './table_configuration.js';
import { TABLE_PROPERTIES, TableProperties } from './table_properties.js';

export const ICT_ENABLEMENT_VERSION_KEY = TABLE_PROPERTIES.inCommitTimestampEnablementVersion.key;
export const ICT_ENABLEMENT_TIMESTAMP_KEY = TABLE_PROPERTIES.inCommitTimestampEnablementTimestamp.key;

/**
 * Requirement 3: the larger of the time the writer attempts the commit and one millisecond after the previous
 * commit's timestamp (its inCommitTimestamp, or for the enabling commit the preceding commit file's modification
 * time, requirement 5). Recomputed on every attempt, so a rebase over a winning commit stays after it.
 */
export function nextInCommitTimestamp(attemptTime: number, previousCommitTime: number | undefined): number {
  return previousCommitTime === undefined ? attemptTime : Math.max(attemptTime, previousCommitTime + 1);
}

/**
 * The metaData a commit at `version` writes (requirement 4). A commit that enables the feature on a table with
 * earlier commits records `delta.inCommitTimestampEnablementVersion` / `...EnablementTimestamp` (its version and its
 * inCommitTimestamp); at version 0 every commit has one and nothing is recorded. A metaData that keeps the feature
 * on but lost the properties (e.g. one restored from an older version) gets the previous ones back, as Spark does.
 * `previous`: the configuration of version - 1 (undefined when creating).
 */
export function metadataWithEnablement(metadata: Metadata, previous: TableConfiguration | undefined, version: number, ict: number): Metadata {
  const now = new TableProperties(metadata.configuration ?? {});
  if (!now.enableInCommitTimestamps || !previous || version === 0) return metadata;
  if (!previous.inCommitTimestampsEnabled) return withEnablement(metadata, version, ict);
  const before = previous.properties;
  const [v, ts] = [before.inCommitTimestampEnablementVersion, before.inCommitTimestampEnablementTimestamp];
  if (v !== undefined && ts !== undefined && now.inCommitTimestampEnablementVersion === undefined && now.inCommitTimestampEnablementTimestamp === undefined) {
    return withEnablement(metadata, v, ts);
  }
  return metadata;
}

function withEnablement(metadata: Metadata, version: number, timestamp: number): Metadata {
  const configuration = { ...metadata.configuration, [ICT_ENABLEMENT_VERSION_KEY]: String(version), [ICT_ENABLEMENT_TIMESTAMP_KEY]: String(timestamp) };
  return { ...metadata, configuration };
}

/** metaData.configuration with the feature off: the enablement properties go too (Spark's DROP FEATURE does so). */
export function withoutEnablement(configuration: Record<string, string>): Record<string, string> {
  const out = { ...configuration };
  delete out[ICT_ENABLEMENT_VERSION_KEY];
  delete out[ICT_ENABLEMENT_TIMESTAMP_KEY];
  return out;
}

/**
 * Whether a commit that wrote `protocol` / `metadata` over `before` only turned In-Commit Timestamps on: the writer
 * feature added (a legacy protocol made explicit, nothing dropped), and no metaData change but the ICT properties
 * set. Spark's ConflictChecker lets a transaction that read `before` rebase over such a commit (its inCommitTimestamp
 * is computed over the winner's on the retry); any other protocol or metaData change stays a conflict.
 */
export function onlyEnablesInCommitTimestamps(
  before: { protocol: Protocol; metadata: Metadata },
  protocol: Protocol | undefined,
  metadata: Metadata | undefined,
): boolean {
  if (protocol) {
    const [w0, w1] = [new Set(writerFeaturesOf(before.protocol)), new Set(writerFeaturesOf(protocol))];
    const [r0, r1] = [readerFeaturesOf(before.protocol).sort(), readerFeaturesOf(protocol).sort()];
    if (protocol.minReaderVersion !== before.protocol.minReaderVersion || JSON.stringify(r0) !== JSON.stringify(r1)) return false;
    if ([...w0].some((f) => !w1.has(f)) || [...w1].some((f) => !w0.has(f) && f !== 'inCommitTimestamp')) return false;
  }
  if (metadata) {
    const { configuration: c1 = {}, ...rest1 } = metadata;
    const { configuration: c0 = {}, ...rest0 } = before.metadata;
    if (stableStringify(rest1) !== stableStringify(rest0)) return false;
    const ict = new Set([TABLE_PROPERTIES.enableInCommitTimestamps.key, ICT_ENABLEMENT_VERSION_KEY, ICT_ENABLEMENT_TIMESTAMP_KEY]);
    const keys = new Set([...Object.keys(c0), ...Object.keys(c1)]);
    if ([...keys].some((k) => c0[k] !== c1[k] && !ict.has(k))) return false;
    if (!new TableProperties(c1).enableInCommitTimestamps) return false;
  }
  return protocol !== undefined || metadata !== undefined;
}
