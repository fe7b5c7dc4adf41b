// Snapshot: the reconciled state of a table at one version (protocol, metaData, active files, txns, domains).
// Loads via segment.ts + checkpoint_read.ts + codec.ts; never reads data files and never writes.
import { NotFoundError, ProtocolError, VersionNotFoundError } from '../errors.js';
import type { StructType } from '../schema/types.js';
import type { ObjectStore } from '../storage/store.js';
import type { Action, Add, DomainMetadata, Metadata, Protocol, Remove, Txn } from './actions.js';
import { readCheckpoint } from './checkpoint_read.js';
import { parseCommit } from './codec.js';
import { LOG_DIR, commitPath, formatVersion } from './paths.js';
import { LogReplay } from './replay.js';
import { buildLogSegment, listLog, type LogSegment, type SegmentCommit } from './segment.js';
import { commitInfoOf, resolveTimestampToVersion } from './history.js';
import { commitDigest, verifyLineage } from './lineage.js';
import { assertReadable } from './features.js';
import { TableConfiguration } from './table_configuration.js';

export interface SnapshotLoadOptions {
  /** Exact version to load (time travel). */
  version?: number;
  /** Time travel by timestamp (ms since epoch): the latest version committed at or before it. */
  timestamp?: number;
  /** Replay JSON commits from version 0 only (checkpoints ignored); used to verify checkpoint replay. */
  ignoreCheckpoints?: boolean;
}

export class Snapshot {
  readonly store: ObjectStore;
  readonly version: number;
  /** Protocol, metaData and everything derived from them (properties, features, column mapping, commit time). */
  readonly config: TableConfiguration;
  /** Commit time of `version` (ms), by TableConfiguration.commitTimestamp. */
  readonly timestamp: number;
  readonly logSegment: LogSegment;
  /** Digest of the commit file of `version` when this snapshot read or wrote it (lineage.ts); absent after a checkpoint-only load. */
  readonly lastCommitDigest: string | undefined;
  private readonly state: LogReplay;

  private constructor(
    store: ObjectStore,
    segment: LogSegment,
    state: LogReplay,
    config: TableConfiguration,
    timestamp: number,
    lastCommitDigest?: string,
  ) {
    this.store = store;
    this.version = segment.version;
    this.config = config;
    this.timestamp = timestamp;
    this.logSegment = segment;
    this.lastCommitDigest = lastCommitDigest;
    this.state = state;
  }

  /** Load the latest version, an exact `version`, or the version as of `timestamp` (ms). */
  static async load(store: ObjectStore, opts: SnapshotLoadOptions = {}): Promise<Snapshot> {
    if (opts.version !== undefined && opts.timestamp !== undefined) {
      throw new VersionNotFoundError('give either a version or a timestamp for time travel, not both');
    }
    let version = opts.version;
    if (opts.timestamp !== undefined) version = await resolveTimestampToVersion(store, opts.timestamp);
    let segment = await buildLogSegment(store, { version, ignoreCheckpoints: opts.ignoreCheckpoints });
    // The commits after the checkpoint are fetched (concurrently, bounded) while the checkpoint is read and decoded.
    const fetchCommits = (commits: readonly SegmentCommit[]): Promise<Uint8Array[]> => {
      const p = mapLimit(commits, 16, (c) => store.get(c.path));
      p.catch(() => undefined); // awaited below; a checkpoint error thrown first must not leave it unhandled
      return p;
    };
    let commitBytes = fetchCommits(segment.commits);
    let checkpointActions: Action[] = [];
    let firstError: unknown;
    // An unreadable checkpoint (truncated by a crashed writer, a sidecar gone) is skipped for an older one or for
    // JSON replay when the commits for that exist, as Delta does; otherwise its error is reported.
    while (segment.checkpoint) {
      try {
        checkpointActions = await readCheckpoint(store, segment.checkpoint);
        break;
      } catch (e) {
        if (!(e instanceof ProtocolError || e instanceof NotFoundError)) throw e;
        firstError ??= e;
        const older = await buildLogSegment(store, { version: segment.version, checkpointBelow: segment.checkpoint.version }).catch(
          () => null,
        );
        if (!older) throw firstError;
        segment = older;
        commitBytes = fetchCommits(segment.commits);
      }
    }
    const state = new LogReplay();
    state.apply(checkpointActions);
    // Commits apply strictly in version order.
    let digest: string | undefined;
    const fetched = await commitBytes;
    const commitActions = segment.commits.map((c, i) => {
      const bytes = fetched[i]!;
      if (c.version === segment.version) digest = commitDigest(bytes);
      return parseCommit(bytes, c.path);
    });
    for (const actions of commitActions) state.apply(actions);
    const last = commitActions.length > 0 ? commitActions[commitActions.length - 1]! : undefined;
    const config = configurationOf(store, segment.version, state);
    return new Snapshot(store, segment, state, config, await commitTimestampFor(store, segment, config, last), digest);
  }

