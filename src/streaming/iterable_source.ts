// IterableSource: any (async) iterable of objects or Arrow RecordBatches as a micro-batch source.
// Offsets count consumed items; exactly-once after a crash needs a replayable input (a factory from an offset).
import * as arrow from 'apache-arrow';
import { objectsToArrow } from '../schema/objects.js';
import { fromArrowSchema, toArrowSchema } from '../schema/arrow.js';
import type { StructType } from '../schema/types.js';
import { InvalidArgumentError, SchemaMismatchError } from '../errors.js';
import type { ReadLimits, StreamSource } from './types.js';

/** Number of items (objects, or RecordBatches: one item each) consumed from the start of the input. */
export interface IterableOffset {
  [key: string]: number;
  records: number;
}

export type StreamItem = Record<string, unknown> | arrow.RecordBatch;

/**
 * Replayable input: called with the number of items already consumed; must yield the items from there on.
 * A plain (async) iterable cannot be replayed: after a crash the stream can only resume if it is at offset 0.
 */
export type ItemFactory = (fromOffset: number) => AsyncIterable<StreamItem> | Iterable<StreamItem>;

export interface IterableSourceOptions {
  /** Schema objects are converted with (required when the input yields objects). */
  schema?: StructType | arrow.Schema;
  /** Maximum items per micro-batch (default 1000). */
  maxRecordsPerTrigger?: number;
}

export class IterableSource implements StreamSource<IterableOffset> {
  readonly description = 'IterableSource';
  private readonly factory: ItemFactory | undefined;
  private readonly plain: AsyncIterable<StreamItem> | Iterable<StreamItem> | undefined;
  private readonly schema: StructType | undefined;
  private iter: AsyncIterator<StreamItem> | Iterator<StreamItem> | undefined;
  private plainUsed = false;
  private pending: Promise<IteratorResult<StreamItem>> | undefined;
  private exhausted = false;
  /** Items [bufferStart, bufferStart + buffer.length) pulled from the input and not yet released. */
  private buffer: StreamItem[] = [];
  private bufferStart = 0;
  private readonly times: number[] = [];

  constructor(
    input: ItemFactory | AsyncIterable<StreamItem> | Iterable<StreamItem>,
    private readonly options: IterableSourceOptions = {},
  ) {
    if (typeof input === 'function') this.factory = input;
    else this.plain = input;
    const s = options.schema;
    this.schema = s === undefined ? undefined : s instanceof arrow.Schema ? fromArrowSchema(s) : s;
    const m = options.maxRecordsPerTrigger;
    if (m !== undefined && !(Number.isSafeInteger(m) && m > 0)) {
      throw new InvalidArgumentError(`maxRecordsPerTrigger must be a positive integer, got ${String(m)}`);
    }
  }

  defaultLimits(): ReadLimits {
    return { maxRecords: this.options.maxRecordsPerTrigger ?? 1000 };
  }

  /** True once the input ended (every item was pulled). */
  get done(): boolean {
    return this.exhausted;
  }

  /** Takes the items that are ready now (never waits for the input to produce more). */
  async latestOffset(start: IterableOffset | null, limits?: ReadLimits): Promise<IterableOffset | null> {
    const from = start?.records ?? 0;
    const max = (limits ?? this.defaultLimits()).maxRecords ?? Number.POSITIVE_INFINITY;
    this.position(from);
    while (this.bufferStart + this.buffer.length - from < max && !this.exhausted) {
      if (!(await this.pull(false))) break;
    }
    const end = Math.min(this.bufferStart + this.buffer.length, from + max);
    return end > from ? { records: end } : start;
  }

  async getBatch(start: IterableOffset | null, end: IterableOffset): Promise<arrow.Table> {
    const from = start?.records ?? 0;
    this.position(from);
    // A batch recovered from the checkpoint may need items this process has not pulled yet: wait for them.
    while (this.bufferStart + this.buffer.length < end.records) {
      if (!(await this.pull(true))) {
        throw new InvalidArgumentError(
          `the input ended after ${this.bufferStart + this.buffer.length} items, but the checkpoint's batch ends at ${end.records}`,
        );
      }
    }
    // Release what earlier batches consumed; keep [from, ...) so the same batch can be read again.
    this.buffer.splice(0, from - this.bufferStart);
    this.times.splice(0, from - this.bufferStart);
    this.bufferStart = from;
    const items = this.buffer.slice(0, end.records - from);
    return this.toTable(items, from);
  }

  offsetTimestamp(end: IterableOffset): number | undefined {
    return this.times[end.records - 1 - this.bufferStart];
  }

