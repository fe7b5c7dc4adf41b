// Writes classic (single-file) and multi-part Parquet checkpoints of a reconciled table state plus `_last_checkpoint`.
// Uses the ObjectStore and the Parquet seam only; does not decide when to checkpoint (transaction.ts does).
import type * as arrow from 'apache-arrow';
import { InvalidArgumentError } from '../errors.js';
import { toArrowSchema } from '../schema/arrow.js';
import type { DataType, StructField, StructType } from '../schema/types.js';
import { buildData, tableFromData } from '../schema/vectors.js';
import type { Value } from '../schema/access/get.js';
import { writeParquet } from '../storage/parquet.js';
import type { ObjectStore } from '../storage/store.js';
import type { Add, DeletionVectorDescriptor, DomainMetadata, Metadata, Protocol, Remove, Txn } from './actions.js';
import { LAST_CHECKPOINT, classicCheckpointPath, multiPartCheckpointPath } from './paths.js';
import type { Snapshot } from './snapshot.js';
import { TableProperties } from './table_properties.js';

export interface CheckpointState {
  version: number;
  protocol: Protocol;
  metadata: Metadata;
  activeFiles: Add[];
  /** Remove actions of the snapshot; expired ones (older than delta.deletedFileRetentionDuration) are dropped. */
  tombstones: Remove[];
  txns: Txn[];
  domainMetadata: DomainMetadata[];
}

export interface CheckpointWriteOptions {
  /**
   * Write a multi-part checkpoint (PROTOCOL.md "Multi-part checkpoint") when the number of actions exceeds
   * this; parts hold at most this many actions each. Default: always one classic file.
   */
  partsThreshold?: number;
  /** "Now" in epoch ms for tombstone expiry (default Date.now()). */
  now?: number;
  compression?: 'snappy' | 'zstd';
}

export interface CheckpointWriteResult {
  /** Path of the (first part of the) checkpoint, relative to the table root. */
  path: string;
  /** Total bytes written (all parts). */
  size: number;
  /** Number of actions in the checkpoint. */
  numActions: number;
  numAddFiles: number;
  parts?: number;
}

// ---------------------------------------------------------------------------------------------------------
// Checkpoint schema (PROTOCOL.md "Checkpoint Schema"; field order as Spark writes it). All fields nullable.

const f = (name: string, type: DataType): StructField => ({ name, type, nullable: true, metadata: {} });
const struct = (...fields: StructField[]): StructType => ({ type: 'struct', fields });
const STR_MAP: DataType = { type: 'map', keyType: 'string', valueType: 'string', valueContainsNull: true };
const STR_ARRAY: DataType = { type: 'array', elementType: 'string', containsNull: true };

const DV_TYPE = struct(
  f('storageType', 'string'),
  f('pathOrInlineDv', 'string'),
  f('offset', 'integer'),
  f('sizeInBytes', 'integer'),
  f('cardinality', 'long'),
);

const TXN_TYPE = struct(f('appId', 'string'), f('version', 'long'), f('lastUpdated', 'long'));

function addType(withClustering: boolean): StructType {
  const fields = [
    f('path', 'string'),
    f('partitionValues', STR_MAP),
    f('size', 'long'),
    f('modificationTime', 'long'),
    f('dataChange', 'boolean'),
    f('stats', 'string'),
    f('tags', STR_MAP),
    f('deletionVector', DV_TYPE),
    f('baseRowId', 'long'),
    f('defaultRowCommitVersion', 'long'),
  ];
  if (withClustering) fields.push(f('clusteringProvider', 'string'));
  return struct(...fields);
}

const REMOVE_TYPE = struct(
  f('path', 'string'),
  f('deletionTimestamp', 'long'),
  f('dataChange', 'boolean'),
  f('extendedFileMetadata', 'boolean'),
  f('partitionValues', STR_MAP),
  f('size', 'long'),
  f('deletionVector', DV_TYPE),
  f('baseRowId', 'long'),
  f('defaultRowCommitVersion', 'long'),
);

const METADATA_TYPE = struct(
  f('id', 'string'),
  f('name', 'string'),
  f('description', 'string'),
  f('format', struct(f('provider', 'string'), f('options', STR_MAP))),
  f('schemaString', 'string'),
  f('partitionColumns', STR_ARRAY),
  f('configuration', STR_MAP),
  f('createdTime', 'long'),
);

const PROTOCOL_TYPE = struct(
  f('minReaderVersion', 'integer'),
  f('minWriterVersion', 'integer'),
  f('readerFeatures', STR_ARRAY),
  f('writerFeatures', STR_ARRAY),
);

const DOMAIN_METADATA_TYPE = struct(f('domain', 'string'), f('configuration', 'string'), f('removed', 'boolean'));

// ---------------------------------------------------------------------------------------------------------
// Action -> normalized values (vectors.ts `Value`: long = bigint, map = [key, value][], struct = object)

