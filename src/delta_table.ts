// DeltaTable: the user API over one table, a thin facade over everything below it: it holds the loaded Snapshot, hands
// reads to Scan and the stream source, and every change to src/table/operations/. No protocol rule is decided here.
import type { Schema as ArrowSchema } from 'apache-arrow';
import type { Add, Metadata, Protocol } from './log/actions.js';
import { checkpointStateOf, writeCheckpoint, type CheckpointWriteResult } from './log/checkpoint_write.js';
import { readHistory, type HistoryEntry } from './log/history.js';
import { Snapshot } from './log/snapshot.js';
import type { StructType } from './schema/types.js';
import { openStore, type StorageOptions } from './storage/registry.js';
import type { ObjectStore } from './storage/store.js';
import { InvalidArgumentError, TableExistsError, TableNotFoundError, UnsupportedFeatureError } from './errors.js';
import { createTable } from './table/operations/create.js';
import { optimize as optimizeOp, type OptimizeOptions, type OptimizeResult } from './table/operations/optimize.js';
import { setProperties, type SetPropertiesResult } from './table/operations/properties.js';
import { restore as restoreOp, type RestoreResult, type RestoreTarget } from './table/operations/restore.js';
import { vacuum as vacuumOp, type VacuumOptions, type VacuumResult } from './table/operations/vacuum.js';
import { append, overwrite, type Committed, type CommitResult, type OverwriteOptions, type WriteOptions } from './table/operations/write.js';
import type { WriteData } from './table/operations/write_input.js';
import { DeltaSource, type DeltaSourceOptions } from './streaming/source.js';
import { Scan, type ScanOptions } from './table/scan.js';
import { deleteRows, type DeleteMetrics } from './table/operations/delete.js';
import { updateRows, type UpdateMetrics, type UpdateSpec } from './table/operations/update.js';
import type { DmlOptions, DmlResult } from './table/operations/dml_files.js';
import { MergeBuilder, mergeRows, type MergeMetrics, type MergeOptions, type MergeSource } from './table/operations/merge.js';
import type { Expr } from './expr/index.js';
import { TableChanges, type ChangesOptions } from './table/changes.js';
import { ChangeFeedSource, type ChangeFeedSourceOptions } from './streaming/change_feed_source.js';

/** stream({ readChangeFeed: true }): the change data feed as a stream (Spark's readChangeFeed option). */
export interface ChangeFeedStreamOptions extends ChangeFeedSourceOptions {
  readChangeFeed: true;
}

export type { CommitResult, OverwriteOptions, WriteOptions } from './table/operations/write.js';
export type { WriteChunk, WriteData, WriteStream } from './table/operations/write_input.js';

export interface CreateOptions extends HandleOptions {
  schema: StructType | ArrowSchema;
  partitionBy?: string[];
  /** Table properties (metaData.configuration), e.g. {'delta.checkpointInterval': '10'}. */
  properties?: Record<string, string>;
  name?: string;
  description?: string;
  storageOptions?: StorageOptions;
  /** Return the existing table instead of failing when one exists (its schema is not checked). */
  ifNotExists?: boolean;
}

/** Options of a table handle that its reads and writes use unless told otherwise. */
export interface HandleOptions {
  /**
   * Worker threads that decode Parquet on scans and encode it when a write makes several files (a process-wide
   * pool per size): default the available cores; 0 or 1 = on the calling thread.
   */
  threads?: number;
}

export interface OpenOptions extends HandleOptions {
  version?: number;
  /** Time travel: a Date, an ISO-8601 string, or milliseconds since the epoch. */
  timestamp?: Date | string | number;
  storageOptions?: StorageOptions;
}

export class DeltaTable {
  private constructor(
    readonly uri: string,
    readonly store: ObjectStore,
    private snap: Snapshot,
    /** Opened at a fixed version/timestamp: writes refused. */
    readonly timeTravel: boolean,
    private readonly handle: HandleOptions = {},
  ) {}

  static async create(uri: string, options: CreateOptions): Promise<DeltaTable> {
    const store = openStore(uri, options.storageOptions);
    return DeltaTable.createInStore(store, options);
  }

