// Streaming aggregation: groups rows by event-time window and keys, folds them into checkpointed state, and emits
// results by output mode under the watermark rules of Spark Structured Streaming (see README "Perpetual queries").
// It is the runner's StatefulStage; reading sources and writing sinks stay with the runner.
import type * as arrow from 'apache-arrow';
import { InvalidArgumentError, StreamCheckpointError } from '../../errors.js';
import type { Value } from '../../schema/access/get.js';
import type { StructField, StructType } from '../../schema/types.js';
import type { StageMetrics, StatefulStage } from '../types.js';
import { type AccState, type Accumulator, type AggSpec, accumulatorFor } from './aggregate.js';
import { type AggInput, type ColumnAccumulator, columnAccumulator } from './column_accumulators.js';
import { eventTimes, keyIds, notNull, numbers } from './columnar.js';
import { Frame, type FrameExpr, compileOver, frameOf, frameToArrow } from './frame.js';
import { GroupTable } from './group_table.js';
import { exprToString } from '../../expr/print.js';
import type { Expr } from '../../expr/ast.js';
import type { Pipeline } from './stages.js';
import { eventTimeColumn } from './stages.js';
import type { StateStore } from './state_store.js';
import { type WindowSpec, sessionBucket } from './window.js';

export type OutputMode = 'append' | 'update' | 'complete';

export interface AggregationPlan {
  window?: WindowSpec;
  keys: (string | Expr)[];
  aggs: Record<string, AggSpec>;
}

/** Session windows of one key (and maxDuration bucket): disjoint, unordered. */
interface SessionKey {
  keys: Value[];
  /** Bucket bounds (µs) with maxDuration, else null. */
  bucket: [number, number] | null;
  sessions: { start: number; last: number; accs: AccState[] }[];
}

type SavedGroup = [number, number, number | null, Value[], AccState[]];
type SavedSessions = [Value[], [number, number] | null, [number, number, AccState[]][]];

/**
 * A state version: a snapshot holds every live group and session key; a delta (`removed` present) holds those its
 * batch changed (upserts) and the ids of those it evicted. v1 snapshots are what earlier versions wrote each batch.
 */
interface SavedState {
  v: 1;
  /** The output schema and window of the query that wrote the state: a restart with another query is refused. */
  query: string;
  watermarkUs: number | null;
  maxEventUs: number | null;
  /** [start, end, closeAt (null: never), keys, accumulator states] */
  groups: SavedGroup[];
  sessions: SavedSessions[];
  removed?: { groups: string[]; sessions: string[] };
}

/** A snapshot every this many batch ids (the batches between write deltas), as Spark's state store does. */
export const SNAPSHOT_EVERY = 10;
const SEQ_ROWS = 2 ** 32;

