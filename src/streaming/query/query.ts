// The perpetual query builder on a stream (table.stream(...).withWatermark().where().groupBy().agg().writeTo()):
// collects the user's stages, validates them against the source schema before anything runs, and runs the query
// on runStream with a DeltaSink. Semantics live in stages.ts (stateless) and aggregation.ts (stateful).
import type * as arrow from 'apache-arrow';
import { InvalidArgumentError } from '../../errors.js';
import type { Expr } from '../../expr/ast.js';
import { fromArrowSchema } from '../../schema/arrow.js';
import { Snapshot } from '../../log/snapshot.js';
import { openStreamStore } from '../store.js';
import type { JoinOptions, ReferenceTable } from './join.js';
import type { StructType } from '../../schema/types.js';
import { StreamCheckpoint } from '../checkpoint.js';
import { type RunStreamOptions, type StreamRunResult, runStream } from '../runner.js';
import { DeltaSink } from '../sink.js';
import type { StreamSource } from '../types.js';
import type { AggSpec } from './aggregate.js';
import { type AggregationPlan, type OutputMode, StreamingAggregation } from './aggregation.js';
import { type Duration, parseDuration } from './duration.js';
import { frameOf, frameToArrow } from './frame.js';
import { type SelectItem, type StageSpec, compilePipeline } from './stages.js';
import { StateStore } from './state_store.js';
import type { WindowSpec } from './window.js';

export interface WatermarkOptions {
  /** 'drop' (default, Spark): rows older than the watermark are dropped and counted; 'adjust' (Stream Analytics): they count at the watermark. */
  lateArrivalPolicy?: 'drop' | 'adjust';
}

export interface WriteToOptions
  extends Pick<RunStreamOptions, 'trigger' | 'signal' | 'onProgress' | 'limits' | 'minBatchesToRetain'> {
  /** Where offsets, commits and aggregation state live (a path or URI); must stay the same across restarts. */
  checkpointLocation: string;
  /**
   * 'append' (default): rows / closed windows once; 'complete': the whole result each batch; 'update': the rows a
   * batch changed, MERGEd into the sink by window and keys.
   */
  outputMode?: OutputMode;
  /** Sink txn appId (default: the checkpoint's query id). */
  queryId?: string;
  /** Partition columns when the sink table is created. */
  partitionBy?: string[];
  storageOptions?: Record<string, string>;
}

type GroupByItem = WindowSpec | string | Expr;
const WINDOW_KINDS = new Set(['tumbling', 'hopping', 'session', 'snapshot']);

function isWindow(x: GroupByItem): x is WindowSpec {
  return typeof x === 'object' && x !== null && WINDOW_KINDS.has((x as { kind: string }).kind) && 'column' in x;
}

/** The source a query reads (a DeltaSource): any stream source that knows its schema. */
type QuerySource = StreamSource & { schema(): Promise<arrow.Schema> };

interface QueryParts {
  source: QuerySource;
  stages: StageSpec[];
  lateArrivalPolicy?: 'drop' | 'adjust';
  aggregation?: AggregationPlan;
}

/** A streaming query over a Delta source: stateless stages, then optionally one aggregation. Immutable. */
export class StreamQuery {
  constructor(private readonly parts: QueryParts) {}

  private with(stage: StageSpec, extra: Partial<QueryParts> = {}): StreamQuery {
    if (this.parts.aggregation) throw new InvalidArgumentError(`${stage.kind} after agg() is not supported: add it before groupBy`);
    return new StreamQuery({ ...this.parts, ...extra, stages: [...this.parts.stages, stage] });
  }

  /** Event-time column and allowed lateness: watermark = max event time of completed batches - delay. */
  withWatermark(column: string, delay: Duration, options: WatermarkOptions = {}): StreamQuery {
    const policy = options.lateArrivalPolicy ?? 'drop';
    if (policy !== 'drop' && policy !== 'adjust') throw new InvalidArgumentError(`lateArrivalPolicy must be 'drop' or 'adjust', got '${String(policy)}'`);
    return this.with({ kind: 'watermark', column, delayMs: parseDuration(delay, 'withWatermark delay', true) }, { lateArrivalPolicy: policy });
  }

  /** Keep rows where the predicate (SQL text or typed builder) is TRUE. */
  where(predicate: string | Expr): StreamQuery {
    return this.with({ kind: 'where', expr: predicate });
  }

  /** Keep these columns / expressions: select('a', 'b', { c: 'a + b' }). */
  select(...items: SelectItem[]): StreamQuery {
    return this.with({ kind: 'select', items });
  }

  /** Add (or replace) column `name` computed by an expression. */
  withColumn(name: string, expr: string | Expr): StreamQuery {
    return this.with({ kind: 'withColumn', name, expr });
  }

  /**
   * Stream-static join with a reference Delta table (re-read when it gets a new version):
   * join(sensors, { on: 'e.sensor = r.sensor', type: 'left' }). Reference columns named like a stream column
   * are renamed `r_<name>` (the reference alias).
   */
  join(reference: ReferenceTable | string, options: JoinOptions): StreamQuery {
    return this.with({ kind: 'join', table: reference, options });
  }

