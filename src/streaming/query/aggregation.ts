// Streaming aggregation: groups rows by event-time window and keys, folds them into checkpointed state, and emits
// results by output mode under the watermark rules of Spark Structured Streaming (see README "Perpetual queries").
// It is the runner's StatefulStage; reading sources and writing sinks stay with the runner.
import type * as arrow from 'apache-arrow';
import { InvalidArgumentError, StreamCheckpointError } from '../../errors.js';
import type { Value } from '../../schema/access/get.js';
import type { StructField, StructType } from '../../schema/types.js';
import type { StageMetrics, StatefulStage } from '../types.js';
import { type AccState, type Accumulator, type AggSpec, accumulatorFor } from './aggregate.js';
import { type Frame, type FrameExpr, compileOver, frameOf, frameToArrow } from './frame.js';
import { exprToString } from '../../expr/print.js';
import type { Expr } from '../../expr/ast.js';
import type { Pipeline } from './stages.js';
import { eventTimeColumn } from './stages.js';
import type { StateStore } from './state_store.js';
import { type WindowSpec, forEachWindow, sessionBucket } from './window.js';

export type OutputMode = 'append' | 'update' | 'complete';

export interface AggregationPlan {
  window?: WindowSpec;
  keys: (string | Expr)[];
  aggs: Record<string, AggSpec>;
}

/** One result row in state: window bounds (µs, when windowed), key values, accumulator states. */
interface Group {
  start: number;
  end: number;
  /** Watermark (µs) at which the group is complete: Infinity without a window. */
  closeAt: number;
  keys: Value[];
  accs: AccState[];
}

/** Session windows of one key (and maxDuration bucket): disjoint, unordered. */
interface SessionKey {
  keys: Value[];
  /** Bucket bounds (µs) with maxDuration, else null. */
  bucket: [number, number] | null;
  sessions: { start: number; last: number; accs: AccState[] }[];
}

interface SavedState {
  v: 1;
  /** The output schema and window of the query that wrote the state: a restart with another query is refused. */
  query: string;
  watermarkUs: number | null;
  maxEventUs: number | null;
  groups: [number, number, number, Value[], AccState[]][];
  sessions: [Value[], [number, number] | null, [number, number, AccState[]][]][];
}

const SEQ_ROWS = 2 ** 32;
const NO_KEYS: Value[] = [];

export class StreamingAggregation implements StatefulStage {
  readonly outputSchema: StructType;
  private readonly keyExprs: FrameExpr[];
  private readonly aggInputs: (FrameExpr | undefined)[];
  private readonly accs: Accumulator[];
  private readonly tsIndex: number | undefined;
  private readonly delayUs: number | undefined;
  private groups = new Map<string, Group>();
  private sessions = new Map<string, SessionKey>();
  private watermarkUs: number | null = null;
  private maxEventUs: number | null = null;
  private lastDropped = 0;
  /** The watermark the last batch ran with (progress reports it, as Spark's eventTime.watermark). */
  private batchWatermarkUs: number | null = null;

