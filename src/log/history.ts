// Commit history and commit timestamps: commitInfo per version (newest first) and timestamp -> version resolution.
// Reads `_delta_log` commit files only (never data files, never checkpoints except to find metaData for ICT).
import { TableNotFoundError, VersionNotFoundError } from '../errors.js';
import type { ObjectStore } from '../storage/store.js';
import type { Action, CommitInfo, Metadata, Protocol } from './actions.js';
import { TableConfiguration } from './table_configuration.js';
import { readCheckpoint } from './checkpoint_read.js';
import { parseCommit } from './codec.js';
import { buildLogSegment, earliestReconstructableVersion, listLog, type SegmentCommit } from './segment.js';

export interface HistoryEntry {
  version: number;
  /** ms since epoch, by the commit-time rule (CommitTimeline). */
  timestamp: number;
  operation: string;
  operationParameters: Record<string, unknown>;
  operationMetrics: Record<string, unknown>;
  engineInfo: string | undefined;
  isBlindAppend: boolean | undefined;
  readVersion: number | undefined;
  userMetadata?: string;
  /** The raw commitInfo action (empty object when the commit has none). */
  commitInfo: CommitInfo;
}

export function commitInfoOf(actions: readonly Action[]): CommitInfo | undefined {
  for (const a of actions) if ('commitInfo' in a) return a.commitInfo;
  return undefined;
}

async function readActions(store: ObjectStore, c: SegmentCommit): Promise<Action[]> {
  return parseCommit(await store.get(c.path), c.path);
}

/**
 * The configuration of the latest version, found from the newest commits backwards (then the checkpoint):
 * enough to apply the commit-time rule without replaying the table.
 */
async function latestConfiguration(store: ObjectStore): Promise<TableConfiguration | undefined> {
  const seg = await buildLogSegment(store);
  let protocol: Protocol | undefined;
  let metadata: Metadata | undefined;
  for (let i = seg.commits.length - 1; i >= 0 && !(protocol && metadata); i--) {
    const acts = await readActions(store, seg.commits[i]!);
    for (let j = acts.length - 1; j >= 0; j--) {
      const a = acts[j]!;
      if ('metaData' in a) metadata ??= a.metaData;
      if ('protocol' in a) protocol ??= a.protocol;
    }
  }
  if (seg.checkpoint && !(protocol && metadata)) {
    for (const a of await readCheckpoint(store, seg.checkpoint)) {
      if ('metaData' in a && !metadata) metadata = a.metaData;
      if ('protocol' in a && !protocol) protocol = a.protocol;
    }
  }
  return protocol && metadata ? new TableConfiguration(protocol, metadata) : undefined;
}

export interface CommitTimelineOptions {
  /** The latest configuration when the caller has it (else read from the log when the newest commit has an ICT). */
  config?: TableConfiguration;
  /** Only versions a snapshot can be built for (time travel); default: every commit file still listed (streams). */
  reconstructableOnly?: boolean;
}

/**
 * Commit timestamps of the listed commits by the latest TableConfiguration's commit-time rule: file modification
 * times before the In-Commit Timestamps enablement version, made strictly increasing as Delta's DeltaHistoryManager
 * does (a commit not after its predecessor gets predecessor + 1 ms); inCommitTimestamp from it on (read lazily).
 * Both time travel (`atOrBefore`) and a stream's startingTimestamp (`atOrAfter`) search it.
 */
export class CommitTimeline {
  private readonly icts = new Map<number, number | undefined>();
  /** Index of the first version timed by inCommitTimestamp (entries.length when none). */
  private readonly ictStart: number;

  private constructor(
    private readonly store: ObjectStore,
    readonly entries: ReadonlyArray<{ version: number; path: string; mtime: number }>,
    private readonly config: TableConfiguration | undefined,
  ) {
    const i = config ? entries.findIndex((e) => config.inCommitTimestampsAt(e.version)) : -1;
    this.ictStart = i < 0 ? entries.length : i;
  }

  static async load(store: ObjectStore, opts: CommitTimelineOptions = {}): Promise<CommitTimeline> {
    const l = await listLog(store);
    let commits = [...l.commits.values()].sort((a, b) => a.version - b.version);
    if (opts.reconstructableOnly) {
      const earliest = earliestReconstructableVersion(l);
      if (earliest === undefined) throw new TableNotFoundError(store.uri);
      commits = commits.filter((c) => c.version >= earliest);
    }
    let prev = -Infinity;
    const entries = commits.map((c) => {
      prev = Math.max(c.lastModified ?? 0, prev + 1);
      return { version: c.version, path: c.path, mtime: prev };
    });
    let config = opts.config;
    // ICT tables carry an inCommitTimestamp in their newest commit: only then is the configuration worth reading.
    const last = commits[commits.length - 1];
    if (!config && last && typeof commitInfoOf(await readActions(store, last))?.inCommitTimestamp === 'number') {
      config = await latestConfiguration(store);
    }
    return new CommitTimeline(store, entries, config);
  }

  /** The commit time of entries[i] (config.commitTimestamp over its ICT and adjusted mtime). */
  async timestampAt(i: number, knownInCommitTimestamp?: unknown): Promise<number> {
    const e = this.entries[i]!;
    if (i < this.ictStart || !this.config) return e.mtime;
    let ict = typeof knownInCommitTimestamp === 'number' ? knownInCommitTimestamp : this.icts.get(e.version);
    if (ict === undefined && !this.icts.has(e.version)) {
      const raw = commitInfoOf(parseCommit(await this.store.get(e.path), e.path))?.inCommitTimestamp;
      ict = typeof raw === 'number' ? raw : undefined;
      this.icts.set(e.version, ict);
    }
    return this.config.commitTimestamp(e.version, ict, e.mtime);
  }

