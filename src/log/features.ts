// Table features registry (PROTOCOL.md "Table Features", "Writer/Reader Version Requirements"): one data row per
// feature with what deltats can read and write; assertReadable/assertWritable/protocolFor. No I/O, no replay.
import { UnsupportedFeatureError } from '../errors.js';
import { parseSchema } from '../schema/json.js';
import type { DataType, StructType } from '../schema/types.js';
import type { Metadata, Protocol } from './actions.js';
import { TableProperties } from './table_properties.js';

export type FeatureKind = 'reader-writer' | 'writer';

export interface FeatureInfo {
  name: string;
  /** 'reader-writer' features appear in readerFeatures and writerFeatures; 'writer' ones only in writerFeatures. */
  kind: FeatureKind;
  /** deltats can read tables that use it (always true for writer-only features: they never block reads). */
  read: boolean;
  /** deltats's writer honours it (possibly only while it is inactive, see `writeNote`). */
  write: boolean;
  /** Legacy protocol versions that imply the feature (PROTOCOL.md "Writer Version Requirements"). */
  legacyReader?: number;
  legacyWriter?: number;
  writeNote?: string;
  /**
   * The boolean table property that turns the feature on (Spark's "automatically enabled by metadata"): a table
   * whose properties set it needs the feature in its protocol (featuresEnabledBy).
   */
  enabledBy?: 'appendOnly' | 'enableChangeDataFeed' | 'enableDeletionVectors' | 'enableInCommitTimestamps';
}

/** PROTOCOL.md "Valid Feature Names in Table Features" plus delta-rs's pre-release name 'liquid'. */
export const FEATURES: readonly FeatureInfo[] = [
  { name: 'appendOnly', kind: 'writer', read: true, write: true, legacyWriter: 2, enabledBy: 'appendOnly', writeNote: 'table code refuses removes when delta.appendOnly=true' },
  { name: 'invariants', kind: 'writer', read: true, write: true, legacyWriter: 2, writeNote: 'only while no column has delta.invariants metadata' },
  { name: 'checkConstraints', kind: 'writer', read: true, write: true, legacyWriter: 3, writeNote: 'only while no delta.constraints.* property is set' },
  { name: 'changeDataFeed', kind: 'writer', read: true, write: true, legacyWriter: 4, enabledBy: 'enableChangeDataFeed', writeNote: 'appends and whole-file removes need no cdc files' },
  { name: 'generatedColumns', kind: 'writer', read: true, write: false, legacyWriter: 4 },
  { name: 'columnMapping', kind: 'reader-writer', read: true, write: false, legacyReader: 2, legacyWriter: 5 },
  { name: 'identityColumns', kind: 'writer', read: true, write: false, legacyWriter: 6 },
  { name: 'deletionVectors', kind: 'reader-writer', read: true, write: true, enabledBy: 'enableDeletionVectors', writeNote: 'existing deletion vectors are kept intact' },
  { name: 'timestampNtz', kind: 'reader-writer', read: true, write: true },
  { name: 'v2Checkpoint', kind: 'reader-writer', read: true, write: true, writeNote: 'classic checkpoints must not be written' },
  { name: 'domainMetadata', kind: 'writer', read: true, write: true },
  { name: 'rowTracking', kind: 'writer', read: true, write: false },
  { name: 'clustering', kind: 'writer', read: true, write: false },
  { name: 'liquid', kind: 'writer', read: true, write: false },
  { name: 'typeWidening', kind: 'reader-writer', read: true, write: true },
  { name: 'typeWidening-preview', kind: 'reader-writer', read: true, write: true },
  {
    name: 'inCommitTimestamp',
    kind: 'writer',
    read: true,
    write: true,
    enabledBy: 'enableInCommitTimestamps',
    writeNote: 'every commit carries commitInfo first with inCommitTimestamp (transaction.ts, in_commit_timestamp.ts)',
  },
  { name: 'vacuumProtocolCheck', kind: 'reader-writer', read: true, write: true },
  { name: 'icebergCompatV1', kind: 'writer', read: true, write: false },
  { name: 'icebergCompatV2', kind: 'writer', read: true, write: false },
  { name: 'icebergWriterCompatV1', kind: 'writer', read: true, write: false },
  { name: 'allowColumnDefaults', kind: 'writer', read: true, write: false },
  { name: 'checkpointProtection', kind: 'writer', read: true, write: false },
  { name: 'variantType', kind: 'reader-writer', read: false, write: false },
  { name: 'variantType-preview', kind: 'reader-writer', read: false, write: false },
  { name: 'variantShredding-preview', kind: 'reader-writer', read: false, write: false },
  { name: 'collations-preview', kind: 'reader-writer', read: false, write: false },
  { name: 'catalogManaged', kind: 'reader-writer', read: false, write: false },
  { name: 'catalogOwned-preview', kind: 'reader-writer', read: false, write: false },
];

