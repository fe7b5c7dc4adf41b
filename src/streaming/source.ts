// DeltaSource: a Delta table as an incremental micro-batch source (Spark's Delta streaming source semantics).
// It reads the log and data files through ObjectStore / Snapshot / readDataFile only; it never writes anything.
import * as arrow from 'apache-arrow';
import type { Action, Add, Metadata } from '../log/actions.js';
import { readCommit } from '../log/codec.js';
import { commitInfoOf, CommitTimeline } from '../log/history.js';
import { commitPath, LOG_DIR, parseLogFileName } from '../log/paths.js';
import type { TableConfiguration } from '../log/table_configuration.js';
import { TableProperties } from '../log/table_properties.js';
import { Snapshot } from '../log/snapshot.js';
import { toArrowSchema } from '../schema/arrow.js';
import type { ObjectStore } from '../storage/store.js';
import { readDataFile } from '../table/read_file.js';
import { InvalidArgumentError, StreamSourceChangedError, VersionNotFoundError } from '../errors.js';
import { openStreamStore } from './store.js';
import { QueryableSource } from './query/queryable.js';
import type { ReadLimits } from './types.js';

/** Spark's DeltaSourceOffset, field for field (JSON in the checkpoint's offsets/<batchId>). */
export interface DeltaSourceOffset {
  [key: string]: string | number | boolean;
  sourceVersion: 1;
  /** metaData.id of the table: a checkpoint cannot be reused against another table. */
  reservoirId: string;
  /** Table version the position is in. */
  reservoirVersion: number;
  /** Position of the last file included: index in the sorted snapshot (isStartingVersion) or action index in the commit. -1 = none. */
  index: number;
  /** True while the stream is still reading the initial snapshot of `reservoirVersion`. */
  isStartingVersion: boolean;
}

export interface DeltaSourceOptions {
  /** First commit to read ('latest' = only commits after the current version). Without it: snapshot, then new commits. */
  startingVersion?: number | 'latest';
  /** Start at the first commit made at or after this time (Date, ms since epoch, or ISO string). */
  startingTimestamp?: Date | number | string;
  /** Maximum files per micro-batch (default 1000). */
  maxFilesPerTrigger?: number;
  /** Soft maximum bytes per micro-batch (at least one file is always admitted). */
  maxBytesPerTrigger?: number;
  /** Ignore commits that only remove whole files (e.g. partition deletes). */
  ignoreDeletes?: boolean;
  /** Skip every commit that removes or rewrites data (updates, deletes, merges), including its added files. */
  skipChangeCommits?: boolean;
  /** Storage options for `openStore` when the source is given a URI. */
  storageOptions?: Record<string, string>;
}

/** One file the stream will emit, at its position in the stream. */
interface IndexedFile {
  version: number;
  index: number;
  isStartingVersion: boolean;
  add: Add;
}

interface ParsedCommit {
  version: number;
  actions: Action[];
  /** ms since epoch, by TableConfiguration.commitTimestamp (file modification time before In-Commit Timestamps). */
  timestamp: number;
}

/** A commit the stream may not pass (its error is raised once every file before it has been emitted). */
interface Blocker {
  version: number;
  error: StreamSourceChangedError;
}

type Entry = { file: IndexedFile } | { blocker: Blocker };

const DEFAULT_MAX_FILES = 1000;
const MAX_CACHED_COMMITS = 4096;
const READ_CONCURRENCY = 8;

/** Query-builder methods (where, select, groupBy, writeTo...): QueryableSource. */
export class DeltaSource extends QueryableSource<DeltaSourceOffset> {
  readonly description: string;
  private readonly options: DeltaSourceOptions;
  private store: ObjectStore | undefined;
  private readonly uri: string;
  /** Table id, schema and partition columns fixed when the stream starts (PROTOCOL.md "Change Metadata"). */
  private tableId: string | undefined;
  /** Snapshot the stream started from: its schema / partition columns / column mapping describe the rows. */
  private readSnapshot: Snapshot | undefined;
  private arrowSchema: arrow.Schema | undefined;
  /** Newest commit version seen by listing `_delta_log/` (listing resumes after it). */
  private latestKnownVersion = -1;
  private readonly commitTimes = new Map<number, number>();
  private readonly commitCache = new Map<number, ParsedCommit>();
  private readonly snapshotFiles = new Map<number, Add[]>();
  private readonly snapshots = new Map<number, Snapshot>();
  /** The position before the first file, pinned on first use so that repeated polls agree. */
  private initialStart: DeltaSourceOffset | undefined;

  /** `table`: a table URI, or an opened table (a DeltaTable) whose store is used. */
  constructor(table: { readonly uri: string; readonly store: ObjectStore } | string, options: DeltaSourceOptions = {}) {
    super();
    validateOptions(options);
    this.options = options;
    if (typeof table === 'string') {
      this.uri = table;
    } else {
      this.uri = table.uri;
      this.store = table.store;
    }
    this.description = `DeltaSource[${this.uri}]`;
  }