function long(v: number | null | undefined, what: string): bigint | null {
  if (v === null || v === undefined) return null;
  if (typeof v === 'bigint') return v;
  if (typeof v !== 'number' || !Number.isFinite(v)) throw new InvalidArgumentError(`checkpoint: ${what} must be a number, got ${String(v)}`);
  return BigInt(Math.trunc(v));
}

function int(v: number | null | undefined): number | null {
  return v === null || v === undefined ? null : Number(v);
}

function str(v: unknown): string | null {
  return v === null || v === undefined ? null : String(v);
}

function bool(v: unknown): boolean | null {
  return v === null || v === undefined ? null : Boolean(v);
}

function strMap(m: Record<string, string | null> | null | undefined): Value {
  if (m === null || m === undefined) return null;
  return Object.entries(m).map(([k, v]) => [k, v === null || v === undefined ? null : String(v)]);
}

function dvValue(dv: DeletionVectorDescriptor | null | undefined): Value {
  if (!dv) return null;
  return {
    storageType: dv.storageType,
    pathOrInlineDv: dv.pathOrInlineDv,
    offset: int(dv.offset),
    sizeInBytes: int(dv.sizeInBytes),
    cardinality: long(dv.cardinality, 'deletionVector.cardinality'),
  };
}

function addValue(a: Add): Value {
  return {
    path: a.path,
    partitionValues: strMap(a.partitionValues ?? {}),
    size: long(a.size, `add.size of ${a.path}`),
    modificationTime: long(a.modificationTime, `add.modificationTime of ${a.path}`),
    dataChange: bool(a.dataChange),
    stats: str(a.stats),
    tags: strMap(a.tags),
    deletionVector: dvValue(a.deletionVector),
    baseRowId: long(a.baseRowId, 'add.baseRowId'),
    defaultRowCommitVersion: long(a.defaultRowCommitVersion, 'add.defaultRowCommitVersion'),
    clusteringProvider: str(a.clusteringProvider),
  };
}

function removeValue(r: Remove): Value {
  return {
    path: r.path,
    deletionTimestamp: long(r.deletionTimestamp, `remove.deletionTimestamp of ${r.path}`),
    // PROTOCOL.md "Checkpoint Schema": tombstones in checkpoints are for VACUUM; dataChange is false there.
    dataChange: false,
    extendedFileMetadata: bool(r.extendedFileMetadata),
    partitionValues: strMap(r.partitionValues),
    size: long(r.size, `remove.size of ${r.path}`),
    deletionVector: dvValue(r.deletionVector),
    baseRowId: long(r.baseRowId, 'remove.baseRowId'),
    defaultRowCommitVersion: long(r.defaultRowCommitVersion, 'remove.defaultRowCommitVersion'),
  };
}

function metadataValue(m: Metadata): Value {
  return {
    id: m.id,
    name: str(m.name),
    description: str(m.description),
    format: { provider: m.format?.provider ?? 'parquet', options: strMap(m.format?.options ?? {}) },
    schemaString: m.schemaString,
    partitionColumns: [...(m.partitionColumns ?? [])],
    configuration: strMap(m.configuration ?? {}),
    createdTime: long(m.createdTime, 'metaData.createdTime'),
  };
}

function protocolValue(p: Protocol): Value {
  return {
    minReaderVersion: p.minReaderVersion,
    minWriterVersion: p.minWriterVersion,
    readerFeatures: p.readerFeatures ? [...p.readerFeatures] : null,
    writerFeatures: p.writerFeatures ? [...p.writerFeatures] : null,
  };
}

// ---------------------------------------------------------------------------------------------------------
// Tombstone retention

/**
 * Tombstones to keep: deletionTimestamp newer than now - delta.deletedFileRetentionDuration (PROTOCOL.md
 * "Checkpoints": expired tombstones may be dropped). A missing deletionTimestamp counts as 0 (expired), as Spark does.
 */
export function unexpiredTombstones(tombstones: readonly Remove[], metadata: Metadata, now: number): Remove[] {
  const min = now - new TableProperties(metadata.configuration ?? {}).deletedFileRetentionMs;
  return tombstones.filter((r) => (r.deletionTimestamp ?? 0) > min);
}

// ---------------------------------------------------------------------------------------------------------
// Writing

interface Rows {
  txn: Value[];
  add: Value[];
  remove: Value[];
  metaData: Value[];
  protocol: Value[];
  domainMetadata: Value[];
}

function encodePart(rows: Rows, withDomainMetadata: boolean, withClustering: boolean, compression: 'snappy' | 'zstd'): Uint8Array {
  const columns: [string, StructType, Value[]][] = [
    ['txn', TXN_TYPE, rows.txn],
    ['add', addType(withClustering), rows.add],
    ['remove', REMOVE_TYPE, rows.remove],
    ['metaData', METADATA_TYPE, rows.metaData],
    ['protocol', PROTOCOL_TYPE, rows.protocol],
  ];
  if (withDomainMetadata) columns.push(['domainMetadata', DOMAIN_METADATA_TYPE, rows.domainMetadata]);
  const schema = struct(...columns.map(([name, type]) => f(name, type)));
  const arrowSchema: arrow.Schema = toArrowSchema(schema);
  const data = columns.map(([, type, values]) => buildData(values, type));
  const table = tableFromData(
    columns.map(([n]) => n),
    data,
    arrowSchema,
  );
  return writeParquet(table, { compression, createdBy: 'deltats' });
}

