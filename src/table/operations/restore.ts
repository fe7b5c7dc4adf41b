// RESTORE: one commit that makes the latest version of the table equal to an earlier version (files, metadata, protocol).
// It never rewrites data: it re-adds files that still exist and refuses when any needed file was vacuumed.
import stableStringify from 'fast-json-stable-stringify';
import type { Action, Add, Metadata, Protocol } from '../../log/actions.js';
import { fileKey } from '../../log/actions.js';
import { dvAbsolutePath } from '../../log/deletion_vectors.js';
import { storePathOf } from '../../log/paths.js';
import { Snapshot } from '../../log/snapshot.js';
import { DataFileNotFoundError, InvalidArgumentError } from '../../errors.js';
import { commitActions, removeOf } from './commit.js';
import type { Committed } from './write.js';

export type RestoreTarget = { version: number; timestamp?: undefined } | { timestamp: Date | string | number; version?: undefined };

export interface RestoreMetrics {
  numRestoredFiles: number;
  numRemovedFiles: number;
  restoredFilesSize: number;
  removedFilesSize: number;
  tableSizeAfterRestore: number;
  numOfFilesAfterRestore: number;
}

export interface RestoreResult {
  /** The new version written by the restore. */
  version: number;
  /** The version whose state was restored. */
  restoredVersion: number;
  metrics: RestoreMetrics;
}

const CHECK_CONCURRENCY = 16;

function toDate(t: Date | string | number): Date {
  const d = t instanceof Date ? t : new Date(t);
  if (Number.isNaN(d.getTime())) throw new InvalidArgumentError(`cannot read '${String(t)}' as a timestamp (use ISO-8601, e.g. 2024-05-01T12:00:00Z)`);
  return d;
}

/**
 * The protocol after restore: never downgraded. Versions are the max of both; feature lists the union
 * (PROTOCOL.md "Protocol Evolution": a table's protocol only moves forward).
 */
export function restoredProtocol(current: Protocol, target: Protocol): Protocol | null {
  const minReaderVersion = Math.max(current.minReaderVersion, target.minReaderVersion);
  const minWriterVersion = Math.max(current.minWriterVersion, target.minWriterVersion);
  const union = (a?: string[], b?: string[]): string[] => [...new Set([...(a ?? []), ...(b ?? [])])];
  const out: Protocol = { ...current, minReaderVersion, minWriterVersion };
  if (minReaderVersion >= 3) out.readerFeatures = union(current.readerFeatures, target.readerFeatures);
  else delete out.readerFeatures;
  if (minWriterVersion >= 7) out.writerFeatures = union(current.writerFeatures, target.writerFeatures);
  else delete out.writerFeatures;
  const same =
    out.minReaderVersion === current.minReaderVersion &&
    out.minWriterVersion === current.minWriterVersion &&
    JSON.stringify(out.readerFeatures ?? null) === JSON.stringify(current.readerFeatures ?? null) &&
    JSON.stringify(out.writerFeatures ?? null) === JSON.stringify(current.writerFeatures ?? null);
  return same ? null : out;
}

function sameMetadata(a: Metadata, b: Metadata): boolean {
  return (
    a.id === b.id &&
    a.schemaString === b.schemaString &&
    JSON.stringify(a.partitionColumns) === JSON.stringify(b.partitionColumns) &&
    stableStringify(a.configuration ?? {}) === stableStringify(b.configuration ?? {}) &&
    (a.name ?? null) === (b.name ?? null) &&
    (a.description ?? null) === (b.description ?? null)
  );
}

/**
 * Restore the table whose latest version is `current` to `target` (a version, or the latest version committed at
 * or before a timestamp).
 */
export async function restore(current: Snapshot, target: RestoreTarget): Promise<Committed<RestoreResult>> {
  const store = current.store;
  let old: Snapshot;
  if (target.version !== undefined) {
    if (!Number.isSafeInteger(target.version) || target.version < 0) {
      throw new InvalidArgumentError(`restore version must be a non-negative integer (got ${target.version})`);
    }
    if (target.version > current.version) {
      throw new InvalidArgumentError(`cannot restore ${store.uri} to version ${target.version}: the latest version is ${current.version}`);
    }
    old = await Snapshot.load(store, { version: target.version });
  } else {
    old = await Snapshot.load(store, { timestamp: toDate(target.timestamp).getTime() });
  }

  const now = Date.now();
  const currentFiles = new Map<string, Add>(current.activeFiles().map((a) => [fileKey(a), a]));
  const oldFiles = new Map<string, Add>(old.activeFiles().map((a) => [fileKey(a), a]));
  const toAdd = [...oldFiles].filter(([k]) => !currentFiles.has(k)).map(([, a]) => a);
  const toRemove = [...currentFiles].filter(([k]) => !oldFiles.has(k)).map(([, a]) => a);

  // Every file (and DV file) the restored version needs must still exist: VACUUM may have deleted it.
  const needed: Array<{ logPath: string; storePath: string }> = [];
  for (const a of toAdd) {
    needed.push({ logPath: a.path, storePath: storePathOf(store, a.path) });
    if (a.deletionVector && a.deletionVector.storageType !== 'i') {
      const dvPath = dvAbsolutePath(a.deletionVector);
      needed.push({ logPath: dvPath, storePath: storePathOf(store, dvPath, 'deletion vector') });
    }
  }
  let next = 0;
  let missing: string | null = null;
  const worker = async (): Promise<void> => {
    for (let i = next++; i < needed.length && missing === null; i = next++) {
      if ((await store.head(needed[i]!.storePath)) === null) missing ??= needed[i]!.logPath;
    }
  };
  await Promise.all(Array.from({ length: Math.min(CHECK_CONCURRENCY, needed.length) }, worker));
  if (missing !== null) {
    throw new DataFileNotFoundError(
      missing,
      `cannot restore ${store.uri} to version ${old.version} because the file was deleted (probably by VACUUM)`,
    );
  }

  const actions: Action[] = [];
  const protocol = restoredProtocol(current.protocol, old.protocol);
  if (protocol) actions.push({ protocol });
  if (!sameMetadata(current.metadata, old.metadata)) actions.push({ metaData: old.metadata });
  for (const a of toRemove) actions.push({ remove: removeOf(a, now) });
  for (const a of toAdd) actions.push({ add: { ...a, dataChange: true } });

  const sum = (xs: Add[]): number => xs.reduce((s, a) => s + (a.size ?? 0), 0);
  const oldList = [...oldFiles.values()];
  const metrics: RestoreMetrics = {
    numRestoredFiles: toAdd.length,
    numRemovedFiles: toRemove.length,
    restoredFilesSize: sum(toAdd),
    removedFilesSize: sum(toRemove),
    tableSizeAfterRestore: sum(oldList),
    numOfFilesAfterRestore: oldList.length,
  };
  const res = await commitActions(current, actions, {
    operation: 'RESTORE',
    operationParameters: {
      version: target.version !== undefined ? old.version : null,
      timestamp: target.timestamp !== undefined ? toDate(target.timestamp).toISOString() : null,
    },
    operationMetrics: { ...metrics },
    // The new state is computed from the whole current table: any concurrent data change invalidates it.
    readPredicate: 'all',
  });
  return { result: { version: res.version, restoredVersion: old.version, metrics }, snapshot: res.snapshot };
}