const BY_NAME = new Map(FEATURES.map((f) => [f.name, f]));

export function featureInfo(name: string): FeatureInfo | undefined {
  return BY_NAME.get(name);
}

export const MAX_READER_VERSION = 3;
export const MAX_WRITER_VERSION = 7;

/** Reader features a protocol requires: the readerFeatures list (v3), or those implied by a legacy version. */
export function readerFeaturesOf(p: Protocol): string[] {
  if (p.minReaderVersion >= 3) return [...(p.readerFeatures ?? [])];
  return FEATURES.filter((f) => f.legacyReader !== undefined && f.legacyReader <= p.minReaderVersion).map((f) => f.name);
}

/** Writer features a protocol supports: the writerFeatures list (v7), or those implied by a legacy version. */
export function writerFeaturesOf(p: Protocol): string[] {
  if (p.minWriterVersion >= 7) return [...(p.writerFeatures ?? [])];
  return FEATURES.filter((f) => f.legacyWriter !== undefined && f.legacyWriter <= p.minWriterVersion).map((f) => f.name);
}

/** Whether `feature` is listed or implied by the protocol. */
export function hasFeature(p: Protocol, feature: string): boolean {
  return writerFeaturesOf(p).includes(feature) || readerFeaturesOf(p).includes(feature);
}

/**
 * Throw UnsupportedFeatureError naming the first reader feature deltats cannot read. Writer-only features never
 * block reads (PROTOCOL.md "Table Features": readers only check readerFeatures); unknown reader features do.
 */
export function assertReadable(protocol: Protocol, _metadata?: Metadata): void {
  if (!Number.isInteger(protocol.minReaderVersion) || protocol.minReaderVersion > MAX_READER_VERSION) {
    throw new UnsupportedFeatureError(`readerVersion ${protocol.minReaderVersion}`, 'reader', `deltats reads reader versions 1..${MAX_READER_VERSION}`);
  }
  for (const name of readerFeaturesOf(protocol)) {
    const f = BY_NAME.get(name);
    if (!f) throw new UnsupportedFeatureError(name, 'reader', 'unknown reader feature');
    if (!f.read) throw new UnsupportedFeatureError(name, 'reader');
  }
}

function walkFields(t: DataType, visit: (metadata: Record<string, unknown>) => boolean): boolean {
  if (typeof t !== 'object') return false;
  if (t.type === 'struct') {
    for (const f of (t as StructType).fields) {
      if (f.metadata && visit(f.metadata as Record<string, unknown>)) return true;
      if (walkFields(f.type, visit)) return true;
    }
    return false;
  }
  if (t.type === 'array') return walkFields(t.elementType, visit);
  if (t.type === 'map') return walkFields(t.keyType, visit) || walkFields(t.valueType, visit);
  return false;
}

function schemaHasColumnMetadata(metadata: Metadata, pred: (key: string) => boolean): boolean {
  let schema: StructType;
  try {
    schema = parseSchema(metadata.schemaString);
  } catch {
    return false;
  }
  return walkFields(schema, (md) => Object.keys(md).some(pred));
}