  constructor(
    private readonly pipeline: Pipeline,
    private readonly inputSchema: StructType,
    private readonly plan: AggregationPlan,
    private readonly mode: OutputMode,
    private readonly store: StateStore,
    private readonly lateArrivalPolicy: 'drop' | 'adjust' = 'drop',
  ) {
    const schema = pipeline.schema;
    const w = plan.window;
    const wm = pipeline.watermark;
    if (w) {
      const f = eventTimeColumn(schema, w.column, `${w.kind}Window`);
      if (wm && wm.column.toLowerCase() !== f.name.toLowerCase()) {
        throw new InvalidArgumentError(`the window's event-time column '${f.name}' must be the withWatermark column '${wm.column}'`);
      }
      this.tsIndex = schema.fields.indexOf(f);
    } else if (wm) this.tsIndex = schema.fields.findIndex((f) => f.name === wm.column);
    this.delayUs = wm ? wm.delayMs * 1000 : undefined;
    if (mode === 'append' && !wm) {
      throw new InvalidArgumentError(
        "append output mode is not supported for a streaming aggregation without a watermark (as in Spark): call withWatermark(column, delay), or use outputMode 'complete' or 'update'",
      );
    }
    if (mode === 'append' && !w) {
      throw new InvalidArgumentError(
        "append output mode needs an event-time window in groupBy (a running aggregate never completes): use outputMode 'complete' or 'update'",
      );
    }
    this.keyExprs = plan.keys.map((k) => compileOver(k, schema, 'groupBy'));
    const names = Object.keys(plan.aggs);
    if (names.length === 0) throw new InvalidArgumentError('agg needs at least one aggregate');
    this.aggInputs = names.map((n) => {
      const s = plan.aggs[n]!;
      if (!s || typeof s.fn !== 'string') throw new InvalidArgumentError(`aggregate '${n}' is not an aggregate (use count(), sum(col), ...)`);
      return s.input === undefined ? undefined : compileOver(s.input, schema, `aggregate '${n}'`);
    });
    this.accs = names.map((n, i) => accumulatorFor(plan.aggs[n]!.fn, this.aggInputs[i]?.type, n));
    const fields: StructField[] = [];
    const field = (name: string, type: StructField['type']): StructField => ({ name, type, nullable: true, metadata: {} });
    if (w) {
      const tsType = schema.fields[this.tsIndex!]!.type;
      fields.push(field('window_start', tsType), field('window_end', tsType));
    }
    this.keyExprs.forEach((k) => fields.push(field(k.expr.kind === 'column' ? k.expr.path.at(-1)! : exprName(k), k.type)));
    names.forEach((n, i) => fields.push(field(n, this.accs[i]!.resultType)));
    const seen = new Set<string>();
    for (const f of fields) {
      if (seen.has(f.name.toLowerCase())) throw new InvalidArgumentError(`the aggregation's output has two columns named '${f.name}'`);
      seen.add(f.name.toLowerCase());
    }
    this.outputSchema = { type: 'struct', fields };
    this.fingerprint = JSON.stringify({ w, fields: fields.map((f) => [f.name, f.type]), aggs: names.map((n) => plan.aggs[n]!.fn) });
  }

  private readonly fingerprint: string;

  /** The columns update mode upserts rows by (window bounds and group keys); refuses what it cannot upsert. */
  upsertKeys(): string[] {
    if (this.plan.window?.kind === 'session') {
      throw new InvalidArgumentError(
        "outputMode 'update' is not supported with session windows: a session's bounds change as it grows or merges, so " +
          "upserting by window would leave its earlier rows behind; use 'append' or 'complete'",
      );
    }
    const n = (this.plan.window ? 2 : 0) + this.keyExprs.length;
    if (n === 0) throw new InvalidArgumentError("outputMode 'update' needs a window or group keys to upsert by; use 'complete' for a global aggregate");
    return this.outputSchema.fields.slice(0, n).map((f) => f.name);
  }

  async restore(batchId: number): Promise<void> {
    this.groups.clear();
    this.sessions.clear();
    this.watermarkUs = null;
    this.maxEventUs = null;
    if (batchId < 0) return;
    const s = (await this.store.load(batchId)) as SavedState;
    if (!s || s.v !== 1 || !Array.isArray(s.groups) || !Array.isArray(s.sessions)) {
      throw new StreamCheckpointError(`aggregation state of batch ${batchId} has an unknown format`, batchId);
    }
    if (s.query !== this.fingerprint) {
      throw new StreamCheckpointError(
        `the checkpoint's aggregation state was written by a different query (${s.query}), not this one (${this.fingerprint}): ` +
          'a changed window, grouping or aggregate cannot resume from it; use a new checkpoint location and sink',
        batchId,
      );
    }
    this.watermarkUs = s.watermarkUs;
    this.maxEventUs = s.maxEventUs;
    for (const [start, end, closeAt, keys, accs] of s.groups) {
      this.groups.set(groupKey(start, keys), { start, end, closeAt: closeAt ?? Infinity, keys, accs });
    }
    for (const [keys, bucket, list] of s.sessions) {
      this.sessions.set(sessionKeyOf(keys, bucket), { keys, bucket, sessions: list.map(([start, last, accs]) => ({ start, last, accs })) });
    }
  }

  async process(data: arrow.Table | null, batchId: number): Promise<arrow.Table> {
    const wm = this.watermarkUs;
    this.batchWatermarkUs = wm;
    const changed = new Set<string>();
    const changedSessions = new Set<string>();
    let dropped = 0;
    if (data && data.numRows > 0) {
      await this.pipeline.refresh();
      const { frame, maxEventUs } = this.pipeline.run(frameOf(data, this.inputSchema));
      dropped = this.fold(frame, wm, batchId, changed, changedSessions);
      if (maxEventUs !== null && (this.maxEventUs === null || maxEventUs > this.maxEventUs)) this.maxEventUs = maxEventUs;
    }
    this.lastDropped = dropped;
    const out = this.emit(wm, changed, changedSessions);
    // The next batch's watermark: it only moves between batches (Spark), and never backwards.
    if (this.delayUs !== undefined && this.maxEventUs !== null) {
      const next = this.maxEventUs - this.delayUs;
      if (this.watermarkUs === null || next > this.watermarkUs) this.watermarkUs = next;
    }
    await this.store.save(batchId, this.snapshot());
    return frameToArrow(out);
  }