export class StreamingAggregation implements StatefulStage {
  readonly outputSchema: StructType;
  private readonly keyExprs: FrameExpr[];
  private readonly aggInputs: (FrameExpr | undefined)[];
  private readonly accs: Accumulator[];
  private readonly tsIndex: number | undefined;
  private readonly delayUs: number | undefined;
  private readonly cols: ColumnAccumulator[];
  private readonly groups: GroupTable;
  private sessions = new Map<string, SessionKey>();
  /** What the current batch changed and evicted (its state delta). */
  private changedSlots = new Set<number>();
  private removedGroups: string[] = [];
  private removedSessions: string[] = [];
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
    this.cols = names.map((n, i) => columnAccumulator(plan.aggs[n]!.fn, this.aggInputs[i]?.type, this.accs[i]!));
    this.groups = new GroupTable((cap) => this.cols.forEach((c) => c.grow(cap)));
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
    const s = mergeVersions(await this.store.load(batchId), this.fingerprint);
    this.watermarkUs = s.watermarkUs;
    this.maxEventUs = s.maxEventUs;
    for (const [start, end, closeAt, keys, accs] of s.groups) {
      const slot = this.groups.add(start, keyText(keys), end, closeAt ?? Infinity, keys);
      this.cols.forEach((c, a) => c.load(slot, accs[a]!));
    }
    for (const [keys, bucket, list] of s.sessions) {
      this.sessions.set(sessionKeyOf(keys, bucket), { keys, bucket, sessions: list.map(([start, last, accs]) => ({ start, last, accs })) });
    }
  }

  async process(data: arrow.Table | null, batchId: number): Promise<arrow.Table> {
    const wm = this.watermarkUs;
    this.batchWatermarkUs = wm;
    this.changedSlots = new Set();
    this.removedGroups = [];
    this.removedSessions = [];
    const changedSessions = new Set<string>();
    let dropped = 0;
    if (data && data.numRows > 0) {
      await this.pipeline.refresh();
      const { frame, maxEventUs } = this.pipeline.run(frameOf(data, this.inputSchema));
      dropped = this.fold(frame, wm, batchId, changedSessions);
      if (maxEventUs !== null && (this.maxEventUs === null || maxEventUs > this.maxEventUs)) this.maxEventUs = maxEventUs;
    }
    this.lastDropped = dropped;
    const out = this.emit(wm, changedSessions);
    // The next batch's watermark: it only moves between batches (Spark), and never backwards.
    if (this.delayUs !== undefined && this.maxEventUs !== null) {
      const next = this.maxEventUs - this.delayUs;
      if (this.watermarkUs === null || next > this.watermarkUs) this.watermarkUs = next;
    }
    // Written before the sink commit: a re-run of this batch restores the state before it, never after.
    if (batchId % SNAPSHOT_EVERY === 0) await this.store.save(batchId, 'snapshot', this.saved(null, null));
    else await this.store.save(batchId, 'delta', this.saved(this.changedSlots, changedSessions));
    return frameToArrow(out);
  }

  async committed(batchId: number): Promise<void> {
    await this.store.purgeBefore(batchId);
  }

  needsNoDataBatch(): boolean {
    if (this.mode === 'complete' || this.watermarkUs === null) return false;
    const wm = this.watermarkUs;
    const g = this.groups;
    for (let s = 0; s < g.limit; s++) if (g.isLive(s) && g.closeAt[s]! <= wm) return true;
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

  /**
   * Fold the rows of a batch into state a column at a time: event times and key ids for every row, then per window
   * of a row (hopping windows: one pass per overlapping window) the group slot of every row, then each aggregate
   * over the slots. Returns the number of rows dropped as late.
   */
  private fold(f: Frame, wm: number | null, batchId: number, changedSessions: Set<string>): number {
    const n = f.numRows;
    const w = this.plan.window;
    const dropLate = this.mode !== 'complete' && wm !== null;
    // Event time per row (µs): NaN = no event time (in no window); a late row is dropped (NaN) or moved to wm.
    const t = this.tsIndex === undefined ? new Float64Array(n) : Float64Array.from(eventTimes(f, this.tsIndex));
    let dropped = 0;
    for (let r = 0; r < n; r++) {
      const x = t[r]!;
      if (x !== x) {
        if (!w) t[r] = 0; // a running aggregate counts rows without an event time
        continue;
      }
      if (dropLate && x < wm) {
        if (this.lateArrivalPolicy === 'drop') {
          dropped++;
          t[r] = w ? NaN : -Infinity; // a running aggregate's rows without an event time count (0): mark drops apart
        } else t[r] = wm; // Stream Analytics' 'adjust': a late event counts at the watermark
      }
    }
    const kid = keyIds(f, this.keyExprs);
    const inputs: (AggInput | undefined)[] = this.aggInputs.map((e) => (e ? aggInput(f, e) : undefined));
    const seqBase = batchId * SEQ_ROWS;
    if (w?.kind === 'session') {
      this.foldSessions(w, t, kid.ids, kid.keys, inputs, seqBase, changedSessions);
      return dropped;
    }
    // Window passes: number of window (start = num * step), size, close offset.
    let step = 1;
    let size = 0;
    let passes = 1;
    let closeOffset = 0;
    if (w?.kind === 'tumbling') (step = w.sizeMs * 1000), (size = step);
    else if (w?.kind === 'hopping') (step = w.slideMs * 1000), (size = w.sizeMs * 1000), (passes = Math.ceil(size / step));
    else if (w?.kind === 'snapshot') closeOffset = 1; // closed once the watermark passes the timestamp
    const num = new Float64Array(n);
    const slots = new Int32Array(n);
    const nKeys = kid.keys.length;
    const keyTexts: (string | undefined)[] = new Array(nKeys);
    for (let p = 0; p < passes; p++) {
      let lo = Infinity;
      let hi = -Infinity;
      for (let r = 0; r < n; r++) {
        const x = t[r]!;
        let k = NaN;
        if (!w) k = x === -Infinity ? NaN : 0;
        else if (x === x) {
          k = Math.floor(x / step) - p;
          if (k * step + size <= x && w.kind === 'hopping') k = NaN; // this pass's window ends before the event
        }
        num[r] = k;
        if (k < lo) lo = k;
        if (k > hi) hi = k;
      }
      if (lo > hi) continue;
      // (window, key) -> slot for this batch: a dense table when small, else a map.
      const span = hi - lo + 1;
      const dense = span * nKeys <= 1 << 22 ? new Int32Array(span * nKeys).fill(-1) : null;
      const sparse = dense ? null : new Map<number, number>();
      for (let r = 0; r < n; r++) {
        const k = num[r]!;
        if (k !== k) {
          slots[r] = -1;
          continue;
        }
        const combo = (k - lo) * nKeys + kid.ids[r]!;
        let slot = dense ? dense[combo]! : (sparse!.get(combo) ?? -1);
        if (slot < 0) {
          const id = kid.ids[r]!;
          const start = w ? k * step : 0;
          const kt = (keyTexts[id] ??= keyText(kid.keys[id]!));
          slot = this.groups.slotOf(start, kt) ?? -1;
          if (slot < 0) {
            const end = !w ? 0 : start + size;
            slot = this.groups.add(start, kt, end, !w ? Infinity : end + closeOffset, kid.keys[id]!);
            for (const c of this.cols) c.init(slot);
          }
          if (dense) dense[combo] = slot;
          else sparse!.set(combo, slot);
          this.changedSlots.add(slot);
        }
        slots[r] = slot;
      }
      for (let a = 0; a < this.cols.length; a++) this.cols[a]!.fold(slots, inputs[a], t, seqBase);
    }
    return dropped;
  }

  private foldSessions(
    w: WindowSpec & { kind: 'session' },
    t: Float64Array,
    ids: Int32Array,
    keys: Value[][],
    inputs: (AggInput | undefined)[],
    seqBase: number,
    changedSessions: Set<string>,
  ): void {
    const vals = inputs.map((x) => x?.values());
    for (let r = 0; r < t.length; r++) {
      const x = t[r]!;
      if (x !== x) continue;
      const fold = (accs: AccState[]): void => {
        for (let a = 0; a < accs.length; a++) accs[a] = this.accs[a]!.add(accs[a]!, vals[a]?.[r] ?? null, x, seqBase + r);
      };
      this.foldSession(w, keys[ids[r]!]!, x, fold, changedSessions);
    }
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
  private emit(wm: number | null, changedSessions: Set<string>): Frame {
    type Row = { start: number; end: number; keys: Value[]; results: Value[] };
    const rows: Row[] = [];
    const closed = (closeAt: number): boolean => wm !== null && closeAt <= wm;
    const g = this.groups;
    for (let s = 0; s < g.limit; s++) {
      if (!g.isLive(s)) continue;
      const isClosed = this.mode !== 'complete' && closed(g.closeAt[s]!);
      if (this.mode === 'complete' || (this.mode === 'append' ? isClosed : this.changedSlots.has(s))) {
        rows.push({ start: g.start[s]!, end: g.end[s]!, keys: g.keys[s]!, results: this.cols.map((c) => c.result(s)) });
      }
      if (isClosed) {
        this.removedGroups.push(g.idOf(s));
        this.changedSlots.delete(s);
        g.remove(s);
      }
    }
    for (const [k, sk] of this.sessions) {
      const open: SessionKey['sessions'] = [];
      for (const s of sk.sessions) {
        const end = this.sessionEnd(sk, s);
        const isClosed = this.mode !== 'complete' && closed(end);
        // Update mode: sessions of a changed key (a merge may have replaced an emitted one).
        if (this.mode === 'complete' || (this.mode === 'append' ? isClosed : changedSessions.has(k))) {
          rows.push({ start: s.start, end, keys: sk.keys, results: this.accs.map((a, i) => a.result(s.accs[i]!)) });
        }
        if (!isClosed) open.push(s);
      }
      // A key that lost some sessions changed: its delta must record the shorter list (else a restart re-emits them).
      if (open.length && open.length !== sk.sessions.length) changedSessions.add(k);
      if (open.length) sk.sessions = open;
      else {
        this.sessions.delete(k);
        this.removedSessions.push(k);
        changedSessions.delete(k);
      }
    }
    const windowed = this.plan.window !== undefined;
    rows.sort((a, b) => (windowed && a.start !== b.start ? a.start - b.start : windowed && a.end !== b.end ? a.end - b.end : compareValueLists(a.keys, b.keys)));
    const columns: Value[][] = [];
    if (windowed) {
      columns.push(rows.map((r) => BigInt(r.start)), rows.map((r) => BigInt(r.end)));
    }
    this.keyExprs.forEach((_k, i) => columns.push(rows.map((r) => r.keys[i]!)));
    this.accs.forEach((_a, i) => columns.push(rows.map((r) => r.results[i]!)));
    return Frame.of(this.outputSchema, rows.length, columns);
  }

  /** The state to save: everything (a snapshot), or the given changed groups and session keys plus evictions (a delta). */
  private saved(slots: Set<number> | null, sessionKeys: Set<string> | null): SavedState {
    const g = this.groups;
    const groups: SavedGroup[] = [];
    const group = (s: number): void => {
      // closeAt Infinity is stored as null (JSON has no Infinity).
      const c = g.closeAt[s]!;
      groups.push([g.start[s]!, g.end[s]!, Number.isFinite(c) ? c : null, g.keys[s]!, this.cols.map((a) => a.save(s))]);
    };
    if (slots) for (const s of slots) group(s);
    else for (let s = 0; s < g.limit; s++) if (g.isLive(s)) group(s);
    const sessions: SavedSessions[] = [];
    for (const [k, sk] of this.sessions) {
      if (sessionKeys && !sessionKeys.has(k)) continue;
      sessions.push([sk.keys, sk.bucket, sk.sessions.map((s) => [s.start, s.last, s.accs])]);
    }
    return {
      v: 1,
      query: this.fingerprint,
      watermarkUs: this.watermarkUs,
      maxEventUs: this.maxEventUs,
      groups,
      sessions,
      ...(slots && { removed: { groups: this.removedGroups, sessions: this.removedSessions } }),
    };
  }
}

/**
 * The live state after the last of `versions` (the newest snapshot at or before a batch, then the deltas after it),
 * as one snapshot; StreamCheckpointError when a version is not aggregation state or, given `fingerprint`, was
 * written by another query.
 */
export function mergeVersions(versions: readonly { batchId: number; state: unknown }[], fingerprint?: string): SavedState {
  const groups = new Map<string, SavedGroup>();
  const sessions = new Map<string, SavedSessions>();
  let last: SavedState | undefined;
  for (const { batchId: id, state } of versions) {
    const s = state as SavedState;
    if (!s || s.v !== 1 || !Array.isArray(s.groups) || !Array.isArray(s.sessions)) {
      throw new StreamCheckpointError(`aggregation state of batch ${id} has an unknown format`, id);
    }
    if (fingerprint !== undefined && s.query !== fingerprint) {
      throw new StreamCheckpointError(
        `the checkpoint's aggregation state was written by a different query (${s.query}), not this one (${fingerprint}): ` +
          'a changed window, grouping or aggregate cannot resume from it; use a new checkpoint location and sink',
        id,
      );
    }
    if (!s.removed) {
      groups.clear();
      sessions.clear();
    }
    for (const gid of s.removed?.groups ?? []) groups.delete(gid);
    for (const sid of s.removed?.sessions ?? []) sessions.delete(sid);
    for (const g of s.groups) groups.set(groupKey(g[0], g[3]), g);
    for (const x of s.sessions) sessions.set(sessionKeyOf(x[0], x[1]), x);
    last = s;
  }
  return {
    v: 1,
    query: last?.query ?? '',
    watermarkUs: last?.watermarkUs ?? null,
    maxEventUs: last?.maxEventUs ?? null,
    groups: [...groups.values()],
    sessions: [...sessions.values()],
  };
}

/** A batch's input of one aggregate over frame `f`: each form read once, when first asked for. */
function aggInput(f: Frame, e: FrameExpr): AggInput {
  let v: Value[] | undefined;
  let nums: ReturnType<typeof numbers> | undefined;
  let nn: Uint8Array | null | undefined;
  return {
    values: () => (v ??= e.evaluate(f)),
    numbers: () => (nums ??= numbers(f, e)),
    notNull: () => (nn === undefined ? (nn = notNull(f, e)) : nn),
  };
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