  get protocol(): Protocol {
    return this.config.protocol;
  }
  get metadata(): Metadata {
    return this.config.metadata;
  }
  get schema(): StructType {
    return this.config.schema;
  }
  get partitionColumns(): string[] {
    return [...this.config.partitionColumns];
  }

  /** Active files (add actions) of this version. */
  activeFiles(): Add[] {
    return this.state.activeFiles();
  }

  /** Remove actions still in the log state (PROTOCOL.md tombstones), for vacuum and conflict checks. */
  tombstones(): Remove[] {
    return this.state.tombstones();
  }

  /** Number of active files without materializing the array. */
  get numFiles(): number {
    return this.state.adds.size;
  }

  /** The last committed txn version of an application (PROTOCOL.md "Transaction Identifiers"). */
  txnVersion(appId: string): number | undefined {
    return this.state.txns.get(appId)?.version;
  }

  txns(): Map<string, Txn> {
    return new Map(this.state.txns);
  }

  /** Non-removed domain metadata by domain name. */
  domainMetadata(): Map<string, DomainMetadata> {
    return new Map(this.state.domains);
  }

  /** metaData.configuration as written (typed values: `config.properties`). */
  get properties(): Record<string, string> {
    return this.metadata.configuration ?? {};
  }

  /** Commit timestamp (ms) of version `v` <= this.version, by TableConfiguration.commitTimestamp. */
  async commitTimestamp(v: number): Promise<number> {
    if (v === this.version) return this.timestamp;
    const m = await this.store.head(commitPath(v));
    if (!m) throw new VersionNotFoundError(`commit ${v} (${commitPath(v)}) is not in the log`, v);
    const ict = this.config.inCommitTimestampsAt(v) ? await readInCommitTimestamp(this.store, v) : undefined;
    return this.config.commitTimestamp(v, ict, m.lastModified.getTime());
  }

  /**
   * A snapshot of the newest version, reading only commits after this.version (listing with startAfter).
   * Returns `this` when nothing new was committed. Falls back to a full load when the new commits are not contiguous
   * (e.g. log cleanup raced with us).
   */
  async update(): Promise<Snapshot> {
    const l = await listLog(this.store, commitPath(this.version));
    const news: SegmentCommit[] = [...l.commits.values()].filter((c) => c.version > this.version).sort((a, b) => a.version - b.version);
    if (news.length === 0) return this;
    if (news.some((c, i) => c.version !== this.version + 1 + i)) return Snapshot.load(this.store);
    const newest = news[news.length - 1]!.version;
    let digest: string | undefined;
    // The new commits extend this snapshot only if the commit it ends at is still there (not a re-created table).
    const [, batches] = await Promise.all([
      verifyLineage(this.store, this.version, this.lastCommitDigest),
      mapLimit(news, 16, async (c) => {
        const bytes = await this.store.get(c.path);
        if (c.version === newest) digest = commitDigest(bytes);
        return parseCommit(bytes, c.path);
      }),
    ]);
    const state = this.state.clone();
    for (const b of batches) state.apply(b);
    const segment: LogSegment = {
      version: news[news.length - 1]!.version,
      checkpoint: this.logSegment.checkpoint,
      commits: [...this.logSegment.commits, ...news],
    };
    if (!segment.checkpoint) delete segment.checkpoint;
    const config = configurationOf(this.store, segment.version, state, this.config);
    return new Snapshot(this.store, segment, state, config, await commitTimestampFor(this.store, segment, config, batches[batches.length - 1]), digest);
  }