  async committed(batchId: number): Promise<void> {
    await this.store.purgeBefore(batchId);
  }

  needsNoDataBatch(): boolean {
    if (this.mode === 'complete' || this.watermarkUs === null) return false;
    const wm = this.watermarkUs;
    for (const g of this.groups.values()) if (g.closeAt <= wm) return true;
    for (const sk of this.sessions.values()) for (const s of sk.sessions) if (this.sessionEnd(sk, s) <= wm) return true;
    return false;
  }

  metrics(): StageMetrics {
    let n = this.groups.size;
    for (const sk of this.sessions.values()) n += sk.sessions.length;
    return {
      watermarkMs: this.batchWatermarkUs === null ? undefined : Math.floor(this.batchWatermarkUs / 1000),
      numStateRows: n,
      numRowsDroppedByWatermark: this.lastDropped,
    };
  }

  private sessionEnd(sk: SessionKey, s: { last: number }): number {
    const end = s.last + (this.plan.window as { gapMs: number }).gapMs * 1000;
    return sk.bucket ? Math.min(end, sk.bucket[1]) : end;
  }

  /** Fold the rows of a batch into state; returns the number of rows dropped as late. */
  private fold(f: Frame, wm: number | null, batchId: number, changed: Set<string>, changedSessions: Set<string>): number {
    const w = this.plan.window;
    const ts = this.tsIndex === undefined ? undefined : (f.columns[this.tsIndex] as (bigint | null)[]);
    const keyCols = this.keyExprs.map((k) => k.evaluate(f));
    const inputs = this.aggInputs.map((e) => (e ? e.evaluate(f) : undefined));
    const dropLate = this.mode !== 'complete' && wm !== null;
    let dropped = 0;
    const seqBase = batchId * SEQ_ROWS;
    for (let i = 0; i < f.numRows; i++) {
      const raw = ts?.[i] ?? null;
      if (w && raw === null) continue; // no event time: in no window (as Spark's window())
      let t = raw === null ? 0 : Number(raw);
      if (dropLate && raw !== null && t < wm) {
        if (this.lateArrivalPolicy === 'drop') {
          dropped++;
          continue;
        }
        t = wm; // Stream Analytics' 'adjust': a late event counts at the watermark
      }
      const keys = keyCols.length === 0 ? NO_KEYS : keyCols.length === 1 ? [keyCols[0]![i]!] : keyCols.map((c) => c[i]!);
      const kt = keyText(keys);
      const seq = seqBase + i;
      const fold = (accs: AccState[]): void => {
        for (let a = 0; a < accs.length; a++) accs[a] = this.accs[a]!.add(accs[a]!, inputs[a]?.[i] ?? null, t, seq);
      };
      if (!w) {
        const k = `0|${kt}`;
        let g = this.groups.get(k);
        if (!g) this.groups.set(k, (g = { start: 0, end: 0, closeAt: Infinity, keys, accs: this.initAccs() }));
        fold(g.accs);
        changed.add(k);
      } else if (w.kind === 'session') {
        this.foldSession(w, keys, t, fold, changedSessions);
      } else {
        forEachWindow(w, t, (start, end, closeAt) => {
          const k = `${start}|${kt}`;
          let g = this.groups.get(k);
          if (!g) this.groups.set(k, (g = { start, end, closeAt, keys, accs: this.initAccs() }));
          fold(g.accs);
          changed.add(k);
        });
      }
    }
    return dropped;
  }

  private foldSession(
    w: WindowSpec & { kind: 'session' },
    keys: Value[],
    t: number,
    fold: (accs: AccState[]) => void,
    changedSessions: Set<string>,
  ): void {
    const bucket = sessionBucket(w, t);
    const k = sessionKeyOf(keys, bucket);
    let sk = this.sessions.get(k);
    if (!sk) this.sessions.set(k, (sk = { keys, bucket, sessions: [] }));
    const gap = w.gapMs * 1000;
    // The event's own window [t, t + gap) absorbs every session it overlaps (Spark's session merging).
    const mine = { start: t, last: t, accs: this.initAccs() };
    fold(mine.accs);
    const keep: typeof sk.sessions = [];
    for (const s of sk.sessions) {
      if (t < s.last + gap && s.start < t + gap) {
        mine.accs = mine.accs.map((a, i) => this.accs[i]!.merge(s.accs[i]!, a));
        mine.start = Math.min(mine.start, s.start);
        mine.last = Math.max(mine.last, s.last);
      } else keep.push(s);
    }
    keep.push(mine);
    sk.sessions = keep;
    changedSessions.add(k);
  }

