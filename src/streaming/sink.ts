// DeltaSink: writes each micro-batch to a Delta table in ONE commit carrying txn {appId: queryId, version: batchId}.
// Exactly-once comes from that txn (PROTOCOL.md "Transaction Identifiers"); it writes only through DeltaTable.
import type * as arrow from 'apache-arrow';
import { DeltaTable } from '../table/table.js';
import type { StructType } from '../schema/types.js';
import { ConcurrentTransactionError, InvalidArgumentError, TableNotFoundError } from '../errors.js';
import { assertBatchId } from './checkpoint.js';
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
  private table: DeltaTable | undefined;
  private readonly uri: string;

  constructor(target: string | DeltaTable, options: DeltaSinkOptions) {
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
      this.table = target;
    }
    this.description = `DeltaSink[${this.uri}]`;
  }

  /** The table's latest txn version for this query (-1 when it never committed a batch). */
  async lastCommittedBatch(): Promise<number> {
    const t = await this.openExisting();
    if (!t) return -1;
    this.table = await t.refresh();
    return this.table.snapshot.txnVersion(this.queryId) ?? -1;
  }

  /**
   * Write batch `batchId` unless the table already has it (txn version >= batchId): then {skipped: true}.
   * A concurrent commit of the same batch by another runner surfaces as ConcurrentTransactionError from the
   * transaction; the sink then re-checks the txn version and reports skipped when the other runner did it.
   */
  async addBatch(batchId: number, data: arrow.Table): Promise<SinkResult> {
    assertBatchId(batchId);
    const table = await this.tableFor(data);
    this.table = await table.refresh();
    if ((this.table.snapshot.txnVersion(this.queryId) ?? -1) >= batchId) return { skipped: true };
    const opts = {
      txn: { appId: this.queryId, version: batchId },
      schemaMode: this.options.schemaMode,
      commitInfo: { ...this.options.commitInfo, streamingBatchId: batchId, queryId: this.queryId },
    };
    try {
      const mode = this.options.outputMode ?? 'append';
      const res =
        mode === 'complete'
          ? await this.table.overwrite(data, opts)
          : mode === 'update'
            ? await this.upsert(this.table, data, opts)
            : await this.table.append(data, opts);
      return { skipped: false, version: res.version, committedAt: Date.now() };
    } catch (e) {
      if (e instanceof ConcurrentTransactionError) {
        this.table = await this.table.refresh();
        if ((this.table.snapshot.txnVersion(this.queryId) ?? -1) >= batchId) return { skipped: true };
      }
      throw e;
    }
  }

  /** MERGE the batch by key in one commit carrying the batch's txn (Spark's foreachBatch + MERGE, built in). */
  private upsert(table: DeltaTable, data: arrow.Table, opts: { txn: { appId: string; version: number }; commitInfo: Record<string, unknown> }) {
    const q = (k: string): string => `\`${k.replaceAll('`', '``')}\``;
    const on = this.options
      .keyColumns!.map((k) => `(t.${q(k)} = s.${q(k)} OR (t.${q(k)} IS NULL AND s.${q(k)} IS NULL))`)
      .join(' AND ');
    return table
      .merge(data, { on, targetAlias: 't', sourceAlias: 's', txn: opts.txn, commitInfo: opts.commitInfo })
      .whenMatchedUpdateAll()
      .whenNotMatchedInsertAll()
      .execute();
  }

  private async openExisting(): Promise<DeltaTable | undefined> {
    if (this.table) return this.table;
    try {
      this.table = await DeltaTable.open(this.uri, { storageOptions: this.options.storageOptions });
      return this.table;
    } catch (e) {
      if (e instanceof TableNotFoundError) return undefined;
      throw e;
    }
  }

  /** The sink table, created from the first batch's schema (or options.schema) when it does not exist yet. */
  private async tableFor(data: arrow.Table): Promise<DeltaTable> {
    const existing = await this.openExisting();
    if (existing) return existing;
    this.table = await DeltaTable.create(this.uri, {
      schema: this.options.schema ?? data.schema,
      partitionBy: this.options.partitionBy,
      storageOptions: this.options.storageOptions,
      // Another runner may create it at the same moment: then use theirs.
      ifNotExists: true,
    });
    return this.table;
  }
}
