// Transaction: optimistic commit of a list of actions as `_delta_log/<v>.json` via putIfAbsent.
// On a lost race it reads the winning commits, applies conflicts.ts, rebases and retries; it never writes data files.
import { v4 as uuidv4 } from 'uuid';
import type { Action, Add, CommitInfo, Metadata, Protocol, Remove } from './actions.js';
import { fileKey } from './actions.js';
import { checkConflict, footprintActions, metadataOf, protocolOf, type TransactionFootprint } from './conflicts.js';
import { commitPath } from './paths.js';
import { parseCommit, readCommit, serializeActions } from './codec.js';
import { commitDigest, verifyLineage } from './lineage.js';
import { metadataWithEnablement, nextInCommitTimestamp } from './in_commit_timestamp.js';
import { Snapshot } from './snapshot.js';
import { checkpointStateOf, writeCheckpoint } from './checkpoint_write.js';
import { TableConfiguration } from './table_configuration.js';
import type { ObjectStore } from '../storage/store.js';
import { CommitFailedError, CommitOutcomeUnknownError, InvalidArgumentError, NotFoundError, StorageError } from '../errors.js';
import { ENGINE_INFO } from '../version.js';

export interface TransactionOptions {
  /** commitInfo.operation, e.g. 'WRITE', 'CREATE TABLE', 'OPTIMIZE'. */
  operation: string;
  /** commitInfo.operationParameters; values are written as Spark does (strings, JSON for non-strings). */
  operationParameters?: Record<string, unknown>;
  operationMetrics?: Record<string, unknown>;
  /** Read dependency for conflict detection: omit for blind appends. */
  readPredicate?: 'all' | ((add: Add) => boolean);
  /** Files the transaction read and depends on (beyond those it removes). */
  readFiles?: Array<Add | Remove>;
  /** Extra commitInfo fields (e.g. userMetadata). */
  commitInfo?: Record<string, unknown>;
  /** Maximum number of rebases after lost races (default 100). */
  maxRetries?: number;
  /** Skip writing a checkpoint even when the interval says so. */
  skipCheckpoint?: boolean;
  /** Wall clock in ms since the epoch (default Date.now): commitInfo.timestamp and the inCommitTimestamp's floor. */
  clock?: () => number;
}

export interface CommitResult {
  version: number;
  snapshot: Snapshot;
  /** Number of lost races before this commit won. */
  retries: number;
}

export class Transaction {
  private readonly actions: Action[] = [];
  /** commitInfo.txnId of every attempt: how an ambiguous commit is recognised as ours in the log. */
  readonly txnId = uuidv4();

  /**
   * @param store the table's store
   * @param snapshot the snapshot read (null when creating the table: the commit must be version 0)
   */
  constructor(
    readonly store: ObjectStore,
    private snapshot: Snapshot | null,
    readonly options: TransactionOptions,
  ) {}

  addActions(actions: Action[]): this {
    this.actions.push(...actions);
    return this;
  }

  get readVersion(): number {
    return this.snapshot ? this.snapshot.version : -1;
  }

  private footprint(): TransactionFootprint {
    const f = footprintActions(this.actions);
    const readFileKeys = new Set<string>();
    for (const r of this.options.readFiles ?? []) readFileKeys.add(fileKey(r));
    const removedFileKeys = new Set(f.removes.map((r) => fileKey(r)));
    for (const k of removedFileKeys) readFileKeys.add(k);
    return {
      isCreate: this.snapshot === null,
      changesMetadata: f.hasMetadata,
      changesProtocol: f.hasProtocol,
      readPredicate: this.options.readPredicate,
      readFileKeys,
      removedFileKeys,
      dataRemovedFileKeys: new Set(f.removes.filter((r) => r.dataChange).map((r) => fileKey(r))),
      txnAppIds: new Set(f.txns.map((t) => t.appId)),
      tableUri: this.store.uri,
    };
  }

  /** The configuration this commit writes under (its own protocol / metaData, else the snapshot's), checked. */
  private validate(protocol: Protocol, metadata: Metadata): TableConfiguration {
    const snap = this.snapshot;
    const config =
      snap && snap.protocol === protocol && snap.metadata === metadata ? snap.config : new TableConfiguration(protocol, metadata);
    if (config !== snap?.config) config.properties.validate();
    config.assertWritable();
    config.assertCommitAllowed({
      operation: this.options.operation,
      removesData: footprintActions(this.actions).removes.some((r) => r.dataChange),
      tableUri: this.store.uri,
    });
    return config;
  }