/**
 * Whether a feature is *active* on the table (PROTOCOL.md "Active Features"): legacy protocol versions imply
 * features that only matter once the metadata uses them (e.g. writer 4 implies generatedColumns).
 */
function isActive(name: string, metadata: Metadata): boolean {
  const conf = metadata.configuration ?? {};
  switch (name) {
    case 'invariants':
      return schemaHasColumnMetadata(metadata, (k) => k === 'delta.invariants');
    case 'checkConstraints':
      return new TableProperties(conf).checkConstraintNames.length > 0;
    case 'generatedColumns':
      return schemaHasColumnMetadata(metadata, (k) => k === 'delta.generationExpression');
    case 'identityColumns':
      return schemaHasColumnMetadata(metadata, (k) => k.startsWith('delta.identity.'));
    case 'columnMapping':
      return new TableProperties(conf).columnMappingMode !== 'none';
    default:
      return true;
  }
}

/**
 * Throw UnsupportedFeatureError naming the first feature deltats's writer cannot honour.
 * Legacy-implied features block only when active; features listed in writerFeatures block when not writable,
 * except invariants / checkConstraints, which are writable while unused.
 */
export function assertWritable(protocol: Protocol, metadata: Metadata): void {
  assertReadable(protocol, metadata);
  if (!Number.isInteger(protocol.minWriterVersion) || protocol.minWriterVersion > MAX_WRITER_VERSION) {
    throw new UnsupportedFeatureError(`writerVersion ${protocol.minWriterVersion}`, 'writer', `deltats writes writer versions 1..${MAX_WRITER_VERSION}`);
  }
  const explicit = protocol.minWriterVersion >= 7;
  const names = new Set([...writerFeaturesOf(protocol), ...(protocol.minReaderVersion >= 3 ? readerFeaturesOf(protocol) : [])]);
  for (const name of names) {
    const f = BY_NAME.get(name);
    if (!f) throw new UnsupportedFeatureError(name, 'writer', 'unknown writer feature');
    if (name === 'invariants' && isActive(name, metadata)) {
      throw new UnsupportedFeatureError(name, 'writer', 'columns carry delta.invariants, which deltats does not enforce');
    }
    if (name === 'checkConstraints' && isActive(name, metadata)) {
      throw new UnsupportedFeatureError(name, 'writer', 'delta.constraints.* are set, which deltats does not enforce');
    }
    if (f.write) continue;
    if (!explicit && !isActive(name, metadata)) continue;
    throw new UnsupportedFeatureError(name, 'writer');
  }
  // Legacy reader version 2 implies columnMapping, which the writer does not support once active.
  if (!explicit && protocol.minReaderVersion === 2 && isActive('columnMapping', metadata)) {
    throw new UnsupportedFeatureError('columnMapping', 'writer');
  }
}

/**
 * `p` with `feature` added (a schema change started using it, e.g. a timestamp_ntz column). A legacy protocol becomes
 * table features (PROTOCOL.md "Table Features": reader 3 when the feature is reader-writer, writer 7) listing what
 * its versions implied, except implied features that are inactive and that deltats cannot write (e.g.
 * generatedColumns at writer 4), so the table stays writable; Spark only requires the active ones to be listed.
 */