  defaultLimits(): ReadLimits {
    return { maxFiles: this.options.maxFilesPerTrigger ?? DEFAULT_MAX_FILES, maxBytes: this.options.maxBytesPerTrigger };
  }

  /** The table's logical Arrow schema as of the start of the stream. */
  async schema(): Promise<arrow.Schema> {
    await this.init();
    return this.arrowSchema!;
  }

  /** Position before the first file: pinned on first use (snapshot version, startingVersion or timestamp). */
  async initialOffset(): Promise<DeltaSourceOffset> {
    await this.init();
    return this.startPosition();
  }

  async latestOffset(start: DeltaSourceOffset | null, limits?: ReadLimits): Promise<DeltaSourceOffset | null> {
    await this.init();
    const lim = limits ?? this.defaultLimits();
    const maxFiles = lim.maxFiles ?? Number.POSITIVE_INFINITY;
    const maxBytes = lim.maxBytes ?? Number.POSITIVE_INFINITY;
    const from = start ?? (await this.startPosition());
    this.checkReservoir(from);
    await this.refreshLatestVersion();
    let end: DeltaSourceOffset | null = null;
    let files = 0;
    let bytes = 0;
    for await (const e of this.entries(from, this.latestKnownVersion)) {
      if ('blocker' in e) {
        if (files === 0) throw e.blocker.error;
        break;
      }
      const size = e.file.add.size ?? 0;
      if (files > 0 && (files + 1 > maxFiles || bytes + size > maxBytes)) break;
      files++;
      bytes += size;
      end = this.offsetOf(e.file);
      if (files >= maxFiles) break;
    }
    return end ?? start;
  }

  async getBatch(start: DeltaSourceOffset | null, end: DeltaSourceOffset): Promise<arrow.Table> {
    await this.init();
    const from = start ?? (await this.startPosition());
    this.checkReservoir(from);
    this.checkReservoir(end);
    const files: IndexedFile[] = [];
    for await (const e of this.entries(from, end.reservoirVersion)) {
      if ('blocker' in e) throw e.blocker.error;
      if (comparePosition(e.file, end) > 0) break;
      files.push(e.file);
    }
    // Read up to READ_CONCURRENCY files at once; keep stream order in the output.
    const tables: arrow.Table[] = new Array(files.length);
    let next = 0;
    const worker = async (): Promise<void> => {
      for (let i = next++; i < files.length; i = next++) tables[i] = await this.readFile(files[i]!);
    };
    await Promise.all(Array.from({ length: Math.min(READ_CONCURRENCY, files.length) }, worker));
    const batches: arrow.RecordBatch[] = [];
    for (const t of tables) batches.push(...t.batches);
    this.pruneCaches(from.reservoirVersion);
    if (batches.length === 0) return new arrow.Table(this.arrowSchema!);
    return new arrow.Table(batches);
  }

  offsetTimestamp(end: DeltaSourceOffset): number | undefined {
    return this.commitTimes.get(end.reservoirVersion);
  }

  // ---- positions -------------------------------------------------------------------------------

  private offsetOf(f: IndexedFile): DeltaSourceOffset {
    return {
      sourceVersion: 1,
      reservoirId: this.tableId!,
      reservoirVersion: f.version,
      index: f.index,
      isStartingVersion: f.isStartingVersion,
    };
  }

  private checkReservoir(o: DeltaSourceOffset): void {
    if (o.sourceVersion !== 1) {
      throw new InvalidArgumentError(`unsupported DeltaSourceOffset sourceVersion ${String(o.sourceVersion)}`);
    }
    if (o.reservoirId !== this.tableId) {
      throw new InvalidArgumentError(
        `the checkpoint's offsets belong to table id ${o.reservoirId}, but ${this.uri} has id ${this.tableId}: ` +
          'use a new checkpoint location for a different source table',
      );
    }
  }

  /** Position just before the first file the stream emits (from the options), pinned on first use. */
  private async startPosition(): Promise<DeltaSourceOffset> {
    if (this.initialStart) return this.initialStart;
    const store = this.store!;
    let version: number;
    let isStartingVersion = false;
    if (this.options.startingVersion !== undefined) {
      if (this.options.startingVersion === 'latest') {
        await this.refreshLatestVersion();
        version = this.latestKnownVersion + 1;
      } else {
        version = this.options.startingVersion;
        await this.refreshLatestVersion();
        if (version <= this.latestKnownVersion && !(await store.head(commitPath(version)))) {
          throw new VersionNotFoundError(
            `startingVersion ${version}: commit ${commitPath(version)} is no longer in the log (cleaned up?)`,
            version,
          );
        }
      }
    } else if (this.options.startingTimestamp !== undefined) {
      // The same commit-time rule as time travel (In-Commit Timestamps from their enablement version on).
      const timeline = await CommitTimeline.load(store, { config: this.readSnapshot!.config });
      version = await timeline.atOrAfter(toMillis(this.options.startingTimestamp));
    } else {
      const snap = await this.snapshotAt();
      version = snap.version;
      isStartingVersion = true;
    }
    this.initialStart = { sourceVersion: 1, reservoirId: this.tableId!, reservoirVersion: version, index: -1, isStartingVersion };
    return this.initialStart;
  }

