// Conflict detection between a transaction that lost the race for version v and the commits that won it.
// Follows Delta's optimistic concurrency rules (PROTOCOL.md "Optimistic Concurrency Control"; Spark's ConflictChecker).
import type { Action, Add, Metadata, Protocol, Remove, Txn } from './actions.js';
import { fileKey } from './actions.js';
import { onlyEnablesInCommitTimestamps } from './in_commit_timestamp.js';
import {
  ConcurrentAppendError,
  ConcurrentDeleteDeleteError,
  ConcurrentDeleteReadError,
  ConcurrentTransactionError,
  MetadataChangedError,
  ProtocolChangedError,
  TableExistsError,
} from '../errors.js';

/** What the losing transaction read and wrote, reduced to what the rules need. */
export interface TransactionFootprint {
  /** The transaction creates the table (version 0). */
  isCreate: boolean;
  /** The transaction writes metaData (schema change, properties, overwrite schema). */
  changesMetadata: boolean;
  changesProtocol: boolean;
  /**
   * Read dependency: undefined = blind (appends commute); 'all' = read the whole table;
   * a function = files matching the read predicate (partition + stats pruning, conservative).
   */
  readPredicate?: 'all' | ((add: Add) => boolean);
  /** Keys (fileKey) of the files the transaction read and depends on (e.g. files it removes or rewrites). */
  readFileKeys: Set<string>;
  /** Keys of the files the transaction removes. */
  removedFileKeys: Set<string>;
  /** Keys of the files the transaction removes with dataChange=true (DELETE / UPDATE / MERGE rewriting rows). */
  dataRemovedFileKeys?: Set<string>;
  /** App ids of txn actions the transaction writes. */
  txnAppIds: Set<string>;
  tableUri: string;
}

export function footprintActions(actions: Action[]): {
  adds: Add[];
  removes: Remove[];
  txns: Txn[];
  hasMetadata: boolean;
  hasProtocol: boolean;
} {
  const adds: Add[] = [];
  const removes: Remove[] = [];
  const txns: Txn[] = [];
  let hasMetadata = false;
  let hasProtocol = false;
  for (const a of actions) {
    if ('add' in a) adds.push(a.add);
    else if ('remove' in a) removes.push(a.remove);
    else if ('txn' in a) txns.push(a.txn);
    else if ('metaData' in a) hasMetadata = true;
    else if ('protocol' in a) hasProtocol = true;
  }
  return { adds, removes, txns, hasMetadata, hasProtocol };
}

/**
 * Throws the typed conflict error when the winning commit invalidates the losing transaction. `before`: the protocol
 * and metaData the winner committed over (the read snapshot's, then each earlier winner's); with it, a winner that
 * only turned In-Commit Timestamps on does not conflict with a transaction that changes neither.
 */
export function checkConflict(
  ours: TransactionFootprint,
  winnerVersion: number,
  winnerActions: Action[],
  before?: { protocol: Protocol; metadata: Metadata },
): void {
  if (ours.isCreate) throw new TableExistsError(ours.tableUri);
  const w = footprintActions(winnerActions);
  const at = `version ${winnerVersion} of ${ours.tableUri}`;
  const ictOnly =
    before !== undefined &&
    !ours.changesMetadata &&
    !ours.changesProtocol &&
    onlyEnablesInCommitTimestamps(before, protocolOf(winnerActions), metadataOf(winnerActions));
  if (w.hasProtocol && !ictOnly) {
    throw new ProtocolChangedError(`the protocol was changed by a concurrent commit at ${at}; retry the operation`, winnerVersion);
  }
  if (w.hasMetadata && !ictOnly) {
    throw new MetadataChangedError(
      `the table metadata (schema, partitioning or properties) was changed by a concurrent commit at ${at}; retry the operation`,
      winnerVersion,
    );
  }
  for (const t of w.txns) {
    if (ours.txnAppIds.has(t.appId)) {
      throw new ConcurrentTransactionError(
        `a concurrent commit at ${at} carried a txn for the same appId '${t.appId}' (version ${t.version})`,
        winnerVersion,
      );
    }
  }
  // Two data changes removing the same file (two DELETE / UPDATE / MERGE on the same rows) is the root cause even when
  // the winner also re-added rows we would have read: report it first, as the specific error.
  for (const rm of w.removes) {
    if (rm.dataChange && ours.dataRemovedFileKeys?.has(fileKey(rm))) {
      throw new ConcurrentDeleteDeleteError(
        `file ${rm.path} was removed by a concurrent commit at ${at}, and this operation removes it too; retry the operation`,
        winnerVersion,
      );
    }
  }
  // A transaction that rewrites metadata depends on the whole table (Spark: readWholeTable on metadata update).
  const pred = ours.changesMetadata || ours.changesProtocol ? 'all' : ours.readPredicate;
  if (pred) {
    for (const add of w.adds) {
      if (!add.dataChange) continue;
      if (pred === 'all' || pred(add)) {
        throw new ConcurrentAppendError(
          `files were added by a concurrent commit at ${at} that this operation would have read (e.g. ${add.path}); retry the operation`,
          winnerVersion,
        );
      }
    }
  }
  // Spark's order: a removed file this transaction read is a delete-read conflict, before delete-delete.
  for (const rm of w.removes) {
    const key = fileKey(rm);
    if (ours.readFileKeys.has(key) || (rm.dataChange && pred === 'all')) {
      throw new ConcurrentDeleteReadError(
        `file ${rm.path}, read by this operation, was removed by a concurrent commit at ${at}; retry the operation`,
        winnerVersion,
      );
    }
    if (ours.removedFileKeys.has(key)) {
      throw new ConcurrentDeleteDeleteError(
        `file ${rm.path} was removed by a concurrent commit at ${at}, and this operation removes it too`,
        winnerVersion,
      );
    }
  }
}

export function protocolOf(actions: readonly Action[]): Protocol | undefined {
  return actions.find((a): a is { protocol: Protocol } => 'protocol' in a)?.protocol;
}

export function metadataOf(actions: readonly Action[]): Metadata | undefined {
  return actions.find((a): a is { metaData: Metadata } => 'metaData' in a)?.metaData;
}