  /**
   * The commit time of the version this attempt builds on, which the inCommitTimestamp must exceed (PROTOCOL.md
   * "Writer Requirements for In-Commit Timestamps" 3 and 5): its inCommitTimestamp on a table already timed so, else
   * (the enabling commit) the modification time of its commit file as the store reports it, not our clock.
   */
  private async previousCommitTime(): Promise<number | undefined> {
    const snap = this.snapshot;
    if (!snap) return undefined;
    if (snap.config.inCommitTimestampsAt(snap.version)) return snap.timestamp;
    const m = await this.store.head(commitPath(snap.version));
    return Math.max(snap.timestamp, m ? m.lastModified.getTime() : -Infinity);
  }

  private buildCommitInfo(readVersion: number, timestamp: number, inCommitTimestamp: number | undefined): CommitInfo {
    const f = footprintActions(this.actions);
    const isBlindAppend =
      this.options.readPredicate === undefined && f.removes.length === 0 && !f.hasMetadata && f.adds.every((a) => a.dataChange);
    const params: Record<string, string> = {};
    for (const [k, v] of Object.entries(this.options.operationParameters ?? {})) {
      if (v === undefined || v === null) continue;
      params[k] = typeof v === 'string' ? v : JSON.stringify(v);
    }
    // The caller's extra fields cannot set the commit's timing.
    const { inCommitTimestamp: _ignored, ...extra } = this.options.commitInfo ?? {};
    const info: CommitInfo = {
      // PROTOCOL.md "In-Commit Timestamps": a long in commitInfo; first, as Spark writes it.
      ...(inCommitTimestamp !== undefined ? { inCommitTimestamp } : {}),
      timestamp,
      operation: this.options.operation,
      operationParameters: params,
      ...(readVersion >= 0 ? { readVersion } : {}),
      isolationLevel: 'Serializable',
      isBlindAppend,
      ...(this.options.operationMetrics ? { operationMetrics: stringifyValues(this.options.operationMetrics) } : {}),
      engineInfo: ENGINE_INFO,
      ...extra,
      txnId: this.txnId,
    };
    return info;
  }

  /**
   * Commit, rebasing over lost races. Throws CommitOutcomeUnknownError when the commit may have landed but the log
   * cannot tell; any other error means nothing was committed (so the caller may delete the data files it wrote).
   */
  async commit(): Promise<CommitResult> {
    const maxRetries = this.options.maxRetries ?? 100;
    const footprint = this.footprint();
    let retries = 0;
    for (;;) {
      const protocolAction = protocolOf(this.actions);
      const metadataAction = metadataOf(this.actions);
      const protocol = protocolAction ?? this.snapshot?.protocol;
      const metadata = metadataAction ?? this.snapshot?.metadata;
      if (!protocol || !metadata) {
        throw new InvalidArgumentError('the first commit of a table must carry protocol and metaData actions');
      }
      const config = this.validate(protocol, metadata);
      const version = this.readVersion + 1;
      if (this.snapshot) await verifyLineage(this.store, this.snapshot.version, this.snapshot.lastCommitDigest);
      // Read before committing: a malformed delta.checkpointInterval fails the write, not the checkpoint after it.
      const checkpointDue = !this.options.skipCheckpoint && config.checkpointDue(version) && !config.requiresV2Checkpoints;
      const timestamp = (this.options.clock ?? Date.now)();
      // PROTOCOL.md "In-Commit Timestamps": computed per attempt, so after a lost race it follows the winner.
      const ict = config.inCommitTimestampsEnabled ? nextInCommitTimestamp(timestamp, await this.previousCommitTime()) : undefined;
      const actions =
        ict !== undefined && metadataAction
          ? this.actions.map((a) => ('metaData' in a ? { metaData: metadataWithEnablement(a.metaData, this.snapshot?.config, version, ict) } : a))
          : this.actions;
      const commitInfo = this.buildCommitInfo(this.readVersion, timestamp, ict);
      // commitInfo first, as Spark writes it and In-Commit Timestamps require (readers find it without scanning the file).
      const bytes = serializeActions([{ commitInfo }, ...actions]);
      const won = await this.putCommit(version, bytes);
      if (won) {
        const snapshot = this.snapshot
          ? this.snapshot.applyCommit(version, [{ commitInfo }, ...actions], timestamp, commitDigest(bytes))
          : await Snapshot.load(this.store, { version });
        if (checkpointDue) await this.checkpoint(snapshot);
        return { version, snapshot, retries };
      }
      if (this.snapshot === null) checkConflict(footprint, version, []); // throws TableExistsError
      if (retries >= maxRetries) {
        throw new CommitFailedError(
          `gave up committing '${this.options.operation}' to ${this.store.uri} after ${retries} lost races (last tried version ${version})`,
          version,
        );
      }
      retries++;
      // Read every winner since our read version, check conflicts, and rebase on top of them.
      let snap = this.snapshot!;
      const newer = await snap.update();
      let before = { protocol: snap.protocol, metadata: snap.metadata };
      for (let v = snap.version + 1; v <= newer.version; v++) {
        const winner = await readCommit(this.store, v);
        checkConflict(footprint, v, winner, before);
        before = { protocol: protocolOf(winner) ?? before.protocol, metadata: metadataOf(winner) ?? before.metadata };
      }
      this.snapshot = newer;
      snap = newer;
      await sleep(backoffMs(retries));
    }
  }

