// DeltaTable: the user API over one table: create, open (time travel), append, overwrite (incl. replaceWhere),
// scan, history, files. Protocol work is delegated to src/log; storage goes through the ObjectStore only.
import { randomUUID } from 'node:crypto';
import { RecordBatch, Schema as ArrowSchema, Table } from 'apache-arrow';
import type { Action, Add, Metadata, Protocol, Remove } from '../log/actions.js';
import { Snapshot } from '../log/snapshot.js';
import { Transaction, type CommitResult as TxnCommitResult } from '../log/transaction.js';
import { readHistory, type HistoryEntry } from '../log/history.js';
import { hasFeature, protocolFor, protocolWithFeature } from '../log/features.js';
import type { ObjectStore } from '../storage/store.js';
import { openStore, type StorageOptions } from '../storage/registry.js';
import type { StructType, DataType } from '../schema/types.js';
import { parseSchema, serializeSchema, isPrimitive } from '../schema/json.js';
import { fromArrowSchema } from '../schema/arrow.js';
import { conformToSchema } from '../schema/enforce.js';
import { objectsToArrow } from '../schema/objects.js';
import { writeDataFiles, type DataFileOptions, type WriteContext } from './writer.js';
import { Scan, type ScanOptions } from './scan.js';
import { DeltaSource, type DeltaSourceOptions } from '../streaming/source.js';
import { evaluateMask, exprToString, parsePredicate, validateExpr, type Expr } from '../expr/index.js';
import { fileMayMatch } from './pruning.js';
import { readDataFile } from './read_file.js';
import { TableProperties } from '../log/table_properties.js';
import { filterRows } from '../schema/access/take.js';
import { deleteRows, type DeleteMetrics } from './operations/delete.js';
import { updateRows, type UpdateMetrics, type UpdateSpec } from './operations/update.js';
import type { DmlCommitted, DmlOptions, DmlResult } from './operations/dml_files.js';
import { TableChanges, type ChangesOptions } from './changes.js';
import { ChangeFeedSource, type ChangeFeedSourceOptions } from './change_feed_source.js';

/** stream({ readChangeFeed: true }): the change data feed as a stream (Spark's readChangeFeed option). */
export interface ChangeFeedStreamOptions extends ChangeFeedSourceOptions {
  readChangeFeed: true;
}
import { MergeBuilder, mergeRows, type MergeMetrics, type MergeOptions, type MergeSource } from './operations/merge.js';
import { InvalidArgumentError, SchemaMismatchError, TableExistsError, TableNotFoundError } from '../errors.js';

export type WriteData = Table | RecordBatch | RecordBatch[] | Record<string, unknown>[];

export interface CreateOptions {
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

export interface OpenOptions {
  version?: number;
  /** Time travel: a Date, an ISO-8601 string, or milliseconds since the epoch. */
  timestamp?: Date | string | number;
  storageOptions?: StorageOptions;
}

export interface WriteOptions extends DataFileOptions {
  /** 'merge' adds new nullable columns; 'overwrite' (with overwrite()) replaces the schema. */
  schemaMode?: 'merge' | 'overwrite';
  /** Exactly-once marker: a txn action {appId, version} committed atomically with the data. */
  txn?: { appId: string; version: number };
  /** Extra commitInfo fields (e.g. userMetadata). */
  commitInfo?: Record<string, unknown>;
  /** Max lost races before giving up (default 100). */
  maxRetries?: number;
}

export interface OverwriteOptions extends WriteOptions {
  /** Replace only the rows matching this predicate; every new row must match it. */
  replaceWhere?: Expr | string;
  /** New partition columns (only with schemaMode 'overwrite'). */
  partitionBy?: string[];
}

export interface CommitResult {
  version: number;
  addedFiles: Add[];
  removedFiles: Remove[];
  /** Lost races before the commit won. */
  retries: number;
}

export class DeltaTable {
  private constructor(
    readonly uri: string,
    readonly store: ObjectStore,
    private snap: Snapshot,
    /** Opened at a fixed version/timestamp: writes refused. */
    readonly timeTravel: boolean,
  ) {}