export function protocolWithFeature(p: Protocol, metadata: Metadata, feature: string): Protocol {
  if (hasFeature(p, feature)) return p;
  const info = BY_NAME.get(feature);
  if (!info) throw new UnsupportedFeatureError(feature, 'writer', 'unknown feature');
  const keep = (name: string) => p.minWriterVersion >= 7 || BY_NAME.get(name)?.write === true || isActive(name, metadata);
  const writer = new Set([...writerFeaturesOf(p).filter(keep), feature]);
  const writerFeatures = FEATURES.filter((f) => writer.has(f.name)).map((f) => f.name);
  if (info.kind === 'writer' && p.minReaderVersion < 3) {
    return { minReaderVersion: p.minReaderVersion, minWriterVersion: 7, writerFeatures };
  }
  const reader = new Set([...readerFeaturesOf(p).filter((n) => p.minReaderVersion >= 3 || isActive(n, metadata))]);
  if (info.kind === 'reader-writer') reader.add(feature);
  for (const n of reader) writer.add(n);
  return {
    minReaderVersion: 3,
    minWriterVersion: 7,
    readerFeatures: FEATURES.filter((f) => reader.has(f.name)).map((f) => f.name),
    writerFeatures: FEATURES.filter((f) => writer.has(f.name)).map((f) => f.name),
  };
}

/** Names of the features the table properties turn on (rows with `enabledBy`), in registry order. */
export function featuresEnabledBy(properties: TableProperties): string[] {
  return FEATURES.filter((f) => f.enabledBy !== undefined && properties.get(f.enabledBy)).map((f) => f.name);
}

/**
 * `p` with every feature the properties of `metadata` turn on (PROTOCOL.md "Table Features": a property change
 * that starts using a feature upgrades the protocol, as Spark's ALTER TABLE SET TBLPROPERTIES does).
 */
export function protocolForProperties(p: Protocol, metadata: Metadata): Protocol {
  let out = p;
  for (const name of featuresEnabledBy(new TableProperties(metadata.configuration ?? {}))) out = protocolWithFeature(out, metadata, name);
  return out;
}

export interface FeatureRequest {
  appendOnly?: boolean;
  invariants?: boolean;
  checkConstraints?: boolean;
  changeDataFeed?: boolean;
  columnMapping?: boolean;
  timestampNtz?: boolean;
  deletionVectors?: boolean;
  v2Checkpoint?: boolean;
  domainMetadata?: boolean;
  typeWidening?: boolean;
  vacuumProtocolCheck?: boolean;
  inCommitTimestamp?: boolean;
  generatedColumns?: boolean;
  identityColumns?: boolean;
  rowTracking?: boolean;
}

/**
 * The minimal protocol a new table needs: 1/2 without features; legacy writer versions (1/2, 1/3, 1/4, 2/5) when the
 * requested features are all expressible that way; otherwise table features (reader 3 + writer 7 when a
 * reader-writer feature is requested, else reader 1 + writer 7) with explicit lists.
 */
export function protocolFor(req: FeatureRequest = {}): Protocol {
  const wanted = (Object.keys(req) as Array<keyof FeatureRequest>).filter((k) => req[k]);
  if (wanted.length === 0) return { minReaderVersion: 1, minWriterVersion: 2 };
  // Registry order, so the lists do not depend on the caller's key order.
  const infos = FEATURES.filter((f) => (wanted as string[]).includes(f.name));
  const legacy = infos.every((f) => f.legacyWriter !== undefined);
  if (legacy) {
    return {
      minReaderVersion: Math.max(1, ...infos.map((f) => f.legacyReader ?? 1)),
      minWriterVersion: Math.max(2, ...infos.map((f) => f.legacyWriter!)),
    };
  }
  const readerFeatures = infos.filter((f) => f.kind === 'reader-writer').map((f) => f.name);
  // Writer 7 keeps the features writer 2 implied (appendOnly, invariants), as Spark does when it upgrades: Spark
  // treats every NOT NULL column as an active `invariants` feature and refuses a writer-7 table that does not list
  // it (DELTA_FEATURES_PROTOCOL_METADATA_MISMATCH), even for reads.
  const writerFeatures = FEATURES.filter(
    (f) => infos.includes(f) || (f.kind === 'writer' && f.legacyWriter !== undefined && f.legacyWriter <= 2),
  ).map((f) => f.name);
  if (readerFeatures.length === 0) return { minReaderVersion: 1, minWriterVersion: 7, writerFeatures };
  return { minReaderVersion: 3, minWriterVersion: 7, readerFeatures, writerFeatures };
}
