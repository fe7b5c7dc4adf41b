// What every operation does around its commit: remove actions for the files it drops, commitInfo metrics of the
// files it writes, the optimistic commit itself, and removal of files a commit known not to have landed wrote.
import type { Action, Add, Remove } from '../../log/actions.js';
import { storePathOf } from '../../log/paths.js';
import type { Snapshot } from '../../log/snapshot.js';
import { Transaction, type CommitResult, type TransactionOptions } from '../../log/transaction.js';
import { CommitOutcomeUnknownError } from '../../errors.js';

/** PROTOCOL.md "Add File and Remove File": a remove carries the add's metadata when extendedFileMetadata is true. */
export function removeOf(add: Add, deletionTimestamp: number, dataChange = true): Remove {
  const r: Remove = {
    path: add.path,
    deletionTimestamp,
    dataChange,
    extendedFileMetadata: true,
    partitionValues: add.partitionValues,
    size: add.size,
  };
  if (add.stats) r.stats = add.stats;
  if (add.tags) r.tags = add.tags;
  if (add.deletionVector) r.deletionVector = add.deletionVector;
  if (add.baseRowId != null) r.baseRowId = add.baseRowId;
  if (add.defaultRowCommitVersion != null) r.defaultRowCommitVersion = add.defaultRowCommitVersion;
  return r;
}

/** Spark's WRITE metrics of the files an operation wrote. */
export function writeMetrics(adds: readonly Add[], rows: number): Record<string, string> {
  return {
    numFiles: String(adds.length),
    numOutputRows: String(rows),
    numOutputBytes: String(adds.reduce((n, a) => n + a.size, 0)),
  };
}

/**
 * Commit `actions` on top of `snapshot` (the version the operation read). When the commit is known not to have
 * landed, the objects the operation wrote (`written`: store paths of data and deletion vector files) are deleted,
 * best effort: nothing references them (VACUUM would remove them later).
 */
export async function commitActions(
  snapshot: Snapshot,
  actions: Action[],
  options: TransactionOptions,
  written: readonly string[] = [],
): Promise<CommitResult> {
  try {
    return await new Transaction(snapshot.store, snapshot, options).addActions(actions).commit();
  } catch (e) {
    // After an unknown outcome the commit may have landed and reference the files: keep them.
    if (!(e instanceof CommitOutcomeUnknownError)) await deleteWritten(snapshot, written);
    throw e;
  }
}

/** Store paths of the data files of `adds`. */
export function storePathsOf(snapshot: Snapshot, adds: readonly Add[]): string[] {
  return adds.map((a) => storePathOf(snapshot.store, a.path));
}

/** Best-effort removal of objects an operation wrote but did not commit. */
export async function deleteWritten(snapshot: Snapshot, written: readonly string[]): Promise<void> {
  if (!written.length) return;
  try {
    await snapshot.store.deleteMany([...written]);
  } catch {
    // VACUUM removes them later.
  }
}