  static async create(uri: string, options: CreateOptions): Promise<DeltaTable> {
    const store = openStore(uri, options.storageOptions);
    return DeltaTable.createInStore(store, options);
  }

  static async createInStore(store: ObjectStore, options: CreateOptions): Promise<DeltaTable> {
    const schema = options.schema instanceof ArrowSchema ? fromArrowSchema(options.schema) : options.schema;
    // Validate by a round trip through the JSON form a reader will parse.
    const schemaString = serializeSchema(parseSchema(JSON.stringify(schema)));
    assertFieldNames(schema, '');
    const partitionBy = options.partitionBy ?? [];
    validatePartitionColumns(schema, partitionBy);
    const properties = { ...(options.properties ?? {}) };
    for (const [k, v] of Object.entries(properties)) {
      if (typeof v !== 'string') throw new InvalidArgumentError(`table property '${k}' must be a string, got ${typeof v} ${JSON.stringify(v)}`);
    }
    const typed = new TableProperties(properties);
    typed.validate();
    const protocol: Protocol = protocolFor({
      timestampNtz: usesType(schema, 'timestamp_ntz'),
      changeDataFeed: typed.enableChangeDataFeed,
      appendOnly: typed.appendOnly,
      deletionVectors: typed.enableDeletionVectors,
    });
    const metadata: Metadata = {
      id: randomUUID(),
      name: options.name ?? null,
      description: options.description ?? null,
      format: { provider: 'parquet', options: {} },
      schemaString,
      partitionColumns: partitionBy,
      configuration: properties,
      createdTime: Date.now(),
    };
    const txn = new Transaction(store, null, {
      operation: 'CREATE TABLE',
      operationParameters: {
        isManaged: 'false',
        description: options.description ?? null,
        partitionBy: JSON.stringify(partitionBy),
        properties: JSON.stringify(properties),
      },
    });
    txn.addActions([{ protocol }, { metaData: metadata }]);
    try {
      const res = await txn.commit();
      return new DeltaTable(store.uri, store, res.snapshot, false);
    } catch (e) {
      if (e instanceof TableExistsError && options.ifNotExists) return DeltaTable.openStore(store);
      throw e;
    }
  }

  static async open(uri: string, options: OpenOptions = {}): Promise<DeltaTable> {
    return DeltaTable.openStore(openStore(uri, options.storageOptions), options);
  }

  static async openStore(store: ObjectStore, options: Omit<OpenOptions, 'storageOptions'> = {}): Promise<DeltaTable> {
    const timestamp = options.timestamp === undefined ? undefined : toMillis(options.timestamp);
    const snap = await Snapshot.load(store, { version: options.version, timestamp });
    return new DeltaTable(store.uri, store, snap, options.version !== undefined || timestamp !== undefined);
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
    return new Scan(this.snap, options);
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
    if (options.schemaMode === 'overwrite') {
      throw new InvalidArgumentError("schemaMode 'overwrite' is only allowed with overwrite(); use 'merge' to add columns on append");
    }
    // A blind append needs no fresh read: a stale snapshot only means a lost race, and the transaction rebases.
    const snap = this.writable();
    const { table, schema, metadataAction, protocolAction } = this.prepare(snap, data, options.schemaMode);
    const adds = await writeDataFiles(this.store, table, writeContext(snap, schema), options);
    const actions: Action[] = [];
    if (protocolAction) actions.push({ protocol: protocolAction });
    if (metadataAction) actions.push({ metaData: metadataAction });
    if (options.txn) actions.push({ txn: { appId: options.txn.appId, version: options.txn.version, lastUpdated: Date.now() } });
    for (const add of adds) actions.push({ add });
    const txn = new Transaction(this.store, snap, {
      operation: 'WRITE',
      operationParameters: { mode: 'Append', partitionBy: JSON.stringify(snap.partitionColumns) },
      operationMetrics: writeMetrics(adds, table.numRows),
      commitInfo: options.commitInfo,
      maxRetries: options.maxRetries,
    }).addActions(actions);
    return this.finish(await txn.commit(), adds, []);
  }

