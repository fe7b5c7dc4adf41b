// LogSegment: which checkpoint and which commit files reconstruct a table version (`_last_checkpoint` hint + listing).
// Only lists `_delta_log/` and reads `_last_checkpoint`; never reads commits or checkpoints (snapshot.ts does).
import { ProtocolError, TableNotFoundError, VersionNotFoundError } from '../errors.js';
import type { ObjectMeta, ObjectStore } from '../storage/store.js';
import { LAST_CHECKPOINT, LOG_DIR, formatVersion, parseLogFileName, type CheckpointKind } from './paths.js';

export interface SegmentCheckpoint {
  version: number;
  /** Paths relative to the store root; multi-part in part order. */
  files: string[];
  kind: CheckpointKind;
}

export interface SegmentCommit {
  version: number;
  path: string;
  /** The commit file's modification time (ms), from the listing. */
  lastModified?: number;
}

export interface LogSegment {
  version: number;
  checkpoint?: SegmentCheckpoint;
  /** Commits after the checkpoint (all commits from 0 without one), contiguous, ascending, ending at `version`. */
  commits: SegmentCommit[];
  /**
   * Modification time (ms) of the commit file of `version` as listed, when `commits` does not hold it (`version` is
   * the checkpoint's): the snapshot's commit time then needs no further request.
   */
  versionModified?: number;
}

export interface LastCheckpointHint {
  version: number;
  size?: number;
  parts?: number;
  [k: string]: unknown;
}

export interface BuildSegmentOptions {
  /** Target version; latest when omitted. */
  version?: number;
  /** Replay from version 0 using JSON commits only (checkpoints and `_last_checkpoint` ignored). */
  ignoreCheckpoints?: boolean;
  /** Only use checkpoints with a version below this (retry after an unreadable checkpoint). */
  checkpointBelow?: number;
}

/** Read `_last_checkpoint`; missing, unreadable or malformed -> null (the listing is the truth). */
export async function readLastCheckpoint(store: ObjectStore): Promise<LastCheckpointHint | null> {
  try {
    const bytes = await store.get(LAST_CHECKPOINT);
    const o: unknown = JSON.parse(new TextDecoder().decode(bytes));
    if (typeof o !== 'object' || o === null) return null;
    const v = (o as Record<string, unknown>).version;
    if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0) return null;
    return o as LastCheckpointHint;
  } catch {
    return null;
  }
}

/** What a listing of `_delta_log/` found, grouped by version. */
export interface LogListing {
  commits: Map<number, SegmentCommit>;
  checkpoints: Map<number, SegmentCheckpoint[]>;
  /** Every checkpoint file seen (complete or not), for diagnostics. */
  files: ObjectMeta[];
}

/**
 * List `_delta_log/` (optionally only names after `startAfter`, and only versions <= `upTo`: the listing stops at
 * the first later file) and group commits and complete checkpoints.
 */
export async function listLog(store: ObjectStore, startAfter?: string, upTo = Infinity): Promise<LogListing> {
  const commits = new Map<number, SegmentCommit>();
  const singles = new Map<number, string>();
  const v2 = new Map<number, string[]>();
  const multi = new Map<string, { version: number; parts: number; files: Map<number, string> }>();
  const files: ObjectMeta[] = [];
  for await (const m of store.list(`${LOG_DIR}/`, { startAfter, recursive: false })) {
    const p = parseLogFileName(m.path);
    if (!p) continue;
    if (p.version > upTo) break;
    if (p.kind === 'commit') {
      commits.set(p.version, { version: p.version, path: m.path, lastModified: m.lastModified.getTime() });
    } else if (p.kind === 'checkpoint') {
      files.push(m);
      if (p.checkpointKind === 'single') singles.set(p.version, m.path);
      else if (p.checkpointKind === 'v2') v2.set(p.version, [...(v2.get(p.version) ?? []), m.path]);
      else {
        const key = `${p.version}/${p.parts}`;
        let g = multi.get(key);
        if (!g) multi.set(key, (g = { version: p.version, parts: p.parts!, files: new Map() }));
        g.files.set(p.part!, m.path);
      }
    }
  }
  const checkpoints = new Map<number, SegmentCheckpoint[]>();
  const addCp = (c: SegmentCheckpoint): void => {
    checkpoints.set(c.version, [...(checkpoints.get(c.version) ?? []), c]);
  };
  // Preference at one version: V2 (UUID-named) first, then classic, then multi-part.
  for (const [version, paths] of v2) for (const f of paths.sort()) addCp({ version, files: [f], kind: 'v2' });
  for (const [version, f] of singles) addCp({ version, files: [f], kind: 'single' });
  for (const g of multi.values()) {
    // PROTOCOL.md "Multi-part checkpoint": a checkpoint is usable only when all its parts are present.
    if (g.files.size !== g.parts) continue;
    const ordered: string[] = [];
    for (let i = 1; i <= g.parts; i++) ordered.push(g.files.get(i)!);
    addCp({ version: g.version, files: ordered, kind: 'multi' });
  }
  return { commits, checkpoints, files };
}

