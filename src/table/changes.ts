// The change data feed of a version range (PROTOCOL.md "Change Data Files", "Add CDC File"): rows with _change_type,
// _commit_version and _commit_timestamp, read from a commit's cdc files where it has them, else derived from its
// data-changing add and remove actions (deletion vectors: rows newly deleted are 'delete' rows). Reads only.
import * as arrow from 'apache-arrow';
import type { Action, Add, AddCDCFile, DeletionVectorDescriptor, Metadata, Remove } from '../log/actions.js';
import { readCommit } from '../log/codec.js';
import { readDeletionVector } from '../log/deletion_vectors.js';
import { CommitTimeline, resolveTimestampToVersion } from '../log/history.js';
import { Snapshot } from '../log/snapshot.js';
import { TableProperties } from '../log/table_properties.js';
import { toArrowSchema } from '../schema/arrow.js';
import { takeRows } from '../schema/access/take.js';
import type { StructField, StructType } from '../schema/types.js';
import { buildData } from '../schema/vectors.js';
import type { ObjectStore } from '../storage/store.js';
import { InvalidArgumentError } from '../errors.js';
import { tableToObjects } from './objects_out.js';
import { readDataFile } from './read_file.js';

export interface ChangesOptions {
  /** First version of the range (inclusive); or startingTimestamp. */
  startingVersion?: number;
  /** Last version (inclusive); default the latest. */
  endingVersion?: number;
  /** The first version committed at or after this time. */
  startingTimestamp?: Date | string | number;
  /** The last version committed at or before this time. */
  endingTimestamp?: Date | string | number;
}

export type ChangeType = 'insert' | 'delete' | 'update_preimage' | 'update_postimage';

const CHANGE_FIELDS: StructField[] = [
  { name: '_change_type', type: 'string', nullable: true, metadata: {} },
  { name: '_commit_version', type: 'long', nullable: true, metadata: {} },
  { name: '_commit_timestamp', type: 'timestamp', nullable: true, metadata: {} },
];

/** Whether the table recorded change data at a version whose metadata is `m`. */
function cdfEnabled(m: Metadata): boolean {
  return new TableProperties(m.configuration ?? {}).enableChangeDataFeed;
}

function toMillis(ts: Date | string | number, what: string): number {
  const d = typeof ts === 'number' ? new Date(ts) : ts instanceof Date ? ts : new Date(ts);
  if (Number.isNaN(d.getTime())) throw new InvalidArgumentError(`invalid ${what} '${String(ts)}'`);
  return d.getTime();
}

/** The changes of a version range of one table: iterate batches, or collect with toArrow() / toArray(). */
export class TableChanges implements AsyncIterable<arrow.RecordBatch> {
  private resolved: Promise<{ start: number; end: Snapshot }> | undefined;

  constructor(
    readonly store: ObjectStore,
    readonly options: ChangesOptions,
  ) {
    const o = options ?? {};
    if ((o.startingVersion === undefined) === (o.startingTimestamp === undefined)) {
      throw new InvalidArgumentError('changes() needs exactly one of startingVersion or startingTimestamp');
    }
    if (o.endingVersion !== undefined && o.endingTimestamp !== undefined) {
      throw new InvalidArgumentError('changes() takes endingVersion or endingTimestamp, not both');
    }
    for (const k of ['startingVersion', 'endingVersion'] as const) {
      const v = o[k];
      if (v !== undefined && (!Number.isInteger(v) || v < 0)) throw new InvalidArgumentError(`${k} must be a non-negative integer, got ${String(v)}`);
    }
  }

  private range(): Promise<{ start: number; end: Snapshot }> {
    this.resolved ??= (async () => {
      const o = this.options;
      let endVersion = o.endingVersion;
      if (o.endingTimestamp !== undefined) endVersion = await resolveTimestampToVersion(this.store, toMillis(o.endingTimestamp, 'endingTimestamp'));
      const end = await Snapshot.load(this.store, endVersion === undefined ? {} : { version: endVersion });
      let start = o.startingVersion;
      if (start === undefined) {
        // The first version committed at or after it, by the commit-time rule time travel and streams use.
        start = await (await CommitTimeline.load(this.store)).atOrAfter(toMillis(o.startingTimestamp!, 'startingTimestamp'));
      }
      if (start > end.version) {
        throw new InvalidArgumentError(`changes(): the starting version ${start} is after the ending version ${end.version} of ${this.store.uri}`);
      }
      return { start, end };
    })();
    return this.resolved;
  }

  /** Schema of the rows: the table's columns (at the ending version), then _change_type, _commit_version, _commit_timestamp. */
  async outputSchema(): Promise<StructType> {
    const { end } = await this.range();
    return { type: 'struct', fields: [...end.schema.fields, ...CHANGE_FIELDS] };
  }