  async overwrite(data: WriteData, options: OverwriteOptions = {}): Promise<CommitResult> {
    const snap = await this.latestForWrite();
    if (options.partitionBy && options.schemaMode !== 'overwrite') {
      throw new InvalidArgumentError("changing partitionBy needs schemaMode 'overwrite'");
    }
    if (options.replaceWhere !== undefined && options.schemaMode === 'overwrite') {
      throw new InvalidArgumentError("replaceWhere cannot be combined with schemaMode 'overwrite'");
    }
    const { table, schema, metadataAction, protocolAction } = this.prepare(snap, data, options.schemaMode, options.partitionBy);
    const now = Date.now();
    const removes: Remove[] = [];
    const readFiles: Add[] = [];
    let rewrite: Table[] = [];
    let predicateText: string | undefined;
    let readPredicate: 'all' | ((add: Add) => boolean) = 'all';
    if (options.replaceWhere === undefined) {
      for (const add of snap.activeFiles()) removes.push(removeOf(add, now));
    } else {
      const expr = typeof options.replaceWhere === 'string' ? parsePredicate(options.replaceWhere) : options.replaceWhere;
      validateExpr(expr, snap.schema);
      predicateText = exprToString(expr);
      // Every new row must match the predicate (Delta's replaceWhere constraint check).
      const mask = evaluateMask(table, expr, schema);
      const bad = mask.findIndex((m) => !m);
      if (bad >= 0) {
        throw new SchemaMismatchError(`row ${bad} of the data does not match replaceWhere '${predicateText}'; nothing was written`, undefined, bad);
      }
      const config = snap.config;
      readPredicate = (add: Add) => fileMayMatch(add, expr, config);
      // Files that may hold matching rows are removed; rows in them that do not match are written back.
      for (const add of snap.activeFiles()) {
        if (!fileMayMatch(add, expr, config)) continue;
        readFiles.push(add);
        const rows = await readDataFile({ store: this.store, add, config: snap.config });
        const m = evaluateMask(rows, expr, snap.schema);
        const matches = m.reduce((n, v) => n + (v ? 1 : 0), 0);
        if (matches === 0) continue;
        removes.push(removeOf(add, now));
        if (matches < rows.numRows) rewrite.push(filterRows(rows, m.map((v) => (v ? 0 : 1))));
      }
    }
    const ctx = writeContext(snap, schema, options.partitionBy);
    const adds = await writeDataFiles(this.store, table, ctx, options);
    for (const t of rewrite) adds.push(...(await writeDataFiles(this.store, t, ctx, options)));
    rewrite = [];
    const actions: Action[] = [];
    if (protocolAction) actions.push({ protocol: protocolAction });
    if (metadataAction) actions.push({ metaData: metadataAction });
    if (options.txn) actions.push({ txn: { appId: options.txn.appId, version: options.txn.version, lastUpdated: now } });
    for (const remove of removes) actions.push({ remove });
    for (const add of adds) actions.push({ add });
    const txn = new Transaction(this.store, snap, {
      operation: 'WRITE',
      operationParameters: {
        mode: 'Overwrite',
        partitionBy: JSON.stringify(ctx.partitionColumns),
        ...(predicateText !== undefined ? { predicate: JSON.stringify([predicateText]) } : {}),
      },
      operationMetrics: { ...writeMetrics(adds, table.numRows), numRemovedFiles: String(removes.length) },
      readPredicate,
      readFiles,
      commitInfo: options.commitInfo,
      maxRetries: options.maxRetries,
    }).addActions(actions);
    return this.finish(await txn.commit(), adds, removes);
  }

  /** DELETE the rows matching `predicate` (SQL text or an expression); all rows without one. */
  async delete(predicate?: Expr | string, options: DmlOptions = {}): Promise<DmlResult<DeleteMetrics>> {
    return this.adoptDml(await deleteRows(await this.latestForWrite(), predicate, options));
  }

  /** UPDATE: `set` columns to expressions on the rows matching `where` (all rows without it). */
  async update(spec: UpdateSpec, options: DmlOptions = {}): Promise<DmlResult<UpdateMetrics>> {
    return this.adoptDml(await updateRows(await this.latestForWrite(), spec, options));
  }

