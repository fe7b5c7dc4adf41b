// Log replay: reconcile actions into table state (PROTOCOL.md "Action Reconciliation").
// Pure in-memory state; knows nothing about files, stores or which checkpoint/commits were chosen.
import type { Action, Add, DomainMetadata, Metadata, Protocol, Remove, Txn } from './actions.js';
import { fileKey } from './actions.js';

/**
 * Table state built by applying actions in log order: checkpoint actions first, then each commit in version order.
 *
 * PROTOCOL.md "Action Reconciliation":
 * - the latest `protocol` and `metaData` win;
 * - `txn`: the latest version per appId wins;
 * - `domainMetadata`: the latest per domain wins, `removed: true` drops the domain;
 * - files are keyed by (path, deletion vector unique id): an `add` replaces any earlier add with the same key and
 *   cancels a tombstone for it, a `remove` deletes the active add with the same key and becomes a tombstone.
 */
export class LogReplay {
  protocol: Protocol | undefined;
  metadata: Metadata | undefined;
  readonly adds: Map<string, Add>;
  readonly removes: Map<string, Remove>;
  readonly txns: Map<string, Txn>;
  readonly domains: Map<string, DomainMetadata>;

  constructor(from?: LogReplay) {
    this.protocol = from?.protocol;
    this.metadata = from?.metadata;
    this.adds = new Map(from?.adds);
    this.removes = new Map(from?.removes);
    this.txns = new Map(from?.txns);
    this.domains = new Map(from?.domains);
  }

  /** An independent copy (the maps are copied; action objects are shared and must be treated as immutable). */
  clone(): LogReplay {
    return new LogReplay(this);
  }

  /** Apply the actions of one commit (or a checkpoint) in order. */
  apply(actions: Iterable<Action>): this {
    for (const a of actions) this.applyOne(a);
    return this;
  }

  applyOne(a: Action): void {
    if ('add' in a) {
      const k = fileKey(a.add);
      this.adds.set(k, a.add);
      this.removes.delete(k);
    } else if ('remove' in a) {
      const k = fileKey(a.remove);
      this.adds.delete(k);
      this.removes.set(k, a.remove);
    } else if ('metaData' in a) {
      this.metadata = a.metaData;
    } else if ('protocol' in a) {
      this.protocol = a.protocol;
    } else if ('txn' in a) {
      this.txns.set(a.txn.appId, a.txn);
    } else if ('domainMetadata' in a) {
      const d = a.domainMetadata;
      if (d.removed) this.domains.delete(d.domain);
      else this.domains.set(d.domain, d);
    }
    // cdc, commitInfo, checkpointMetadata, sidecar do not change the reconciled state.
  }

  activeFiles(): Add[] {
    return [...this.adds.values()];
  }

  tombstones(): Remove[] {
    return [...this.removes.values()];
  }
}