function latestVersionOf(l: LogListing): number | undefined {
  let max: number | undefined;
  for (const v of l.commits.keys()) if (max === undefined || v > max) max = v;
  for (const v of l.checkpoints.keys()) if (max === undefined || v > max) max = v;
  return max;
}

/** Earliest version this listing can reconstruct: commit 0, or the oldest complete checkpoint. */
export function earliestReconstructableVersion(l: LogListing): number | undefined {
  let min: number | undefined = l.commits.has(0) ? 0 : undefined;
  for (const v of l.checkpoints.keys()) if (min === undefined || v < min) min = v;
  return min;
}

/**
 * Build the segment from a listing, or return null when the listing cannot decide (caller lists more).
 * `partial` = the listing started after some version, so missing early commits are not an error yet.
 */
function segmentFromListing(
  store: ObjectStore,
  l: LogListing,
  target: number | undefined,
  ignoreCheckpoints: boolean,
  partial: boolean,
  checkpointBelow = Infinity,
): LogSegment | null {
  const latest = latestVersionOf(l);
  if (latest === undefined) {
    if (partial) return null;
    throw new TableNotFoundError(store.uri);
  }
  if (target !== undefined && target > latest) {
    if (partial) return null;
    throw new VersionNotFoundError(`version ${target} does not exist: the latest version of ${store.uri} is ${latest}`, target);
  }
  const version = target ?? latest;

  let checkpoint: SegmentCheckpoint | undefined;
  if (!ignoreCheckpoints) {
    let best = -1;
    for (const v of l.checkpoints.keys()) if (v <= version && v < checkpointBelow && v > best) best = v;
    if (best >= 0) checkpoint = l.checkpoints.get(best)![0];
  }
  const start = checkpoint ? checkpoint.version + 1 : 0;
  if (!checkpoint) {
    if (partial) return null;
    if (!l.commits.has(0)) {
      const earliest = ignoreCheckpoints ? undefined : earliestReconstructableVersion(l);
      if (ignoreCheckpoints) {
        throw new VersionNotFoundError(
          `cannot replay ${store.uri} from JSON commits only: commit 0 (${LOG_DIR}/${formatVersion(0)}.json) was cleaned up`,
          version,
        );
      }
      throw new VersionNotFoundError(
        `cannot reconstruct version ${version} of ${store.uri}: its commits were cleaned up; the earliest available version is ${earliest}`,
        version,
      );
    }
  }
  const commits: SegmentCommit[] = [];
  for (let v = start; v <= version; v++) {
    const c = l.commits.get(v);
    if (!c) {
      throw new ProtocolError(
        `the log of ${store.uri} is missing commit ${v} (${LOG_DIR}/${formatVersion(v)}.json) needed to reconstruct version ${version}` +
          (checkpoint ? ` after checkpoint ${checkpoint.version}` : ''),
      );
    }
    commits.push(c);
  }
  const segment: LogSegment = checkpoint ? { version, checkpoint, commits } : { version, commits };
  const modified = commits.length === 0 ? l.commits.get(version)?.lastModified : undefined;
  if (modified !== undefined) segment.versionModified = modified;
  return segment;
}