  static async createInStore(store: ObjectStore, options: CreateOptions): Promise<DeltaTable> {
    try {
      const handle = options.threads !== undefined ? { threads: options.threads } : {};
      return new DeltaTable(store.uri, store, await createTable(store, options), false, handle);
    } catch (e) {
      if (e instanceof TableExistsError && options.ifNotExists) return DeltaTable.openStore(store, { threads: options.threads });
      throw e;
    }
  }

  static async open(uri: string, options: OpenOptions = {}): Promise<DeltaTable> {
    return DeltaTable.openStore(openStore(uri, options.storageOptions), options);
  }

  static async openStore(store: ObjectStore, options: Omit<OpenOptions, 'storageOptions'> = {}): Promise<DeltaTable> {
    const timestamp = options.timestamp === undefined ? undefined : toMillis(options.timestamp);
    const snap = await Snapshot.load(store, { version: options.version, timestamp });
    const handle = options.threads !== undefined ? { threads: options.threads } : {};
    return new DeltaTable(store.uri, store, snap, options.version !== undefined || timestamp !== undefined, handle);
  }

  /** True when a Delta table exists at the URI. */
  static async exists(uri: string, storageOptions?: StorageOptions): Promise<boolean> {
    try {
      await DeltaTable.open(uri, { storageOptions });
      return true;
    } catch (e) {
      if (e instanceof TableNotFoundError) return false;
      throw e;
    }
  }

  get snapshot(): Snapshot {
    return this.snap;
  }
  get version(): number {
    return this.snap.version;
  }
  get schema(): StructType {
    return this.snap.schema;
  }
  get partitionColumns(): string[] {
    return this.snap.partitionColumns;
  }
  get properties(): Record<string, string> {
    return this.snap.metadata.configuration ?? {};
  }
  get metadata(): Metadata {
    return this.snap.metadata;
  }
  get protocol(): Protocol {
    return this.snap.protocol;
  }

  /** Active data files of the loaded version. */
  files(): Add[] {
    return this.snap.activeFiles();
  }

  /** Load the latest version (reads only commits newer than the loaded one). */
  async refresh(): Promise<this> {
    if (this.timeTravel) throw new InvalidArgumentError(`table ${this.uri} was opened at a fixed version; open it again to see newer versions`);
    this.snap = await this.snap.update();
    return this;
  }

  scan(options: ScanOptions = {}): Scan {
    return new Scan(this.snap, { ...this.handle, ...options });
  }

  /** This table as an incremental streaming source (Spark's readStream.format("delta")). */
  stream(options: ChangeFeedStreamOptions): ChangeFeedSource;
  stream(options?: DeltaSourceOptions): DeltaSource;
  stream(options: DeltaSourceOptions | ChangeFeedStreamOptions = {}): DeltaSource | ChangeFeedSource {
    if ('readChangeFeed' in options && options.readChangeFeed) {
      const { readChangeFeed: _, ...rest } = options;
      return new ChangeFeedSource(this, rest);
    }
    return new DeltaSource(this, options as DeltaSourceOptions);
  }

  /** Commit history, newest first. */
  async history(limit?: number): Promise<HistoryEntry[]> {
    return readHistory(this.store, { limit });
  }

  async append(data: WriteData, options: WriteOptions = {}): Promise<CommitResult> {
    // A blind append needs no fresh read: a stale snapshot only means a lost race, and the transaction rebases.
    return this.adopt(await append(this.writable(), data, { ...this.handle, ...options }));
  }

  async overwrite(data: WriteData, options: OverwriteOptions = {}): Promise<CommitResult> {
    return this.adopt(await overwrite(await this.latestForWrite(), data, { ...this.handle, ...options }));
  }

  /** DELETE the rows matching `predicate` (SQL text or an expression); all rows without one. */
  async delete(predicate?: Expr | string, options: DmlOptions = {}): Promise<DmlResult<DeleteMetrics>> {
    return this.adopt(await deleteRows(await this.latestForWrite(), predicate, options));
  }

  /** UPDATE: `set` columns to expressions on the rows matching `where` (all rows without it). */
  async update(spec: UpdateSpec, options: DmlOptions = {}): Promise<DmlResult<UpdateMetrics>> {
    return this.adopt(await updateRows(await this.latestForWrite(), spec, options));
  }