  /**
   * putIfAbsent of the commit file; true = ours is there. When the request fails, it may still have been applied
   * (a lost response): our commit is then recognised in the log by its txnId. A still-absent file is claimed once
   * more with the same bytes (atomic, so a late original cannot land too). Failing that, the outcome is unknown.
   */
  private async putCommit(version: number, bytes: Uint8Array): Promise<boolean> {
    const path = commitPath(version);
    let failure: unknown;
    try {
      return await this.store.putIfAbsent(path, bytes);
    } catch (e) {
      if (e instanceof StorageError && e.notWritten) throw e; // known not landed
      failure = e;
    }
    const unknown = (detail: string, cause: unknown): CommitOutcomeUnknownError =>
      new CommitOutcomeUnknownError(this.store.uri, version, this.txnId, detail, { cause });
    for (let claimed = false; ; claimed = true) {
      let existing: Uint8Array | null;
      try {
        existing = await this.store.get(path);
      } catch (e) {
        if (!(e instanceof NotFoundError)) throw unknown(`writing ${path} failed (${errText(failure)}) and reading it back failed (${errText(e)})`, e);
        existing = null;
      }
      if (existing) return this.isOurs(existing, path);
      if (claimed) throw unknown(`writing ${path} failed (${errText(failure)}) and it is still absent`, failure);
      try {
        if (await this.store.putIfAbsent(path, bytes)) return true;
      } catch (e) {
        throw unknown(`writing ${path} failed twice (${errText(failure)}; ${errText(e)})`, e);
      }
    }
  }

  private isOurs(bytes: Uint8Array, path: string): boolean {
    try {
      const info = parseCommit(bytes, path).find((a): a is { commitInfo: CommitInfo } => 'commitInfo' in a)?.commitInfo;
      return info?.txnId === this.txnId;
    } catch {
      return false; // another writer's (malformed) commit: the conflict check reports it
    }
  }

  private async checkpoint(snapshot: Snapshot): Promise<void> {
    try {
      await writeCheckpoint(this.store, checkpointStateOf(snapshot));
    } catch (e) {
      // The commit is durable; a missing checkpoint only costs replay time. Never fail the write for it.
      process.emitWarning(`deltats: checkpoint at version ${snapshot.version} failed (the commit stands): ${String(e)}`);
    }
  }
}

function errText(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

function stringifyValues(m: Record<string, unknown>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(m)) out[k] = typeof v === 'string' ? v : JSON.stringify(v);
  return out;
}

/** Jittered exponential backoff: up to 2^n ms, capped at 200 ms ("full jitter"). */
function backoffMs(attempt: number): number {
  const cap = Math.min(200, 2 ** Math.min(attempt, 8));
  return Math.random() * cap;
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