  private initAccs(): AccState[] {
    return this.accs.map((a) => a.init());
  }

  /** The rows this batch outputs (by mode), evicting what the watermark closed (append, update). */
  private emit(wm: number | null, changed: Set<string>, changedSessions: Set<string>): Frame {
    const rows: { start: number; end: number; keys: Value[]; accs: AccState[] }[] = [];
    const closed = (closeAt: number): boolean => wm !== null && closeAt <= wm;
    for (const [k, g] of this.groups) {
      const isClosed = this.mode !== 'complete' && closed(g.closeAt);
      if (this.mode === 'complete' || (this.mode === 'append' ? isClosed : changed.has(k))) rows.push(g);
      if (isClosed) this.groups.delete(k);
    }
    for (const [k, sk] of this.sessions) {
      const open: SessionKey['sessions'] = [];
      for (const s of sk.sessions) {
        const end = this.sessionEnd(sk, s);
        const isClosed = this.mode !== 'complete' && closed(end);
        // Update mode: sessions of a changed key (a merge may have replaced an emitted one).
        if (this.mode === 'complete' || (this.mode === 'append' ? isClosed : changedSessions.has(k))) {
          rows.push({ start: s.start, end, keys: sk.keys, accs: s.accs });
        }
        if (!isClosed) open.push(s);
      }
      if (open.length) sk.sessions = open;
      else this.sessions.delete(k);
    }
    const windowed = this.plan.window !== undefined;
    rows.sort((a, b) => (windowed && a.start !== b.start ? a.start - b.start : windowed && a.end !== b.end ? a.end - b.end : compareValueLists(a.keys, b.keys)));
    const columns: Value[][] = [];
    if (windowed) {
      columns.push(rows.map((r) => BigInt(r.start)), rows.map((r) => BigInt(r.end)));
    }
    this.keyExprs.forEach((_k, i) => columns.push(rows.map((r) => r.keys[i]!)));
    this.accs.forEach((a, i) => columns.push(rows.map((r) => a.result(r.accs[i]!))));
    return { schema: this.outputSchema, numRows: rows.length, columns };
  }

  private snapshot(): SavedState {
    return {
      v: 1,
      query: this.fingerprint,
      watermarkUs: this.watermarkUs,
      maxEventUs: this.maxEventUs,
      // closeAt Infinity is stored as null (JSON has no Infinity).
      groups: [...this.groups.values()].map((g) => [g.start, g.end, Number.isFinite(g.closeAt) ? g.closeAt : (null as unknown as number), g.keys, g.accs]),
      sessions: [...this.sessions.values()].map((sk) => [sk.keys, sk.bucket, sk.sessions.map((s) => [s.start, s.last, s.accs])]),
    };
  }
}

function exprName(k: FrameExpr): string {
  return exprToString(k.expr);
}

/** An exact text key of group-key values (type-tagged, strings length-prefixed): equal text iff equal values. */
function keyText(keys: readonly Value[]): string {
  let out = '';
  for (const v of keys) {
    if (v === null) out += 'N;';
    else if (typeof v === 'string') out += `s${v.length}:${v};`;
    else if (typeof v === 'bigint') out += `b${v};`;
    else if (typeof v === 'number') out += `n${v};`;
    else if (typeof v === 'boolean') out += v ? 'T;' : 'F;';
    else out += `j${JSON.stringify(v, (_k, x: unknown) => (typeof x === 'bigint' ? `${x}n` : x))};`;
  }
  return out;
}

function groupKey(start: number, keys: Value[]): string {
  return `${start}|${keyText(keys)}`;
}

function sessionKeyOf(keys: Value[], bucket: [number, number] | null): string {
  return `${bucket ? bucket[0] : ''}|${keyText(keys)}`;
}

function compareValueLists(a: Value[], b: Value[]): number {
  for (let i = 0; i < a.length; i++) {
    const x = a[i]!;
    const y = b[i]!;
    if (x === y) continue;
    if (x === null) return -1;
    if (y === null) return 1;
    if (x < y) return -1;
    if (x > y) return 1;
  }
  return 0;
}