  /**
   * MERGE `source` into this table: `on` joins target and source (named by `targetAlias` / `sourceAlias`), then the
   * when... clauses in order decide per row; execute() commits.
   */
  merge(source: MergeSource, options: MergeOptions & DmlOptions): MergeBuilder {
    return new MergeBuilder(async (clauses): Promise<DmlResult<MergeMetrics>> =>
      this.adoptDml(await mergeRows(await this.latestForWrite(), source, options, clauses, options)),
    );
  }

  /** The change data feed of a version (or timestamp) range: rows with _change_type, _commit_version, _commit_timestamp. */
  changes(options: ChangesOptions): TableChanges {
    return new TableChanges(this.store, options);
  }

  private adoptDml<M>(c: DmlCommitted<M>): DmlResult<M> {
    this.snap = c.snapshot;
    return c.result;
  }

  /** Commit prepared actions through an optimistic transaction on the latest snapshot (maintenance operations). */
  async commitActions(
    actions: Action[],
    options: ConstructorParameters<typeof Transaction>[2],
  ): Promise<CommitResult> {
    const snap = await this.latestForWrite();
    const res = await new Transaction(this.store, snap, options).addActions(actions).commit();
    const adds = actions.flatMap((a) => ('add' in a ? [a.add] : []));
    const removes = actions.flatMap((a) => ('remove' in a ? [a.remove] : []));
    return this.finish(res, adds, removes);
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

  private finish(res: TxnCommitResult, adds: Add[], removes: Remove[]): CommitResult {
    this.snap = res.snapshot;
    return { version: res.version, addedFiles: adds, removedFiles: removes, retries: res.retries };
  }

  /** Convert input to Arrow, enforce (or evolve) the schema; returns the new metaData when the schema changes. */
  private prepare(
    snap: Snapshot,
    data: WriteData,
    schemaMode: WriteOptions['schemaMode'],
    partitionBy?: string[],
  ): { table: Table; schema: StructType; metadataAction?: Metadata; protocolAction?: Protocol } {
    const input = toArrowTable(data, snap.schema, schemaMode);
    const { table, schema, schemaChanged } = conformToSchema(input, snap.schema, { schemaMode });
    const partitionChanged = partitionBy !== undefined && JSON.stringify(partitionBy) !== JSON.stringify(snap.partitionColumns);
    if (partitionBy) validatePartitionColumns(schema, partitionBy);
    if (!schemaChanged && !partitionChanged) return { table, schema };
    if (snap.config.columnMappingMode !== 'none') {
      throw new InvalidArgumentError('schema changes on column-mapping tables are not supported by deltats yet');
    }
    const metadataAction: Metadata = {
      ...snap.metadata,
      schemaString: serializeSchema(schema),
      partitionColumns: partitionBy ?? snap.partitionColumns,
    };
    // A new timestamp_ntz column needs the timestampNtz feature (delta-rs refuses the table without it).
    const needsNtz = usesType(schema, 'timestamp_ntz') && !hasFeature(snap.protocol, 'timestampNtz');
    const protocolAction = needsNtz ? protocolWithFeature(snap.protocol, metadataAction, 'timestampNtz') : undefined;
    return { table, schema, metadataAction, protocolAction };
  }
}

function toArrowTable(data: WriteData, schema: StructType, schemaMode: WriteOptions['schemaMode']): Table {
  if (data instanceof Table) return data;
  if (data instanceof RecordBatch) return new Table([data]);
  if (Array.isArray(data)) {
    if (data.length > 0 && data[0] instanceof RecordBatch) return new Table(data as RecordBatch[]);
    const rows = data as Record<string, unknown>[];
    if (schemaMode === 'overwrite') {
      // The data's own columns become the schema: keep the table's types for the columns it still has.
      const keys = new Set(rows.flatMap((r) => Object.keys(r)));
      const kept: StructType = { type: 'struct', fields: schema.fields.filter((f) => keys.has(f.name)) };
      return objectsToArrow(rows, kept, { allowExtra: true });
    }
    return objectsToArrow(rows, schema, { allowExtra: schemaMode === 'merge' });
  }
  throw new InvalidArgumentError('data must be an Arrow Table, RecordBatch(es) or an array of plain objects');
}

function writeContext(snap: Snapshot, schema: StructType, partitionBy?: string[]): WriteContext {
  return { schema, partitionColumns: partitionBy ?? snap.partitionColumns, properties: snap.config.properties };
}

function writeMetrics(adds: Add[], rows: number): Record<string, string> {
  return {
    numFiles: String(adds.length),
    numOutputRows: String(rows),
    numOutputBytes: String(adds.reduce((n, a) => n + a.size, 0)),
  };
}

/** PROTOCOL.md "Add File and Remove File": a remove carries the add's metadata when extendedFileMetadata is true. */
export function removeOf(add: Add, deletionTimestamp: number, dataChange = true): Remove {
  const r: Remove = {
    path: add.path,
    deletionTimestamp,
    dataChange,
    extendedFileMetadata: true,
    partitionValues: add.partitionValues,
    size: add.size,
  };
  if (add.stats) r.stats = add.stats;
  if (add.tags) r.tags = add.tags;
  if (add.deletionVector) r.deletionVector = add.deletionVector;
  if (add.baseRowId != null) r.baseRowId = add.baseRowId;
  if (add.defaultRowCommitVersion != null) r.defaultRowCommitVersion = add.defaultRowCommitVersion;
  return r;
}

/** Column names are non-empty and unique within each struct, ignoring case (Spark's default resolution). */
function assertFieldNames(t: DataType | StructType, path: string): void {
  if (typeof t === 'string') return;
  if (t.type === 'array') return assertFieldNames(t.elementType, path);
  if (t.type === 'map') {
    assertFieldNames(t.keyType, path);
    return assertFieldNames(t.valueType, path);
  }
  const seen = new Map<string, string>();
  for (const f of t.fields) {
    const full = path ? `${path}.${f.name}` : f.name;
    if (typeof f.name !== 'string' || f.name === '') throw new InvalidArgumentError(`schema has a column with an empty name${path ? ` in '${path}'` : ''}`);
    const prior = seen.get(f.name.toLowerCase());
    if (prior !== undefined) {
      throw new InvalidArgumentError(`schema has column '${full}' twice (as '${prior}' and '${f.name}'; names are case-insensitive)`);
    }
    seen.set(f.name.toLowerCase(), f.name);
    assertFieldNames(f.type, full);
  }
}

function validatePartitionColumns(schema: StructType, partitionBy: string[]): void {
  if (!Array.isArray(partitionBy)) throw new InvalidArgumentError('partitionBy must be an array of column names');
  for (const c of partitionBy) {
    if (typeof c !== 'string') throw new InvalidArgumentError(`partition column ${JSON.stringify(c)} must be a column name (a string)`);
    const f = schema.fields.find((x) => x.name === c);
    if (!f) throw new InvalidArgumentError(`partition column '${c}' is not in the schema`);
    if (!isPrimitive(f.type) || f.type === 'binary') {
      throw new InvalidArgumentError(`partition column '${c}' has type ${JSON.stringify(f.type)}; only primitive non-binary types can partition`);
    }
  }
  if (partitionBy.length && partitionBy.length === schema.fields.length) {
    throw new InvalidArgumentError('cannot partition by every column: a data file needs at least one non-partition column');
  }
}

function usesType(t: DataType | StructType, name: string): boolean {
  if (typeof t === 'string') return t === name;
  if (t.type === 'struct') return t.fields.some((f) => usesType(f.type, name));
  if (t.type === 'array') return usesType(t.elementType, name);
  return usesType(t.keyType, name) || usesType(t.valueType, name);
}

function toMillis(ts: Date | string | number): number {
  if (typeof ts === 'number') return ts;
  const d = ts instanceof Date ? ts : new Date(ts);
  if (Number.isNaN(d.getTime())) throw new InvalidArgumentError(`invalid timestamp '${String(ts)}'`);
  return d.getTime();
}