  /**
   * Files after `from` in stream order, up to commit `maxVersion`: the rest of the starting snapshot
   * (when `from.isStartingVersion`), then each commit's data-changing adds in action order.
   */
  private async *entries(from: DeltaSourceOffset, maxVersion: number): AsyncGenerator<Entry> {
    let version = from.reservoirVersion;
    if (from.isStartingVersion) {
      const files = await this.snapshotFileList(version);
      for (let i = from.index + 1; i < files.length; i++) {
        yield { file: { version, index: i, isStartingVersion: true, add: files[i]! } };
      }
      version++;
      for (; version <= maxVersion; version++) yield* this.commitEntries(version, -1);
      return;
    }
    for (; version <= maxVersion; version++) {
      yield* this.commitEntries(version, version === from.reservoirVersion ? from.index : -1);
    }
  }

  private async *commitEntries(version: number, afterIndex: number): AsyncGenerator<Entry> {
    const c = await this.commit(version);
    const blocker = this.classify(c);
    if (blocker === 'skip') return;
    if (blocker) {
      yield { blocker };
      return;
    }
    for (let i = afterIndex + 1; i < c.actions.length; i++) {
      const a = c.actions[i]!;
      if ('add' in a && a.add.dataChange) yield { file: { version, index: i, isStartingVersion: false, add: a.add } };
      // add with dataChange=false (OPTIMIZE, compaction) rearranges existing rows: not new data.
    }
  }

  /** Whether a commit may be streamed: null = yes, 'skip' = ignore it entirely, Blocker = the stream must stop here. */
  private classify(c: ParsedCommit): Blocker | 'skip' | null {
    let removes = 0;
    let adds = 0;
    for (const a of c.actions) {
      if ('metaData' in a && !sameReadSchema(a.metaData, this.readSnapshot!.config)) {
        return {
          version: c.version,
          error: new StreamSourceChangedError(
            `source table ${this.uri} changed its schema or partitioning at version ${c.version}; ` +
              'restart the stream to pick up the new schema',
            c.version,
          ),
        };
      }
      if ('remove' in a && a.remove.dataChange) removes++;
      if ('add' in a && a.add.dataChange) adds++;
    }
    if (removes === 0) return null;
    if (this.options.skipChangeCommits) return 'skip';
    if (this.options.ignoreDeletes && adds === 0) return 'skip';
    const op = operationOf(c);
    return {
      version: c.version,
      error: new StreamSourceChangedError(
        `source table ${this.uri} has a commit that ${adds === 0 ? 'deletes' : 'updates'} data at version ${c.version}` +
          `${op ? ` (operation ${op})` : ''}; a streaming source only supports appends. Set ` +
          `${adds === 0 ? "'ignoreDeletes' to ignore deletes of whole files, or " : ''}'skipChangeCommits' to skip such commits`,
        c.version,
      ),
    };
  }

  // ---- log access --------------------------------------------------------------------------------

  private async init(): Promise<void> {
    if (this.tableId) return;
    if (!this.store) this.store = await openStreamStore(this.uri, this.options.storageOptions);
    const snap = await this.snapshotAt();
    this.tableId = snap.metadata.id;
    this.readSnapshot = snap;
    this.arrowSchema = toArrowSchema(snap.schema);
    this.latestKnownVersion = Math.max(this.latestKnownVersion, snap.version);
  }

  /** Latest snapshot (no version) or the snapshot at `version`, cached by version. */
  private async snapshotAt(version?: number): Promise<Snapshot> {
    if (version !== undefined) {
      const hit = this.snapshots.get(version);
      if (hit) return hit;
    }
    const snap = await Snapshot.load(this.store!, version === undefined ? {} : { version });
    this.snapshots.set(snap.version, snap);
    this.commitTimes.set(snap.version, snap.timestamp);
    return snap;
  }

  /** Active files of the starting snapshot in a deterministic order: modificationTime, then path. */
  private async snapshotFileList(version: number): Promise<Add[]> {
    let files = this.snapshotFiles.get(version);
    if (!files) {
      const snap = await this.snapshotAt(version);
      files = [...snap.activeFiles()].sort(
        (a, b) => a.modificationTime - b.modificationTime || (a.path < b.path ? -1 : a.path > b.path ? 1 : 0),
      );
      this.snapshotFiles.set(version, files);
    }
    return files;
  }

