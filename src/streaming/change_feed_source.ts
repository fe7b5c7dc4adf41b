// ChangeFeedSource: a Delta table's change data feed as a micro-batch source (Spark's readChangeFeed): each batch
// holds the changes of whole commit versions (table.changes()), or first the snapshot as 'insert' rows. Reads only.
import * as arrow from 'apache-arrow';
import { Snapshot } from '../log/snapshot.js';
import { toArrowSchema } from '../schema/arrow.js';
import { openStore } from '../storage/registry.js';
import type { ObjectStore } from '../storage/store.js';
import { buildData } from '../schema/vectors.js';
import { QueryableSource } from './query/queryable.js';
import type { ReadLimits } from './types.js';
import type { DeltaSourceOffset } from './source.js';
import { InvalidArgumentError } from '../errors.js';
import { TableChanges } from '../table/changes.js';
import { Scan } from '../table/scan.js';

/**
 * Position in the change feed: Spark's DeltaSourceOffset, as its CDF source uses it. Every version up to
 * `reservoirVersion` was emitted (the snapshot one when isStartingVersion; index -1 = nothing of it yet).
 */
export type ChangeFeedOffset = DeltaSourceOffset;

export interface ChangeFeedSourceOptions {
  /** First version whose changes are read; 'latest' = only versions after the current one. Without it: the current snapshot as inserts, then changes. */
  startingVersion?: number | 'latest';
  /** Maximum commit versions per micro-batch (default 100). */
  maxVersionsPerTrigger?: number;
  storageOptions?: Record<string, string>;
}

/** Query-builder methods (where, select, groupBy, writeTo...): QueryableSource, as for DeltaSource. */
export class ChangeFeedSource extends QueryableSource<ChangeFeedOffset> {
  readonly description: string;
  private readonly uri: string;
  private store: ObjectStore | undefined;
  private tableId: string | undefined;
  private start: ChangeFeedOffset | undefined;
  private latest: Snapshot | undefined;
  private outSchema: arrow.Schema | undefined;

  constructor(
    table: { uri: string; store: ObjectStore } | string,
    private readonly options: ChangeFeedSourceOptions = {},
  ) {
    super();
    const sv = options.startingVersion;
    if (sv !== undefined && sv !== 'latest' && (!Number.isInteger(sv) || sv < 0)) {
      throw new InvalidArgumentError(`startingVersion must be a non-negative integer or 'latest', got ${String(sv)}`);
    }
    if (typeof table === 'string') this.uri = table;
    else {
      this.uri = table.uri;
      this.store = table.store;
    }
    this.description = `DeltaChangeFeed[${this.uri}]`;
  }

  private async init(): Promise<void> {
    if (this.tableId) return;
    this.store ??= openStore(this.uri, this.options.storageOptions);
    this.latest = await Snapshot.load(this.store);
    this.tableId = this.latest.metadata.id;
    this.outSchema = toArrowSchema(await new TableChanges(this.store, { startingVersion: this.latest.version }).outputSchema());
  }

  async schema(): Promise<arrow.Schema> {
    await this.init();
    return this.outSchema!;
  }

  defaultLimits(): ReadLimits {
    return { maxFiles: this.options.maxVersionsPerTrigger ?? 100 };
  }

  async initialOffset(): Promise<ChangeFeedOffset> {
    await this.init();
    return this.startPosition();
  }

  private startPosition(): ChangeFeedOffset {
    if (this.start) return this.start;
    const v = this.latest!.version;
    const sv = this.options.startingVersion;
    const base = { sourceVersion: 1 as const, reservoirId: this.tableId!, index: -1 };
    this.start =
      sv === undefined
        ? { ...base, reservoirVersion: v, isStartingVersion: true }
        : { ...base, reservoirVersion: sv === 'latest' ? v : sv - 1, isStartingVersion: false };
    return this.start;
  }

  private check(o: ChangeFeedOffset): void {
    if (o.sourceVersion !== 1 || o.reservoirId !== this.tableId) {
      throw new InvalidArgumentError(
        `the checkpoint's offsets belong to table id ${String(o.reservoirId)}, but ${this.uri} has id ${this.tableId}: use a new checkpoint location`,
      );
    }
  }

  async latestOffset(start: ChangeFeedOffset | null, limits?: ReadLimits): Promise<ChangeFeedOffset | null> {
    await this.init();
    const from = start ?? this.startPosition();
    this.check(from);
    if (from.isStartingVersion && from.index === -1) return { ...from, index: 0 };
    this.latest = await this.latest!.update();
    if (this.latest.version <= from.reservoirVersion) return start;
    const max = Math.max(1, (limits ?? this.defaultLimits()).maxFiles ?? 100);
    return { sourceVersion: 1, reservoirId: this.tableId!, reservoirVersion: Math.min(this.latest.version, from.reservoirVersion + max), index: -1, isStartingVersion: false };
  }

  async getBatch(start: ChangeFeedOffset | null, end: ChangeFeedOffset): Promise<arrow.Table> {
    await this.init();
    const from = start ?? this.startPosition();
    this.check(from);
    this.check(end);
    if (end.isStartingVersion) return this.snapshotAsInserts(end.reservoirVersion);
    const first = from.reservoirVersion + 1;
    if (first > end.reservoirVersion) return new arrow.Table(this.outSchema!);
    const t = await new TableChanges(this.store!, { startingVersion: first, endingVersion: end.reservoirVersion }).toArrow();
    return t.numRows ? new arrow.Table(this.outSchema!, t.batches.map((b) => new arrow.RecordBatch(this.outSchema!, b.data))) : new arrow.Table(this.outSchema!);
  }

  /** The rows of version `v` as 'insert' changes of that version (Spark: the initial snapshot of a CDF stream). */
  private async snapshotAsInserts(v: number): Promise<arrow.Table> {
    const snap = await Snapshot.load(this.store!, { version: v });
    const ts = BigInt(snap.timestamp) * 1000n;
    const out = this.outSchema!;
    const batches: arrow.RecordBatch[] = [];
    for await (const b of new Scan(snap)) {
      const n = b.numRows;
      const children = [
        ...b.data.children,
        buildData(new Array<string>(n).fill('insert'), 'string'),
        buildData(new Array<bigint>(n).fill(BigInt(v)), 'long'),
        buildData(new Array<bigint>(n).fill(ts), 'timestamp'),
      ];
      batches.push(new arrow.RecordBatch(out, arrow.makeData({ type: new arrow.Struct(out.fields), length: n, nullCount: 0, children })));
    }
    return batches.length ? new arrow.Table(out, batches) : new arrow.Table(out);
  }

  offsetTimestamp(): number | undefined {
    return this.latest?.timestamp;
  }
}