  async *[Symbol.asyncIterator](): AsyncIterator<arrow.RecordBatch> {
    const { start, end } = await this.range();
    let meta = start === end.version ? end.metadata : (await Snapshot.load(this.store, { version: start })).metadata;
    const out = toArrowSchema(await this.outputSchema());
    for (let v = start; v <= end.version; v++) {
      const actions = await readCommit(this.store, v);
      const md = actions.find((a): a is { metaData: Metadata } => 'metaData' in a);
      if (md) meta = md.metaData;
      if (!cdfEnabled(meta)) {
        throw new InvalidArgumentError(
          `change data was not recorded for version ${v} of ${this.store.uri} (delta.enableChangeDataFeed is not true there); ` +
            `read changes from a range where it was enabled`,
        );
      }
      const ts = BigInt(await end.commitTimestamp(v)) * 1000n;
      for await (const { rows, changeType } of this.versionChanges(end, actions)) {
        if (rows.numRows === 0) continue;
        for (const b of rows.batches) {
          if (!b.numRows) continue;
          const n = b.numRows;
          const children = [
            ...end.schema.fields.map((f) => b.getChild(f.name)!.data[0]!),
            changeType === undefined ? b.getChild('_change_type')!.data[0]! : buildData(new Array<string>(n).fill(changeType), 'string'),
            buildData(new Array<bigint>(n).fill(BigInt(v)), 'long'),
            buildData(new Array<bigint>(n).fill(ts), 'timestamp'),
          ];
          yield new arrow.RecordBatch(out, arrow.makeData({ type: new arrow.Struct(out.fields), length: n, nullCount: 0, children }));
        }
      }
    }
  }

  /** The changed rows of one commit; changeType undefined = the rows carry their own _change_type (cdc files). */
  private async *versionChanges(snap: Snapshot, actions: Action[]): AsyncGenerator<{ rows: arrow.Table; changeType?: ChangeType }> {
    const cdc = actions.flatMap((a) => ('cdc' in a ? [a.cdc] : []));
    const read = (f: { path: string; partitionValues?: Record<string, string | null> | null; size?: number | null; deletionVector?: DeletionVectorDescriptor | null }, schema: StructType) =>
      readDataFile({
        store: this.store,
        add: { path: f.path, partitionValues: f.partitionValues ?? {}, size: f.size ?? 0, modificationTime: 0, dataChange: false, deletionVector: f.deletionVector ?? null },
        config: snap.config,
        schema,
      });
    if (cdc.length) {
      // PROTOCOL.md "Change Data Files": when a commit has cdc files, they alone describe its changes.
      const schema: StructType = { type: 'struct', fields: [...snap.schema.fields, CHANGE_FIELDS[0]!] };
      for (const f of cdc as AddCDCFile[]) yield { rows: await read(f, schema) };
      return;
    }
    const adds = actions.flatMap((a) => ('add' in a && a.add.dataChange ? [a.add] : []));
    const removes = actions.flatMap((a) => ('remove' in a && a.remove.dataChange ? [a.remove] : []));
    const addedPaths = new Map(adds.map((a) => [a.path, a]));
    const removedPaths = new Set(removes.map((r) => r.path));
    for (const r of removes) {
      const readded = addedPaths.get(r.path);
      if (!readded) {
        yield { rows: await read(r, snap.schema), changeType: 'delete' };
        continue;
      }
      // Same file, new deletion vector: the rows it newly deletes (or restores).
      const before = await this.deleted(r);
      const after = await this.deleted(readded);
      const gone = [...after].filter((x) => !before.has(x)).sort((a, b) => a - b);
      const back = [...before].filter((x) => !after.has(x)).sort((a, b) => a - b);
      if (!gone.length && !back.length) continue;
      const all = await read({ ...r, deletionVector: null }, snap.schema);
      if (gone.length) yield { rows: takeRows(all, gone), changeType: 'delete' };
      if (back.length) yield { rows: takeRows(all, back), changeType: 'insert' };
    }
    for (const a of adds) if (!removedPaths.has(a.path)) yield { rows: await read(a, snap.schema), changeType: 'insert' };
  }

  private async deleted(f: Add | Remove): Promise<Set<number>> {
    return f.deletionVector ? new Set((await readDeletionVector(this.store, f.deletionVector)).toArray()) : new Set();
  }

  async toArrow(): Promise<arrow.Table> {
    const batches: arrow.RecordBatch[] = [];
    for await (const b of this) batches.push(b);
    return batches.length ? new arrow.Table(batches) : new arrow.Table(toArrowSchema(await this.outputSchema()));
  }

  /** Rows as plain objects (as Scan.toArray), with _change_type, _commit_version (bigint), _commit_timestamp (Date). */
  async toArray(): Promise<Record<string, unknown>[]> {
    return tableToObjects(await this.toArrow(), await this.outputSchema());
  }
}