  /** Find commits newer than the newest known one by listing `_delta_log/` after it (never the whole log). */
  private async refreshLatestVersion(): Promise<void> {
    const startAfter = this.latestKnownVersion >= 0 ? commitPath(this.latestKnownVersion) : undefined;
    for await (const m of this.store!.list(`${LOG_DIR}/`, { startAfter, recursive: false })) {
      const p = parseLogFileName(m.path);
      if (!p || p.kind !== 'commit') continue;
      // Commits are created in order with putIfAbsent, so the newest listed version bounds a gap-free range.
      if (p.version > this.latestKnownVersion) this.latestKnownVersion = p.version;
      if (!this.commitTimes.has(p.version)) this.commitTimes.set(p.version, m.lastModified.getTime());
    }
  }

  private async commit(version: number): Promise<ParsedCommit> {
    const hit = this.commitCache.get(version);
    if (hit) return hit;
    const actions = await readCommit(this.store!, version);
    const info = commitInfoOf(actions);
    const mtime = this.commitTimes.get(version) ?? (typeof info?.timestamp === 'number' ? info.timestamp : Date.now());
    const timestamp = this.readSnapshot!.config.commitTimestamp(version, info?.inCommitTimestamp, mtime);
    const c: ParsedCommit = { version, actions, timestamp };
    this.commitTimes.set(version, c.timestamp);
    if (this.commitCache.size >= MAX_CACHED_COMMITS) {
      const oldest = this.commitCache.keys().next().value;
      if (oldest !== undefined) this.commitCache.delete(oldest);
    }
    this.commitCache.set(version, c);
    return c;
  }

  private pruneCaches(belowVersion: number): void {
    for (const v of this.commitCache.keys()) if (v < belowVersion) this.commitCache.delete(v);
    for (const v of this.commitTimes.keys()) if (v < belowVersion) this.commitTimes.delete(v);
    for (const v of this.snapshotFiles.keys()) if (v < belowVersion) this.snapshotFiles.delete(v);
  }

  private async readFile(f: IndexedFile): Promise<arrow.Table> {
    const snap = this.readSnapshot!;
    // readDataFile applies the file's deletion vector, column mapping and partition values.
    return readDataFile({ store: this.store!, add: f.add, config: snap.config });
  }
}

/** Order of two positions in the stream (starting-snapshot files of version v come before commit v+1). */
function comparePosition(a: { version: number; index: number; isStartingVersion: boolean }, b: DeltaSourceOffset): number {
  if (a.version !== b.reservoirVersion) return a.version - b.reservoirVersion;
  if (a.isStartingVersion !== b.isStartingVersion) return a.isStartingVersion ? -1 : 1;
  return a.index - b.index;
}

function sameReadSchema(a: Metadata, b: TableConfiguration): boolean {
  return (
    a.schemaString === b.metadata.schemaString &&
    JSON.stringify(a.partitionColumns ?? []) === JSON.stringify(b.partitionColumns) &&
    new TableProperties(a.configuration ?? {}).columnMappingMode === b.columnMappingMode
  );
}

function operationOf(c: ParsedCommit): string | undefined {
  for (const a of c.actions) if ('commitInfo' in a && a.commitInfo.operation) return a.commitInfo.operation;
  return undefined;
}

function toMillis(t: Date | number | string): number {
  const ms = t instanceof Date ? t.getTime() : typeof t === 'number' ? t : Date.parse(t);
  if (!Number.isFinite(ms)) throw new InvalidArgumentError(`startingTimestamp ${String(t)} is not a valid time`);
  return ms;
}

function validateOptions(o: DeltaSourceOptions): void {
  if (o.startingVersion !== undefined && o.startingTimestamp !== undefined) {
    throw new InvalidArgumentError('set only one of startingVersion and startingTimestamp');
  }
  if (o.startingVersion !== undefined && o.startingVersion !== 'latest') {
    if (!Number.isSafeInteger(o.startingVersion) || o.startingVersion < 0) {
      throw new InvalidArgumentError(`startingVersion must be a version >= 0 or 'latest', got ${String(o.startingVersion)}`);
    }
  }
  if (o.maxFilesPerTrigger !== undefined && (!Number.isSafeInteger(o.maxFilesPerTrigger) || o.maxFilesPerTrigger < 1)) {
    throw new InvalidArgumentError(`maxFilesPerTrigger must be a positive integer, got ${String(o.maxFilesPerTrigger)}`);
  }
  if (o.maxBytesPerTrigger !== undefined && !(o.maxBytesPerTrigger > 0)) {
    throw new InvalidArgumentError(`maxBytesPerTrigger must be positive, got ${String(o.maxBytesPerTrigger)}`);
  }
}