  /**
   * MERGE `source` into this table: `on` joins target and source (named by `targetAlias` / `sourceAlias`), then the
   * when... clauses in order decide per row; execute() commits.
   */
  merge(source: MergeSource, options: MergeOptions & DmlOptions): MergeBuilder {
    return new MergeBuilder(async (clauses): Promise<DmlResult<MergeMetrics>> =>
      this.adopt(await mergeRows(await this.latestForWrite(), source, options, clauses, options)),
    );
  }

  /** The change data feed of a version (or timestamp) range: rows with _change_type, _commit_version, _commit_timestamp. */
  changes(options: ChangesOptions): TableChanges {
    return new TableChanges(this.store, options);
  }

  /** Delete unreferenced data files older than the retention window (see VacuumOptions). */
  async vacuum(options: VacuumOptions = {}): Promise<VacuumResult> {
    return this.adopt(await vacuumOp(await this.latestForMaintenance(), options));
  }

  /** Compact small files into files near the target size (see OptimizeOptions). */
  async optimize(options: OptimizeOptions = {}): Promise<OptimizeResult> {
    return this.adopt(await optimizeOp(await this.latestForMaintenance(), options));
  }

  /** Make the latest version equal to an earlier one (a version, or the version current at a timestamp). */
  async restore(target: RestoreTarget): Promise<RestoreResult> {
    return this.adopt(await restoreOp(await this.latestForMaintenance(), target));
  }

  /**
   * Set table properties (Spark's ALTER TABLE SET TBLPROPERTIES), upgrading the protocol for the features they turn
   * on, e.g. {'delta.enableInCommitTimestamps': 'true'}.
   */
  async setProperties(properties: Record<string, string>): Promise<SetPropertiesResult> {
    return this.adopt(await setProperties(await this.latestForWrite(), properties));
  }

  /** Write a classic checkpoint of the loaded version (and update `_delta_log/_last_checkpoint`). */
  async checkpoint(): Promise<CheckpointWriteResult & { version: number }> {
    if (this.snap.config.requiresV2Checkpoints) {
      throw new UnsupportedFeatureError('v2Checkpoint', 'writer', 'deltats writes classic V1 checkpoints only');
    }
    return { version: this.snap.version, ...(await writeCheckpoint(this.store, checkpointStateOf(this.snap))) };
  }

  private writable(): Snapshot {
    if (this.timeTravel) {
      throw new InvalidArgumentError(
        `table ${this.uri} was opened at version ${this.snap.version} for time travel; open the latest version to write`,
      );
    }
    return this.snap;
  }

  /** Read-dependent writes start from the latest version, so they conflict only with commits made after they read. */
  private async latestForWrite(): Promise<Snapshot> {
    this.snap = await this.writable().update();
    return this.snap;
  }

  /** Maintenance works on the latest version also from a time-travel handle (which keeps its own version). */
  private async latestForMaintenance(): Promise<Snapshot> {
    return this.timeTravel ? Snapshot.load(this.store) : this.latestForWrite();
  }

  /** Take the snapshot an operation committed (a time-travel handle keeps its version); its result. */
  private adopt<R>(c: Committed<R>): R {
    if (!this.timeTravel) this.snap = c.snapshot;
    return c.result;
  }
}

/** Delete unreferenced data files older than the retention window (see VacuumOptions). */
export function vacuum(table: DeltaTable, options: VacuumOptions = {}): Promise<VacuumResult> {
  return table.vacuum(options);
}

/** Compact small files into files near the target size (see OptimizeOptions). */
export function optimize(table: DeltaTable, options: OptimizeOptions = {}): Promise<OptimizeResult> {
  return table.optimize(options);
}

/** Restore the table to `target` (a version or the latest version committed at or before a timestamp). */
export function restore(table: DeltaTable, target: RestoreTarget): Promise<RestoreResult> {
  return table.restore(target);
}

function toMillis(ts: Date | string | number): number {
  if (typeof ts === 'number') return ts;
  const d = ts instanceof Date ? ts : new Date(ts);
  if (Number.isNaN(d.getTime())) throw new InvalidArgumentError(`invalid timestamp '${String(ts)}'`);
  return d.getTime();
}