  /** Group by an optional event-time window (first) and key columns / expressions; then call agg(). */
  groupBy(...items: GroupByItem[]): GroupedStream {
    if (this.parts.aggregation) throw new InvalidArgumentError('a query has at most one aggregation');
    const windows = items.filter(isWindow);
    if (windows.length > 1) throw new InvalidArgumentError('groupBy takes at most one window');
    if (windows.length === 1 && !isWindow(items[0]!)) throw new InvalidArgumentError('the window must be the first argument of groupBy');
    const keys = items.filter((x) => !isWindow(x)) as (string | Expr)[];
    for (const k of keys) {
      if (typeof k !== 'string' && (typeof k !== 'object' || k === null || !('kind' in k))) {
        throw new InvalidArgumentError(`groupBy: expected a window, a column name or an expression, got ${String(k)}`);
      }
    }
    return new GroupedStream(this.parts, windows[0], keys);
  }

  /** The query's output schema (validates every stage against the source schema). */
  async schema(): Promise<StructType> {
    return (await this.plan()).outputSchema;
  }

  private async plan(): Promise<{
    inputSchema: StructType;
    outputSchema: StructType;
    stage?: (store: StateStore, mode: OutputMode) => StreamingAggregation;
    transform?: (t: arrow.Table) => Promise<arrow.Table>;
  }> {
    const inputSchema = fromArrowSchema(await this.parts.source.schema());
    const stages = await Promise.all(
      this.parts.stages.map(async (s) =>
        s.kind === 'join' && typeof s.table === 'string' ? { ...s, table: { uri: s.table, snapshot: await Snapshot.load(await openStreamStore(s.table)) } } : s,
      ),
    );
    const pipeline = compilePipeline(inputSchema, stages);
    const agg = this.parts.aggregation;
    if (!agg) {
      return {
        inputSchema,
        outputSchema: pipeline.schema,
        transform: async (t) => {
          await pipeline.refresh();
          return frameToArrow(pipeline.run(frameOf(t, inputSchema)).frame);
        },
      };
    }
    const make = (store: StateStore, mode: OutputMode): StreamingAggregation =>
      new StreamingAggregation(pipeline, inputSchema, agg, mode, store, this.parts.lateArrivalPolicy);
    // Validate now (columns, types, modes) with a throw-away instance that never touches storage.
    const probe = make(undefined as unknown as StateStore, 'complete');
    return { inputSchema, outputSchema: probe.outputSchema, stage: make };
  }

  /**
   * Run the query into the Delta table at `uri` (created on the first batch) with exactly-once batches; resolves
   * when the trigger's work is done or the signal aborts. Bad columns, types and modes fail before any batch runs.
   */
  async writeTo(uri: string, options: WriteToOptions): Promise<StreamRunResult> {
    if (!options || typeof options.checkpointLocation !== 'string' || options.checkpointLocation === '') {
      throw new InvalidArgumentError('writeTo needs options.checkpointLocation (a path or URI for offsets and state)');
    }
    const mode = options.outputMode ?? 'append';
    if (mode !== 'append' && mode !== 'complete' && mode !== 'update') {
      throw new InvalidArgumentError(`outputMode must be 'append', 'complete' or 'update', got '${String(mode)}'`);
    }
    const plan = await this.plan();
    let stage: StreamingAggregation | undefined;
    const ckpt = await StreamCheckpoint.open(options.checkpointLocation);
    let keyColumns: string[] | undefined;
    if (plan.stage) {
      stage = plan.stage(new StateStore(ckpt), mode);
      if (mode === 'update') keyColumns = stage.upsertKeys();
    } else if (mode === 'complete') {
      throw new InvalidArgumentError("outputMode 'complete' needs an aggregation (as in Spark): use 'append' for a query without groupBy");
    }
    const queryId = await ckpt.queryId(options.queryId);
    const sink = new DeltaSink(uri, {
      queryId,
      // Update mode MERGEs each batch's changed rows into the sink by window and keys.
      outputMode: keyColumns ? 'update' : mode === 'complete' ? 'complete' : 'append',
      keyColumns,
      schema: plan.outputSchema,
      partitionBy: options.partitionBy,
      storageOptions: options.storageOptions,
      commitInfo: { outputMode: mode },
    });
    return runStream({
      source: this.parts.source,
      sink,
      checkpointLocation: ckpt,
      stage,
      transform: plan.transform,
      trigger: options.trigger,
      signal: options.signal,
      onProgress: options.onProgress,
      limits: options.limits,
      minBatchesToRetain: options.minBatchesToRetain,
    });
  }
}

export class GroupedStream {
  constructor(
    private readonly parts: QueryParts,
    private readonly window: WindowSpec | undefined,
    private readonly keys: (string | Expr)[],
  ) {}

  /** Aggregates by output name, in output order: agg({ n: count(), avg_temp: avg('temp') }). */
  agg(aggs: Record<string, AggSpec>): StreamQuery {
    if (!aggs || typeof aggs !== 'object') throw new InvalidArgumentError('agg expects an object of name -> aggregate');
    return new StreamQuery({ ...this.parts, aggregation: { window: this.window, keys: this.keys, aggs } });
  }
}
