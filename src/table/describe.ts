// describe(table): the facts of one table version in one object (schema, partitioning, properties, protocol, sizes,
// last checkpoint). Reads the log state and `_delta_log/_last_checkpoint` only; never data files.
import type { Protocol } from '../log/actions.js';
import { type LastCheckpointHint, readLastCheckpoint } from '../log/segment.js';
import type { StructType } from '../schema/types.js';
import type { Snapshot } from '../log/snapshot.js';
import type { ObjectStore } from '../storage/store.js';

/** `_delta_log/_last_checkpoint` as read by the log (src/log/segment.ts), with the optional fields shown here. */
export interface LastCheckpointInfo extends LastCheckpointHint {
  sizeInBytes?: number;
  numOfAddFiles?: number;
}

export interface TableDescription {
  uri: string;
  version: number;
  /** Commit time of `version` (ms since epoch). */
  timestamp: number;
  id: string;
  name: string | null;
  description: string | null;
  createdTime: number | null;
  schema: StructType;
  partitionColumns: string[];
  properties: Record<string, string>;
  protocol: {
    minReaderVersion: number;
    minWriterVersion: number;
    readerFeatures: string[];
    writerFeatures: string[];
  };
  numFiles: number;
  sizeInBytes: number;
  /** Parsed `_delta_log/_last_checkpoint`, or null when the table has none (or it is unreadable). */
  lastCheckpoint: LastCheckpointInfo | null;
}

function protocolInfo(p: Protocol): TableDescription['protocol'] {
  return {
    minReaderVersion: p.minReaderVersion,
    minWriterVersion: p.minWriterVersion,
    readerFeatures: [...(p.readerFeatures ?? [])],
    writerFeatures: [...(p.writerFeatures ?? [])],
  };
}

/** Describe the loaded version of `table`. */
export async function describe(table: { readonly uri: string; readonly store: ObjectStore; readonly snapshot: Snapshot }): Promise<TableDescription> {
  const snap = table.snapshot;
  const files = snap.activeFiles();
  const md = snap.metadata;
  return {
    uri: table.uri,
    version: snap.version,
    timestamp: snap.timestamp,
    id: md.id,
    name: md.name ?? null,
    description: md.description ?? null,
    createdTime: md.createdTime ?? null,
    schema: snap.schema,
    partitionColumns: [...snap.partitionColumns],
    properties: { ...(md.configuration ?? {}) },
    protocol: protocolInfo(snap.protocol),
    numFiles: files.length,
    sizeInBytes: files.reduce((s, a) => s + (a.size ?? 0), 0),
    lastCheckpoint: await readLastCheckpoint(table.store),
  };
}