/** The state a checkpoint of `snapshot` records. */
export function checkpointStateOf(snapshot: Snapshot): CheckpointState {
  return {
    version: snapshot.version,
    protocol: snapshot.protocol,
    metadata: snapshot.metadata,
    activeFiles: snapshot.activeFiles(),
    tombstones: snapshot.tombstones(),
    txns: [...snapshot.txns().values()],
    domainMetadata: [...snapshot.domainMetadata().values()],
  };
}

/**
 * Write the checkpoint of `state.version`: one action per row, each row with exactly one non-null top-level
 * column (PROTOCOL.md "Checkpoint Format"). The file is written with `put` (a complete object or nothing;
 * checkpoints are idempotent so overwriting is allowed), then `_last_checkpoint` is updated unless it already
 * names a newer checkpoint.
 */
export async function writeCheckpoint(
  store: ObjectStore,
  state: CheckpointState,
  opts: CheckpointWriteOptions = {},
): Promise<CheckpointWriteResult> {
  const { version } = state;
  if (!Number.isSafeInteger(version) || version < 0) throw new InvalidArgumentError(`checkpoint: invalid version ${version}`);
  const now = opts.now ?? Date.now();
  const compression = opts.compression ?? 'snappy';
  const tombstones = unexpiredTombstones(state.tombstones, state.metadata, now);
  const withDomainMetadata = state.domainMetadata.length > 0;
  const withClustering = state.activeFiles.some((a) => a.clusteringProvider !== undefined && a.clusteringProvider !== null);

  // All actions in order: protocol, metaData, txns, domain metadata, adds, removes.
  type Row = { col: keyof Rows; value: Value };
  const all: Row[] = [
    { col: 'protocol', value: protocolValue(state.protocol) },
    { col: 'metaData', value: metadataValue(state.metadata) },
    ...state.txns.map((t): Row => ({
      col: 'txn',
      value: { appId: t.appId, version: long(t.version, `txn.version of ${t.appId}`), lastUpdated: long(t.lastUpdated, 'txn.lastUpdated') },
    })),
    ...state.domainMetadata.map((d): Row => ({
      col: 'domainMetadata',
      value: { domain: d.domain, configuration: d.configuration, removed: Boolean(d.removed) },
    })),
    ...state.activeFiles.map((a): Row => ({ col: 'add', value: addValue(a) })),
    ...tombstones.map((r): Row => ({ col: 'remove', value: removeValue(r) })),
  ];

  const threshold = opts.partsThreshold;
  if (threshold !== undefined && !(Number.isSafeInteger(threshold) && threshold > 0)) {
    throw new InvalidArgumentError(`checkpoint: partsThreshold must be a positive integer, got ${threshold}`);
  }
  const numParts = threshold !== undefined && all.length > threshold ? Math.ceil(all.length / threshold) : 1;
  const perPart = Math.ceil(all.length / numParts);
  const parts: Uint8Array[] = [];
  for (let p = 0; p < numParts; p++) {
    const rows: Rows = { txn: [], add: [], remove: [], metaData: [], protocol: [], domainMetadata: [] };
    const keys = Object.keys(rows) as (keyof Rows)[];
    for (const r of all.slice(p * perPart, (p + 1) * perPart)) {
      for (const k of keys) rows[k].push(k === r.col ? r.value : null);
    }
    // Encode every part before writing any: a failure leaves no partial checkpoint behind.
    parts.push(encodePart(rows, withDomainMetadata, withClustering, compression));
  }

  const paths = numParts === 1 ? [classicCheckpointPath(version)] : parts.map((_, i) => multiPartCheckpointPath(version, i + 1, numParts));
  for (let i = 0; i < parts.length; i++) await store.put(paths[i]!, parts[i]!);
  const sizeInBytes = parts.reduce((s, b) => s + b.length, 0);

  const last: Record<string, number> = { version, size: all.length };
  if (numParts > 1) last.parts = numParts;
  last.sizeInBytes = sizeInBytes;
  last.numOfAddFiles = state.activeFiles.length;
  if (!(await newerCheckpointRecorded(store, version))) {
    await store.put(LAST_CHECKPOINT, new TextEncoder().encode(JSON.stringify(last)));
  }
  return {
    path: paths[0]!,
    size: sizeInBytes,
    numActions: all.length,
    numAddFiles: state.activeFiles.length,
    ...(numParts > 1 ? { parts: numParts } : {}),
  };
}

/** True when `_last_checkpoint` already points at a version newer than `version` (never move it backwards). */
async function newerCheckpointRecorded(store: ObjectStore, version: number): Promise<boolean> {
  try {
    const cur = JSON.parse(new TextDecoder().decode(await store.get(LAST_CHECKPOINT))) as { version?: unknown };
    return typeof cur.version === 'number' && cur.version > version;
  } catch {
    return false;
  }
}