/** Versions [from, upTo] of `_delta_log/` (every file of those versions: commits, checkpoints). */
function listVersions(store: ObjectStore, from: number, upTo: number): Promise<LogListing> {
  // `<from>` (20 digits, no suffix) sorts just before every file of version `from`.
  return listLog(store, from > 0 ? `${LOG_DIR}/${formatVersion(from)}` : undefined, upTo);
}

/** The listings of two disjoint version ranges as one. */
function mergeListings(a: LogListing, b: LogListing): LogListing {
  return {
    commits: new Map([...a.commits, ...b.commits]),
    checkpoints: new Map([...a.checkpoints, ...b.checkpoints]),
    files: [...a.files, ...b.files],
  };
}

/** First look-back window; each further one is twice as long (Spark's findLastCompleteCheckpointBefore steps 1000). */
const LOOK_BACK = 1000;

/**
 * Time travel below the hinted checkpoint (or without a hint): list windows of versions ending at `target`, each
 * further back, until one holds a complete checkpoint <= target (and < checkpointBelow); only those versions are
 * listed, never the later log. Returns null when the windows cannot decide (target not listed, commits cleaned up
 * below the windows, no checkpoint and no commit 0): the full listing then decides and names the error.
 */
async function segmentLookingBack(store: ObjectStore, target: number, checkpointBelow: number): Promise<LogSegment | null> {
  let listing: LogListing | undefined;
  let hi = target;
  for (let step = LOOK_BACK; hi >= 0; step *= 2) {
    const lo = Math.max(0, hi - step + 1);
    const window = await listVersions(store, lo, hi);
    listing = listing ? mergeListings(window, listing) : window;
    if (hi === target && !listing.commits.has(target) && !listing.checkpoints.has(target)) return null;
    const seg = segmentFromListing(store, listing, target, false, true, checkpointBelow);
    if (seg) return seg;
    // No usable checkpoint from `lo` on: an older one helps only if the commits from it to `lo` still exist.
    if (!listing.commits.has(lo)) return null;
    if (lo === 0) return segmentFromListing(store, listing, target, false, false, checkpointBelow);
    hi = lo - 1;
  }
  return null;
}

/**
 * Find the newest complete checkpoint <= target and the contiguous commits after it.
 * With a `_last_checkpoint` hint at or below the target, only files from the hinted version to the target are
 * listed; time travel to a version below the hint (or without one) lists back from the target to the newest
 * checkpoint before it (segmentLookingBack). A checkpoint found missing or incomplete falls back to an older one.
 * Errors: TableNotFoundError (nothing in the log), VersionNotFoundError (target beyond latest or below the
 * earliest reconstructable version), ProtocolError (a commit is missing between checkpoint and target).
 */
export async function buildLogSegment(store: ObjectStore, opts: BuildSegmentOptions = {}): Promise<LogSegment> {
  const target = opts.version;
  if (target !== undefined && (!Number.isSafeInteger(target) || target < 0)) {
    throw new VersionNotFoundError(`invalid table version ${target}`, target);
  }
  const ignore = opts.ignoreCheckpoints ?? false;
  const below = opts.checkpointBelow ?? Infinity;
  if (!ignore) {
    const hint = await readLastCheckpoint(store);
    if (hint && (target === undefined || hint.version <= target) && hint.version < below) {
      // Lists `<hint>.checkpoint...`, `<hint>.json` and everything later (they sort after `<hint>`) up to the target.
      const l = await listVersions(store, hint.version, target ?? Infinity);
      const seg = segmentFromListing(store, l, target, false, true, below);
      if (seg) return seg;
      // Stale or wrong hint (checkpoint missing/incomplete, table recreated): look back from the target, or list all.
    }
    if (target !== undefined) {
      const seg = await segmentLookingBack(store, target, below);
      if (seg) return seg;
    }
  }
  const l = await listLog(store);
  return segmentFromListing(store, l, target, ignore, false, opts.checkpointBelow)!;
}
