// DeltaSink: writes each micro-batch to a Delta table in ONE commit carrying txn {appId: queryId, version: batchId}.
// Exactly-once comes from that txn (PROTOCOL.md "Transaction Identifiers"); it writes only through the table operations.
import type * as arrow from 'apache-arrow';
import { Snapshot } from '../log/snapshot.js';
import type { StructType } from '../schema/types.js';
import type { ObjectStore } from '../storage/store.js';
import { createTable } from '../table/operations/create.js';
import type { DmlCommitted } from '../table/operations/dml_files.js';
import { MergeBuilder, mergeRows, type MergeMetrics } from '../table/operations/merge.js';
import { append, overwrite } from '../table/operations/write.js';
import { ConcurrentTransactionError, InvalidArgumentError, TableExistsError, TableNotFoundError } from '../errors.js';
import { assertBatchId } from './checkpoint.js';
import { openStreamStore } from './store.js';
import type { SinkResult, StreamSink } from './types.js';

export interface DeltaSinkOptions {
  /** The txn appId: must stay the same across restarts of the query (the runner checks it against its checkpoint). */
  queryId: string;
  /**
   * 'append' adds the batch's rows; 'complete' replaces the whole table with them (aggregations); 'update' upserts
   * them by `keyColumns` (a MERGE per batch: matched rows updated, new keys inserted). Default 'append'.
   */
  outputMode?: 'append' | 'complete' | 'update';
  /** Key columns of outputMode 'update' (NULL keys match each other); a batch must hold each key once. */
  keyColumns?: string[];
  /** Partition columns when the sink creates the table. */
  partitionBy?: string[];
  /** Schema evolution of writes (WriteOptions.schemaMode). */
  schemaMode?: 'merge' | 'overwrite';
  /** Schema for creating the table (default: the first batch's Arrow schema). */
  schema?: StructType | arrow.Schema;
  storageOptions?: Record<string, string>;
  /** Extra commitInfo fields written with each batch. */
  commitInfo?: Record<string, unknown>;
}

export class DeltaSink implements StreamSink {
  readonly description: string;
  readonly queryId: string;
  private readonly options: DeltaSinkOptions;
  /** The sink table's latest version this sink has seen (undefined until it opened or created the table). */
  private snapshot: Snapshot | undefined;
  private store: ObjectStore | undefined;
  private readonly uri: string;

  /** `target`: a table URI, or an opened table (a DeltaTable) whose store is used. */
  constructor(target: string | { readonly uri: string; readonly store: ObjectStore }, options: DeltaSinkOptions) {
    if (!options || typeof options.queryId !== 'string' || options.queryId === '') {
      throw new InvalidArgumentError('DeltaSink needs a non-empty queryId (the txn appId that makes batches idempotent)');
    }
    const mode = options.outputMode ?? 'append';
    if (mode !== 'append' && mode !== 'complete' && mode !== 'update') {
      throw new InvalidArgumentError(`DeltaSink outputMode must be 'append', 'complete' or 'update', got '${String(mode)}'`);
    }
    if (mode === 'update' && (!Array.isArray(options.keyColumns) || options.keyColumns.length === 0)) {
      throw new InvalidArgumentError("DeltaSink outputMode 'update' needs keyColumns (the columns rows are upserted by)");
    }
    this.options = options;
    this.queryId = options.queryId;
    if (typeof target === 'string') this.uri = target;
    else {
      this.uri = target.uri;
      this.store = target.store;
    }
    this.description = `DeltaSink[${this.uri}]`;
  }

  /** The table's latest txn version for this query (-1 when it never committed a batch). */
  async lastCommittedBatch(): Promise<number> {
    const s = await this.openExisting();
    if (!s) return -1;
    this.snapshot = await s.update();
    return this.snapshot.txnVersion(this.queryId) ?? -1;
  }

  /**
   * Write batch `batchId` unless the table already has it (txn version >= batchId): then {skipped: true}.
   * A concurrent commit of the same batch by another runner surfaces as ConcurrentTransactionError from the
   * transaction; the sink then re-checks the txn version and reports skipped when the other runner did it.
   */
  async addBatch(batchId: number, data: arrow.Table): Promise<SinkResult> {
    assertBatchId(batchId);
    const snapshot = await (await this.snapshotFor(data)).update();
    this.snapshot = snapshot;
    if ((snapshot.txnVersion(this.queryId) ?? -1) >= batchId) return { skipped: true };
    const opts = {
      txn: { appId: this.queryId, version: batchId },
      schemaMode: this.options.schemaMode,
      commitInfo: { ...this.options.commitInfo, streamingBatchId: batchId, queryId: this.queryId },
    };
    try {
      const mode = this.options.outputMode ?? 'append';
      const res =
        mode === 'complete'
          ? await overwrite(snapshot, data, opts)
          : mode === 'update'
            ? await this.upsert(snapshot, data, opts)
            : await append(snapshot, data, opts);
      this.snapshot = res.snapshot;
      return { skipped: false, version: res.result.version, committedAt: Date.now() };
    } catch (e) {
      if (e instanceof ConcurrentTransactionError) {
        this.snapshot = await snapshot.update();
        if ((this.snapshot.txnVersion(this.queryId) ?? -1) >= batchId) return { skipped: true };
      }
      throw e;
    }
  }

  /** MERGE the batch by key in one commit carrying the batch's txn (Spark's foreachBatch + MERGE, built in). */
  private async upsert(
    snapshot: Snapshot,
    data: arrow.Table,
    opts: { txn: { appId: string; version: number }; commitInfo: Record<string, unknown> },
  ): Promise<{ result: { version: number }; snapshot: Snapshot }> {
    const q = (k: string): string => `\`${k.replaceAll('`', '``')}\``;
    const on = this.options
      .keyColumns!.map((k) => `(t.${q(k)} = s.${q(k)} OR (t.${q(k)} IS NULL AND s.${q(k)} IS NULL))`)
      .join(' AND ');
    const mergeOptions = { on, targetAlias: 't', sourceAlias: 's', txn: opts.txn, commitInfo: opts.commitInfo };
    let committed: DmlCommitted<MergeMetrics> | undefined;
    await new MergeBuilder(async (clauses) => {
      committed = await mergeRows(snapshot, data, mergeOptions, clauses, mergeOptions);
      return committed.result;
    })
      .whenMatchedUpdateAll()
      .whenNotMatchedInsertAll()
      .execute();
    return committed!;
  }

  private async openStore(): Promise<ObjectStore> {
    this.store ??= await openStreamStore(this.uri, this.options.storageOptions);
    return this.store;
  }

  private async openExisting(): Promise<Snapshot | undefined> {
    if (this.snapshot) return this.snapshot;
    try {
      this.snapshot = await Snapshot.load(await this.openStore());
      return this.snapshot;
    } catch (e) {
      if (e instanceof TableNotFoundError) return undefined;
      throw e;
    }
  }

  /** The sink table, created from the first batch's schema (or options.schema) when it does not exist yet. */
  private async snapshotFor(data: arrow.Table): Promise<Snapshot> {
    const existing = await this.openExisting();
    if (existing) return existing;
    const store = await this.openStore();
    try {
      this.snapshot = await createTable(store, { schema: this.options.schema ?? data.schema, partitionBy: this.options.partitionBy });
    } catch (e) {
      // Another runner may create it at the same moment: then use theirs.
      if (!(e instanceof TableExistsError)) throw e;
      this.snapshot = await Snapshot.load(store);
    }
    return this.snapshot;
  }
}
