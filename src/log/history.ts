// Commit history and commit timestamps: commitInfo per version (newest first) and timestamp -> version resolution.
// Reads `_delta_log` commit files only (never data files, never checkpoints except to find metaData for ICT).
import { TableNotFoundError, VersionNotFoundError } from '../errors.js';
import type { ObjectStore } from '../storage/store.js';
import type { Action, CommitInfo, Metadata } from './actions.js';
import { readCheckpoint } from './checkpoint_read.js';
import { parseCommit } from './codec.js';
import { buildLogSegment, earliestReconstructableVersion, listLog, type SegmentCommit } from './segment.js';

export interface HistoryEntry {
  version: number;
  /** ms since epoch: inCommitTimestamp when present, else the commit file mtime made monotonic (see commitTimestamps). */
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

/** ICT is on for `version` (delta-io/delta protocol_rfcs/in-commit-timestamps.md: enablement version/timestamp properties). */
export function inCommitTimestampsEnabled(metadata: Metadata | undefined, version?: number): boolean {
  const conf = metadata?.configuration ?? {};
  if (conf['delta.enableInCommitTimestamps'] !== 'true') return false;
  const since = conf['delta.inCommitTimestampEnablementVersion'];
  if (version === undefined || since === undefined) return true;
  return version >= Number(since);
}

function commitInfoOf(actions: readonly Action[]): CommitInfo | undefined {
  for (const a of actions) if ('commitInfo' in a) return a.commitInfo;
  return undefined;
}

async function readActions(store: ObjectStore, c: SegmentCommit): Promise<Action[]> {
  return parseCommit(await store.get(c.path), c.path);
}

/**
 * Commit timestamps of every reconstructable version, ascending. File modification times are made strictly
 * increasing (a commit whose mtime is not after its predecessor's gets predecessor + 1 ms), as Delta's
 * DeltaHistoryManager does; from the ICT enablement version on, commitInfo.inCommitTimestamp is used instead.
 */
export async function commitTimestamps(store: ObjectStore): Promise<Array<{ version: number; timestamp: number; path: string }>> {
  const l = await listLog(store);
  const earliest = earliestReconstructableVersion(l);
  if (earliest === undefined) throw new TableNotFoundError(store.uri);
  const commits = [...l.commits.values()].filter((c) => c.version >= earliest).sort((a, b) => a.version - b.version);
  const out: Array<{ version: number; timestamp: number; path: string }> = [];
  let prev = -Infinity;
  for (const c of commits) {
    const t = Math.max(c.lastModified ?? 0, prev + 1);
    out.push({ version: c.version, timestamp: t, path: c.path });
    prev = t;
  }
  // ICT: only when the latest commit carries one (cheap check), then honour the enablement version.
  const last = commits[commits.length - 1];
  if (last && typeof commitInfoOf(await readActions(store, last))?.inCommitTimestamp === 'number') {
    const md = await latestMetadata(store);
    if (inCommitTimestampsEnabled(md)) {
      const since = Number(md?.configuration['delta.inCommitTimestampEnablementVersion'] ?? 0);
      await Promise.all(
        out
          .filter((e) => e.version >= since)
          .map(async (e) => {
            const ict = commitInfoOf(parseCommit(await store.get(e.path), e.path))?.inCommitTimestamp;
            if (typeof ict === 'number') e.timestamp = ict;
          }),
      );
    }
  }
  return out;
}

/** The latest metaData action: newest commits first, then the checkpoint. */
async function latestMetadata(store: ObjectStore): Promise<Metadata | undefined> {
  const seg = await buildLogSegment(store);
  for (let i = seg.commits.length - 1; i >= 0; i--) {
    const acts = await readActions(store, seg.commits[i]!);
    for (let j = acts.length - 1; j >= 0; j--) {
      const a = acts[j]!;
      if ('metaData' in a) return a.metaData;
    }
  }
  if (seg.checkpoint) {
    let md: Metadata | undefined;
    for (const a of await readCheckpoint(store, seg.checkpoint)) if ('metaData' in a) md = a.metaData;
    return md;
  }
  return undefined;
}

/**
 * Delta timestamp time travel: the latest version whose commit timestamp <= `timestamp` (ms). A timestamp after the
 * latest commit gives the latest version; one before the earliest reconstructable commit is a VersionNotFoundError
 * naming the earliest available timestamp.
 */
export async function resolveTimestampToVersion(store: ObjectStore, timestamp: number): Promise<number> {
  if (!Number.isFinite(timestamp)) throw new VersionNotFoundError(`invalid time travel timestamp ${timestamp}`);
  const ts = await commitTimestamps(store);
  if (ts.length === 0) throw new TableNotFoundError(store.uri);
  const first = ts[0]!;
  if (timestamp < first.timestamp) {
    throw new VersionNotFoundError(
      `timestamp ${new Date(timestamp).toISOString()} is before the earliest available commit ` +
        `(version ${first.version} at ${new Date(first.timestamp).toISOString()})`,
      first.version,
    );
  }
  // Binary search: timestamps are strictly increasing.
  let lo = 0;
  let hi = ts.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (ts[mid]!.timestamp <= timestamp) lo = mid;
    else hi = mid - 1;
  }
  return ts[lo]!.version;
}

export interface ReadHistoryOptions {
  /** At most this many entries (newest first). */
  limit?: number;
}

/** commitInfo of each version still in the log, newest first. Cleaned-up versions are omitted. */
export async function readHistory(store: ObjectStore, opts: ReadHistoryOptions = {}): Promise<HistoryEntry[]> {
  const l = await listLog(store);
  if (l.commits.size === 0 && l.checkpoints.size === 0) throw new TableNotFoundError(store.uri);
  const all = [...l.commits.values()].sort((a, b) => b.version - a.version);
  let prev = -Infinity;
  const adjusted = new Map<number, number>();
  for (const c of [...all].reverse()) {
    const t = Math.max(c.lastModified ?? 0, prev + 1);
    adjusted.set(c.version, t);
    prev = t;
  }
  const chosen = opts.limit !== undefined ? all.slice(0, Math.max(0, opts.limit)) : all;
  return Promise.all(
    chosen.map(async (c): Promise<HistoryEntry> => {
      const ci = commitInfoOf(await readActions(store, c)) ?? {};
      const e: HistoryEntry = {
        version: c.version,
        timestamp: typeof ci.inCommitTimestamp === 'number' ? ci.inCommitTimestamp : adjusted.get(c.version)!,
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
