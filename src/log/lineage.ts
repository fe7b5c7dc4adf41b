// Lineage of a snapshot: the identity (digest) of the commit file a snapshot ends at, and the check that the log
// in the store still holds that commit before a transaction writes the next version on top of it.
import { createHash } from 'node:crypto';
import { NotFoundError, TableChangedError } from '../errors.js';
import type { ObjectStore } from '../storage/store.js';
import { commitPath } from './paths.js';

/** Identity of a commit file's bytes (two commits of one table never share it: each carries its own commitInfo). */
export function commitDigest(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/**
 * Throws TableChangedError unless commit `version` is still in `store` (and, when `digest` is known, byte-identical
 * to the one read): a table deleted and re-created at the same location must not receive a commit computed on the
 * old table's state (it would reference the old schema and files and break the new table's log).
 */
export async function verifyLineage(store: ObjectStore, version: number, digest: string | undefined): Promise<void> {
  const path = commitPath(version);
  if (digest === undefined) {
    if (!(await store.head(path))) throw new TableChangedError(store.uri, version, `commit ${path} is gone`);
    return;
  }
  let bytes: Uint8Array;
  try {
    bytes = await store.get(path);
  } catch (e) {
    if (e instanceof NotFoundError) throw new TableChangedError(store.uri, version, `commit ${path} is gone`);
    throw e;
  }
  if (commitDigest(bytes) !== digest) {
    throw new TableChangedError(store.uri, version, `commit ${path} is not the one this handle read`);
  }
}