  /** Make the buffer start at or before `from`, reopening a replayable input when needed. */
  private position(from: number): void {
    if (this.iter && from >= this.bufferStart && from <= this.bufferStart + this.buffer.length) return;
    if (this.iter && this.factory === undefined) {
      throw new InvalidArgumentError(
        `cannot rewind a non-replayable iterable to item ${from} (it is at ${this.bufferStart + this.buffer.length}); ` +
          'pass a factory (fromOffset) => AsyncIterable to resume after a failure',
      );
    }
    if (this.factory) {
      const it = this.factory(from);
      this.iter = Symbol.asyncIterator in it ? it[Symbol.asyncIterator]() : (it as Iterable<StreamItem>)[Symbol.iterator]();
    } else {
      if (from !== 0 || this.plainUsed) {
        throw new InvalidArgumentError(
          `the checkpoint resumes at item ${from}, but a plain iterable cannot be replayed; ` +
            'pass a factory (fromOffset) => AsyncIterable to resume a stream after a restart',
        );
      }
      const it = this.plain!;
      this.plainUsed = true;
      this.iter = Symbol.asyncIterator in it ? it[Symbol.asyncIterator]() : (it as Iterable<StreamItem>)[Symbol.iterator]();
    }
    this.buffer = [];
    this.times.length = 0;
    this.bufferStart = from;
    this.pending = undefined;
    this.exhausted = false;
  }

  /** Pull one item into the buffer. Non-blocking mode gives up when the input has nothing ready now. */
  private async pull(block: boolean): Promise<boolean> {
    if (this.exhausted) return false;
    if (!this.pending) this.pending = Promise.resolve(this.iter!.next());
    let r: IteratorResult<StreamItem> | undefined;
    if (block) r = await this.pending;
    else {
      const notReady = Symbol('notReady');
      const v = await Promise.race([this.pending, new Promise<typeof notReady>((res) => setImmediate(() => res(notReady)))]);
      if (v === notReady) return false;
      r = v as IteratorResult<StreamItem>;
    }
    this.pending = undefined;
    if (r.done) {
      this.exhausted = true;
      return false;
    }
    this.buffer.push(r.value);
    this.times.push(Date.now());
    return true;
  }

  private toTable(items: StreamItem[], firstOffset: number): arrow.Table {
    const batches: arrow.RecordBatch[] = [];
    let objs: Record<string, unknown>[] = [];
    let objsStart = 0;
    const flush = (): void => {
      if (!objs.length) return;
      if (!this.schema) throw new InvalidArgumentError('IterableSource needs options.schema to convert objects to Arrow');
      try {
        batches.push(...objectsToArrow(objs, this.schema).batches);
      } catch (e) {
        if (e instanceof SchemaMismatchError && e.row !== undefined) {
          const at = firstOffset + objsStart + e.row;
          throw new SchemaMismatchError(`record ${at} of the input does not fit the schema: ${e.message}`, e.column, at);
        }
        throw e;
      }
      objs = [];
    };
    items.forEach((it, i) => {
      if (it instanceof arrow.RecordBatch) {
        flush();
        batches.push(it);
      } else {
        if (!objs.length) objsStart = i;
        objs.push(it);
      }
    });
    flush();
    if (!batches.length) {
      return new arrow.Table(this.schema ? toArrowSchema(this.schema) : new arrow.Schema([]));
    }
    const target = this.schema ? toArrowSchema(this.schema) : batches[0]!.schema;
    return new arrow.Table(target, batches.map((b, i) => alignBatch(b, target, firstOffset + i)));
  }
}

/** Re-label a RecordBatch with `schema` (same column names and types; nullability / metadata may differ). */
function alignBatch(b: arrow.RecordBatch, schema: arrow.Schema, at: number): arrow.RecordBatch {
  if (b.schema === schema) return b;
  const names = b.schema.fields.map((f) => f.name);
  schema.fields.forEach((f, i) => {
    const got = b.schema.fields[i];
    if (!got || got.name !== f.name || String(got.type) !== String(f.type)) {
      throw new SchemaMismatchError(
        `RecordBatch near item ${at} has columns (${b.schema.fields.map((x) => `${x.name}: ${String(x.type)}`).join(', ')}), ` +
          `expected column '${f.name}' of type ${String(f.type)}`,
        f.name,
      );
    }
  });
  if (names.length !== schema.fields.length) {
    throw new SchemaMismatchError(`RecordBatch near item ${at} has ${names.length} columns, expected ${schema.fields.length}`);
  }
  const data = arrow.makeData({
    type: new arrow.Struct(schema.fields),
    length: b.numRows,
    nullCount: 0,
    children: b.data.children,
  });
  return new arrow.RecordBatch(schema, data);
}
