// VACUUM: delete data files that no version inside the retention window references and that are older than it.
// Never touches `_delta_log/`, `_`/`.`-hidden folders and files, live files, recent tombstones or recent (in-flight) files.
import type { Add, DeletionVectorDescriptor, Remove } from '../../log/actions.js';
import { dvAbsolutePath } from '../../log/deletion_vectors.js';
import { storePathOf } from '../../log/paths.js';
import type { Snapshot } from '../../log/snapshot.js';
import { TABLE_PROPERTIES } from '../../log/table_properties.js';
import { Transaction } from '../../log/transaction.js';
import { InvalidArgumentError } from '../../errors.js';
import type { ObjectMeta, ObjectStore } from '../../storage/store.js';
import type { ProgressCallback } from '../progress.js';
import type { Committed } from './write.js';

const RETENTION_PROPERTY = TABLE_PROPERTIES.deletedFileRetentionMs.key;
const HOUR_MS = 3_600_000;
const DELETE_BATCH = 1000;

export interface VacuumOptions {
  /** Keep files needed by versions of the last `retentionHours` hours (default: delta.deletedFileRetentionDuration). */
  retentionHours?: number;
  /** List what would be deleted; delete nothing and commit nothing. */
  dryRun?: boolean;
  /** Allow a retention shorter than the table's configured retention (unsafe with concurrent readers/writers). */
  force?: boolean;
  onProgress?: ProgressCallback;
  /** Clock override for tests (epoch ms). */
  now?: number;
}

export interface VacuumResult {
  /** Store-relative paths deleted (or that would be, for a dry run), sorted. */
  filesDeleted: string[];
  /** Total size of those files. */
  bytes: number;
  dryRun: boolean;
  retentionHours: number;
  /** Version of the VACUUM END commit (absent for dry runs). */
  version?: number;
  /** Stale temp files of failed writes deleted (or that would be), store-relative; not counted in `bytes`. */
  tempFilesDeleted: string[];
}

/**
 * Hidden paths VACUUM never considers: any folder or file name starting with '_' or '.' (e.g. `_delta_log`,
 * `_change_data`, `.deltats-tmp-*`, `_SUCCESS`), except partition folders such as `_p=1`
 * (PROTOCOL.md "Data Files": data lives in the root or in non-hidden subdirectories).
 */
export function isHiddenPath(path: string): boolean {
  const segs = path.split('/');
  const file = segs.pop()!;
  if (file.startsWith('_') || file.startsWith('.')) return true;
  return segs.some((s) => s.startsWith('.') || (s.startsWith('_') && !s.includes('=')));
}

/** Every file a version inside the window can reference: live files, tombstones newer than the cutoff, their DVs. */
function referencedFiles(snapshot: Snapshot, store: ObjectStore, cutoff: number): Set<string> {
  const referenced = new Set<string>();
  for (const a of snapshot.activeFiles() as Add[]) addReferenced(referenced, store, a.path, a.deletionVector);
  for (const r of snapshot.tombstones() as Remove[]) {
    if ((r.deletionTimestamp ?? 0) > cutoff) addReferenced(referenced, store, r.path, r.deletionVector);
  }
  return referenced;
}

function addReferenced(out: Set<string>, store: ObjectStore, path: string, dv?: DeletionVectorDescriptor | null): void {
  out.add(safeStorePath(store, path));
  if (dv && dv.storageType !== 'i') {
    try {
      out.add(safeStorePath(store, dvAbsolutePath(dv)));
    } catch {
      // A malformed descriptor cannot name a file we could delete by mistake: nothing to protect.
    }
  }
}

function safeStorePath(store: ObjectStore, path: string): string {
  try {
    return storePathOf(store, path);
  } catch {
    return path; // outside the table root: never in the listing anyway
  }
}

/**
 * Delete unreferenced data files older than the retention window of `snapshot` (the latest version); see
 * VacuumOptions. The snapshot after the VACUUM END commit comes back (the given one after a dry run).
 */