  /**
   * The in-memory snapshot after committing `actions` as `version` (must be this.version + 1) at `timestamp` (ms).
   * Used by the transaction after a successful commit and by conflict rebase; does no I/O. `digest`: the committed
   * file's commitDigest, when known.
   */
  applyCommit(version: number, actions: Action[], timestamp: number, digest?: string): Snapshot {
    if (version !== this.version + 1) {
      throw new ProtocolError(`applyCommit: version ${version} does not follow snapshot version ${this.version}`);
    }
    const state = this.state.clone().apply(actions);
    const segment: LogSegment = {
      version,
      commits: [...this.logSegment.commits, { version, path: commitPath(version), lastModified: timestamp }],
    };
    if (this.logSegment.checkpoint) segment.checkpoint = this.logSegment.checkpoint;
    const config = configurationOf(this.store, version, state, this.config);
    return new Snapshot(this.store, segment, state, config, config.commitTimestamp(version, commitInfoOf(actions)?.inCommitTimestamp, timestamp), digest);
  }
}

/** The configuration of the replayed state (the previous one when protocol and metaData did not change). */
function configurationOf(store: ObjectStore, version: number, state: LogReplay, previous?: TableConfiguration): TableConfiguration {
  const where = `${store.uri} at version ${version}`;
  if (!state.protocol) throw new ProtocolError(`no protocol action found in the log of ${where}`);
  if (!state.metadata) throw new ProtocolError(`no metaData action found in the log of ${where}`);
  if (previous && previous.protocol === state.protocol && previous.metadata === state.metadata) return previous;
  // Features first: a schema may use a type of a feature deltats cannot read (variant), which must be reported
  // as that feature, not as an unknown type.
  assertReadable(state.protocol, state.metadata);
  const config = new TableConfiguration(state.protocol, state.metadata);
  for (const c of config.partitionColumns) {
    if (!config.schema.fields.some((f) => f.name === c)) {
      throw new ProtocolError(`partition column '${c}' of ${where} is not a column of the table schema`);
    }
  }
  return config;
}

async function readInCommitTimestamp(store: ObjectStore, v: number): Promise<number | undefined> {
  try {
    const p = commitPath(v);
    return ictOf(parseCommit(await store.get(p), p));
  } catch {
    return undefined;
  }
}

/** Commit time of the segment's version (config.commitTimestamp over its commit, or checkpoint, file). */
async function commitTimestampFor(
  store: ObjectStore,
  segment: LogSegment,
  config: TableConfiguration,
  lastActions: Action[] | undefined,
): Promise<number> {
  const v = segment.version;
  const lastCommit = segment.commits[segment.commits.length - 1];
  let ict: number | undefined;
  if (config.inCommitTimestampsAt(v)) {
    ict = lastCommit?.version === v && lastActions ? ictOf(lastActions) : await readInCommitTimestamp(store, v);
  }
  let mtime = lastCommit?.version === v ? lastCommit.lastModified : segment.versionModified;
  if (mtime === undefined && ict === undefined) {
    const m = (await store.head(commitPath(v))) ?? (segment.checkpoint ? await store.head(segment.checkpoint.files[0]!) : null);
    if (!m) throw new VersionNotFoundError(`no commit or checkpoint file for version ${v} (${LOG_DIR}/${formatVersion(v)}.*)`, v);
    mtime = m.lastModified.getTime();
  }
  return config.commitTimestamp(v, ict, mtime ?? 0);
}

function ictOf(actions: readonly Action[]): number | undefined {
  const ict = commitInfoOf(actions)?.inCommitTimestamp;
  return typeof ict === 'number' ? ict : undefined;
}

/** Run `fn` over items with at most `limit` in flight; results in input order. */
async function mapLimit<T, R>(items: readonly T[], limit: number, fn: (t: T) => Promise<R>): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
}