  /** Commit time of `version` (undefined when it is not listed). */
  async timestampOf(version: number, knownInCommitTimestamp?: unknown): Promise<number | undefined> {
    const i = this.indexOf(version);
    return i < 0 ? undefined : this.timestampAt(i, knownInCommitTimestamp);
  }

  private indexOf(version: number): number {
    let lo = 0;
    let hi = this.entries.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      const v = this.entries[mid]!.version;
      if (v === version) return mid;
      if (v < version) lo = mid + 1;
      else hi = mid - 1;
    }
    return -1;
  }

  /**
   * The range of entries a search for `timestamp` may use (PROTOCOL.md "Recommendations for Readers of Tables with
   * In-Commit Timestamps"): at or after the enablement timestamp only ICT-timed versions, before it only the others.
   */
  private async range(timestamp: number, atOrAfter: boolean): Promise<[number, number]> {
    const n = this.entries.length;
    if (this.ictStart >= n || this.ictStart === 0) return [0, n];
    const enabledAt = this.config?.properties.inCommitTimestampEnablementTimestamp ?? (await this.timestampAt(this.ictStart));
    return (atOrAfter ? timestamp > enabledAt : timestamp >= enabledAt) ? [this.ictStart, n] : [0, this.ictStart];
  }

  /**
   * Delta timestamp time travel: the latest version committed at or before `timestamp` (ms). After the latest
   * commit: the latest version; before the earliest: VersionNotFoundError naming the earliest commit.
   */
  async atOrBefore(timestamp: number): Promise<number> {
    if (!Number.isFinite(timestamp)) throw new VersionNotFoundError(`invalid time travel timestamp ${timestamp}`);
    if (this.entries.length === 0) throw new TableNotFoundError(this.store.uri);
    const [lo0, hi0] = await this.range(timestamp, false);
    // Last index in [lo0, hi0) whose time is <= timestamp (times are increasing within the range).
    let lo = lo0 - 1;
    let hi = hi0 - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if ((await this.timestampAt(mid)) <= timestamp) lo = mid;
      else hi = mid - 1;
    }
    if (lo < lo0) {
      const first = this.entries[0]!;
      const firstTs = await this.timestampAt(0);
      throw new VersionNotFoundError(
        `timestamp ${new Date(timestamp).toISOString()} is before the earliest available commit ` +
          `(version ${first.version} at ${new Date(firstTs).toISOString()})`,
        first.version,
      );
    }
    return this.entries[lo]!.version;
  }

  /**
   * A stream's startingTimestamp: the first version committed at or after `timestamp` (ms); after the latest
   * commit, the version after it (the stream starts with the next commit).
   */
  async atOrAfter(timestamp: number): Promise<number> {
    const [lo0, hi0] = await this.range(timestamp, true);
    // First index in [lo0, hi0) whose time is >= timestamp.
    let lo = lo0;
    let hi = hi0;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if ((await this.timestampAt(mid)) >= timestamp) hi = mid;
      else lo = mid + 1;
    }
    if (lo < this.entries.length) return this.entries[lo]!.version;
    return (this.entries.at(-1)?.version ?? -1) + 1;
  }
}

/** Time travel by timestamp (CommitTimeline.atOrBefore over the reconstructable versions). */
export async function resolveTimestampToVersion(store: ObjectStore, timestamp: number): Promise<number> {
  if (!Number.isFinite(timestamp)) throw new VersionNotFoundError(`invalid time travel timestamp ${timestamp}`);
  return (await CommitTimeline.load(store, { reconstructableOnly: true })).atOrBefore(timestamp);
}

export interface ReadHistoryOptions {
  /** At most this many entries (newest first). */
  limit?: number;
}

/** commitInfo of each version still in the log, newest first. Cleaned-up versions are omitted. */
export async function readHistory(store: ObjectStore, opts: ReadHistoryOptions = {}): Promise<HistoryEntry[]> {
  const timeline = await CommitTimeline.load(store);
  if (timeline.entries.length === 0) throw new TableNotFoundError(store.uri);
  const all = [...timeline.entries].reverse();
  const chosen = opts.limit !== undefined ? all.slice(0, Math.max(0, opts.limit)) : all;
  return Promise.all(
    chosen.map(async (c): Promise<HistoryEntry> => {
      const ci = commitInfoOf(parseCommit(await store.get(c.path), c.path)) ?? {};
      const e: HistoryEntry = {
        version: c.version,
        timestamp: (await timeline.timestampOf(c.version, ci.inCommitTimestamp))!,
        operation: typeof ci.operation === 'string' ? ci.operation : 'UNKNOWN',
        operationParameters: ci.operationParameters ?? {},
        operationMetrics: ci.operationMetrics ?? {},
        engineInfo: typeof ci.engineInfo === 'string' ? ci.engineInfo : undefined,
        isBlindAppend: typeof ci.isBlindAppend === 'boolean' ? ci.isBlindAppend : undefined,
        readVersion: typeof ci.readVersion === 'number' ? ci.readVersion : undefined,
        commitInfo: ci,
      };
      if (typeof ci.userMetadata === 'string') e.userMetadata = ci.userMetadata;
      return e;
    }),
  );
}