export async function vacuum(snapshot: Snapshot, options: VacuumOptions = {}): Promise<Committed<VacuumResult>> {
  const store = snapshot.store;
  // PROTOCOL.md "VACUUM Protocol Check": vacuum must pass the writer protocol check on every table.
  snapshot.config.assertWritable();

  const configuredMs = snapshot.config.properties.deletedFileRetentionMs;
  const retentionMs = options.retentionHours !== undefined ? options.retentionHours * HOUR_MS : configuredMs;
  if (!(retentionMs >= 0) || !Number.isFinite(retentionMs)) {
    throw new InvalidArgumentError(`retention must be a non-negative number of hours (got ${options.retentionHours})`);
  }
  if (retentionMs < configuredMs && !options.force) {
    throw new InvalidArgumentError(
      `refusing to vacuum with a retention of ${retentionMs / HOUR_MS} hours, shorter than the table's ` +
        `${configuredMs / HOUR_MS} hours (${RETENTION_PROPERTY}): files that concurrent readers, writers or time travel ` +
        `still need could be deleted; pass force (--force) to do it anyway or lower ${RETENTION_PROPERTY}`,
    );
  }
  const now = options.now ?? Date.now();
  const cutoff = now - retentionMs;

  const referenced = referencedFiles(snapshot, store, cutoff);

  options.onProgress?.({ phase: 'listing files', done: 0, total: 0 });
  const candidates: ObjectMeta[] = [];
  for await (const m of store.list('', { recursive: true })) {
    if (isHiddenPath(m.path) || referenced.has(m.path)) continue;
    // Files newer than the window may belong to a writer that has not committed yet.
    if (m.lastModified.getTime() >= cutoff) continue;
    candidates.push(m);
  }
  candidates.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  // Leftovers of failed writes (local temp files): no version references them, so they go without a commit, first:
  // on a full disk they are what frees the room the VACUUM START commit needs.
  const temps = (await store.staleTempFiles?.(cutoff)) ?? [];
  const bytes = candidates.reduce((s, m) => s + m.size, 0);
  const result: VacuumResult = {
    filesDeleted: candidates.map((m) => m.path),
    bytes,
    dryRun: Boolean(options.dryRun),
    retentionHours: retentionMs / HOUR_MS,
    tempFilesDeleted: temps.map((m) => m.path),
  };
  if (options.dryRun) return { result, snapshot };
  if (temps.length) await store.deleteMany(temps.map((m) => m.path));

  // Spark records VACUUM START / VACUUM END commits (commitInfo only) around the deletion.
  const start = await new Transaction(store, snapshot, {
    operation: 'VACUUM START',
    operationParameters: {
      retentionCheckEnabled: !options.force,
      ...(options.retentionHours !== undefined ? { specifiedRetentionMillis: retentionMs } : {}),
      defaultRetentionMillis: configuredMs,
    },
    operationMetrics: { numFilesToDelete: candidates.length, sizeOfDataToDelete: bytes },
    skipCheckpoint: true,
  }).commit();
  // Files listed above may have been written by writers that committed them since (the commits VACUUM START rebased
  // over, or later ones): with a short retention they are candidates. Drop every file a version since references.
  const afterStart = await start.snapshot.update();
  const since = referencedFiles(afterStart, store, cutoff);
  const kept = candidates.filter((m) => !since.has(m.path));
  result.filesDeleted = kept.map((m) => m.path);
  result.bytes = kept.reduce((s, m) => s + m.size, 0);
  const filesDeleted = result.filesDeleted;

  let done = 0;
  options.onProgress?.({ phase: 'deleting files', done, total: filesDeleted.length });
  for (let i = 0; i < filesDeleted.length; i += DELETE_BATCH) {
    const batch = filesDeleted.slice(i, i + DELETE_BATCH);
    await store.deleteMany(batch);
    done += batch.length;
    options.onProgress?.({ phase: 'deleting files', done, total: filesDeleted.length });
  }

  const end = await new Transaction(store, await afterStart.update(), {
    operation: 'VACUUM END',
    operationParameters: { status: 'COMPLETED' },
    operationMetrics: { numDeletedFiles: filesDeleted.length, numVacuumedDirectories: 0 },
    skipCheckpoint: true,
  }).commit();
  result.version = end.version;
  return { result, snapshot: end.snapshot };
}
