// runStream: the checkpointed micro-batch loop (plan offsets -> log them -> read -> transform -> sink -> log commit).
// It owns triggers, recovery, abort and progress; reading and writing data is the source's and sink's job.
import type * as arrow from 'apache-arrow';
import stableStringify from 'fast-json-stable-stringify';
import { InvalidArgumentError, StreamCheckpointError } from '../errors.js';
import { StreamCheckpoint, type OffsetLogEntry, type RecoveryState } from './checkpoint.js';
import type { JsonValue, ReadLimits, SinkResult, StatefulStage, StreamSink, StreamSource } from './types.js';

export type Trigger =
  /** One batch (a pending batch from a crashed run counts as that batch), then stop. */
  | { once: true }
  /** Every batch available now, then stop. */
  | { availableNow: true }
  /** A batch every `processingTime` ms (when data is available). */
  | { processingTime: number }
  /** Low latency: poll the source with backoff from minPollMs (default 1) to maxPollMs (default 50) while idle. */
  | { continuous: true; minPollMs?: number; maxPollMs?: number };

export interface StreamProgress {
  batchId: number;
  /** Rows read from the source (before the transform). */
  numInputRows: number;
  /** Rows handed to the sink (after the transform). */
  numOutputRows: number;
  /** numInputRows / seconds since the previous batch started (or since the run started). */
  inputRowsPerSecond: number;
  /** numInputRows / seconds this batch took. */
  processedRowsPerSecond: number;
  durationMs: number;
  /** Sink commit time minus the commit time of the newest source data in the batch (when the source knows it). */
  latencyMs?: number;
  sourceStartOffset: JsonValue | null;
  sourceEndOffset: JsonValue;
  /** True when this batch re-ran a batch the sink had already committed (after a crash). */
  skipped: boolean;
  sinkVersion?: number;
  /** True when this batch was recovered from the checkpoint (offsets logged by an earlier run). */
  recovered: boolean;
  /** A batch without new source data, run because the watermark closed windows (stateful stages only). */
  noData?: boolean;
  /** Event-time watermark (ISO 8601) the batch ran with (stateful stages with a watermark only). */
  watermark?: string;
  /** Groups / windows held in state after the batch (stateful stages only). */
  numStateRows?: number;
  /** Input rows dropped as later than the watermark (stateful stages only). */
  numRowsDroppedByWatermark?: number;
}

export interface RunStreamOptions<O extends JsonValue = JsonValue> {
  source: StreamSource<O>;
  /** User code between source and sink: filter / project / aggregate an Arrow table. */
  transform?: (data: arrow.Table, batchId: number) => arrow.Table | Promise<arrow.Table>;
  /** A stateful stage (streaming aggregation) instead of `transform`: checkpointed state, no-data batches. */
  stage?: StatefulStage;
  sink: StreamSink;
  /** A path/URI, or an opened StreamCheckpoint. */
  checkpointLocation: string | StreamCheckpoint;
  trigger?: Trigger;
  /** Stop: the current batch either finishes its sink commit or is abandoned before it (never half-committed). */
  signal?: AbortSignal;
  onProgress?: (p: StreamProgress) => void;
  /** Override the source's default read limits. */
  limits?: ReadLimits;
  /** Keep this many batches of offsets/commits in the checkpoint (default 100). */
  minBatchesToRetain?: number;
}

export interface StreamRunResult {
  queryId: string;
  /** Batches run (including a recovered one). */
  batches: number;
  /** Id of the last batch committed, -1 if none ever was. */
  lastBatchId: number;
  /** Why the loop ended. */
  stoppedBy: 'once' | 'availableNow' | 'abort';
}

export async function runStream<O extends JsonValue>(opts: RunStreamOptions<O>): Promise<StreamRunResult> {
  const { source, sink, signal, stage } = opts;
  if (stage && opts.transform) throw new InvalidArgumentError('runStream takes a transform or a stateful stage, not both');
  const trigger = opts.trigger ?? { continuous: true };
  validateTrigger(trigger);
  const ckpt =
    typeof opts.checkpointLocation === 'string' ? await StreamCheckpoint.open(opts.checkpointLocation) : opts.checkpointLocation;
  const state = await ckpt.recover(sink.queryId);
  await assertSinkNotAhead(sink, state, ckpt.location);
  // The state of the last committed batch (a pending batch re-runs from the state before it).
  await stage?.restore((state.pending ? state.pending.batchId : state.nextBatchId) - 1);
  const limits = opts.limits ?? source.defaultLimits?.() ?? {};
  const retain = opts.minBatchesToRetain ?? 100;
  let batchId = state.nextBatchId;
  let start = state.startOffset as O | null;
  let batches = 0;
  let lastBatchId = state.nextBatchId - 1;
  let lastStart = performance.now();

  const runBatch = async (entry: OffsetLogEntry, recovered: boolean): Promise<boolean> => {
    const t0 = performance.now();
    const noData = stage !== undefined && sameOffset(entry.startOffset, entry.endOffset);
    const data = noData ? null : await source.getBatch(entry.startOffset as O | null, entry.endOffset as O);
    if (signal?.aborted) return false;
    const out = stage ? await stage.process(data, entry.batchId) : opts.transform ? await opts.transform(data!, entry.batchId) : data!;
    if (signal?.aborted) return false;
    const res: SinkResult = await sink.addBatch(entry.batchId, out);
    // The sink's commit is atomic: from here on the batch is done, so record it even when aborting.
    await ckpt.writeCommit({ batchId: entry.batchId, sinkVersion: res.version, skipped: res.skipped, timestamp: Date.now() });
    await stage?.committed(entry.batchId);
    const t1 = performance.now();
    const durationMs = t1 - t0;
    // Spark's inputRowsPerSecond: rows over the time between this batch's start and the previous batch's start.
    const sinceLast = Math.max(t0 - lastStart, durationMs, 1e-3);
    lastStart = t0;
    const srcTs = source.offsetTimestamp?.(entry.endOffset as O);
    const committedAt = res.committedAt ?? Date.now();
    const n = data?.numRows ?? 0;
    const m = stage?.metrics();
    batches++;
    lastBatchId = entry.batchId;
    if (retain > 0 && entry.batchId % retain === 0 && entry.batchId >= retain) await ckpt.purge(entry.batchId - retain);
    opts.onProgress?.({
      batchId: entry.batchId,
      numInputRows: n,
      numOutputRows: out.numRows,
      inputRowsPerSecond: (n * 1000) / sinceLast,
      processedRowsPerSecond: (n * 1000) / Math.max(durationMs, 1e-3),
      durationMs,
      latencyMs: srcTs !== undefined ? Math.max(0, committedAt - srcTs) : undefined,
      sourceStartOffset: entry.startOffset,
      sourceEndOffset: entry.endOffset,
      skipped: res.skipped,
      sinkVersion: res.version,
      recovered,
      ...(m && {
        noData,
        watermark: m.watermarkMs === undefined ? undefined : new Date(m.watermarkMs).toISOString(),
        numStateRows: m.numStateRows,
        numRowsDroppedByWatermark: m.numRowsDroppedByWatermark,
      }),
    });
    return true;
  };

  const result = (stoppedBy: StreamRunResult['stoppedBy']): StreamRunResult => ({
    queryId: state.queryId,
    batches,
    lastBatchId,
    stoppedBy,
  });

  try {
    if (state.pending) {
      if (signal?.aborted) return result('abort');
      // Re-run the batch a crashed run planned, with exactly the logged offsets.
      if (!(await runBatch(state.pending, true))) return result('abort');
      batchId = state.pending.batchId + 1;
      start = state.pending.endOffset as O;
      if ('once' in trigger) return result('once');
    }
    // Batch 0 gets a concrete start offset (e.g. the pinned snapshot version) rather than null.
    if (start === null && source.initialOffset) start = await source.initialOffset();
    let idleMs = 'continuous' in trigger ? (trigger.minPollMs ?? 1) : 0;
    let nextTick = performance.now();
    for (;;) {
      if (signal?.aborted) return result('abort');
      const end = await source.latestOffset(start, limits);
      if (end === null || sameOffset(start, end)) {
        if (stage?.needsNoDataBatch() && start !== null) {
          // Spark's no-data micro-batch: the watermark moved past windows that no new data will close.
          const entry: OffsetLogEntry = { batchId, startOffset: start, endOffset: start, timestamp: Date.now() };
          await ckpt.writeOffsets(entry);
          if (!(await runBatch(entry, false))) return result('abort');
          batchId++;
          if ('once' in trigger) return result('once');
          continue;
        }
        if ('once' in trigger) return result('once');
        if ('availableNow' in trigger) return result('availableNow');
        if ('continuous' in trigger) {
          await sleep(idleMs, signal);
          idleMs = Math.min(idleMs * 2, trigger.maxPollMs ?? 50);
        } else {
          nextTick += trigger.processingTime;
          const now = performance.now();
          if (nextTick < now) nextTick = now + trigger.processingTime;
          await sleep(nextTick - now, signal);
        }
        continue;
      }
      if (signal?.aborted) return result('abort');
      const entry: OffsetLogEntry = { batchId, startOffset: start, endOffset: end, timestamp: Date.now() };
      await ckpt.writeOffsets(entry);
      if (!(await runBatch(entry, false))) return result('abort');
      batchId++;
      start = end;
      if ('once' in trigger) return result('once');
      if ('continuous' in trigger) idleMs = trigger.minPollMs ?? 1;
      if ('processingTime' in trigger) {
        nextTick += trigger.processingTime;
        const now = performance.now();
        if (nextTick > now) await sleep(nextTick - now, signal);
        else nextTick = now;
      }
    }
  } finally {
    await source.close?.();
  }
}

/**
 * The sink must not hold batches the checkpoint does not know: after a lost or older checkpoint the runner would
 * re-number batches from there and the sink would skip the new data as already committed (its txn is ahead).
 */
async function assertSinkNotAhead(sink: StreamSink, state: RecoveryState, location: string): Promise<void> {
  if (!sink.lastCommittedBatch) return;
  const known = state.pending ? state.pending.batchId : state.nextBatchId - 1;
  const sinkLast = await sink.lastCommittedBatch();
  if (sinkLast <= known) return;
  throw new StreamCheckpointError(
    `${sink.description} already committed batch ${sinkLast} of query ${state.queryId}, but the checkpoint at ${location} ` +
      (known < 0 ? 'has no batches' : `knows batches up to ${known} only`) +
      ': the checkpoint was lost or replaced by an older copy, and running would skip new data as duplicates. ' +
      'Restore the checkpoint, or write with a new queryId to a new checkpoint location',
    sinkLast,
  );
}

/** Offsets compare by value: JSON with sorted object keys. */
function sameOffset(a: JsonValue | null, b: JsonValue | null): boolean {
  return stableStringify(a) === stableStringify(b);
}

function validateTrigger(t: Trigger): void {
  if ('processingTime' in t && !(t.processingTime >= 0)) {
    throw new InvalidArgumentError(`trigger processingTime must be >= 0 ms, got ${String(t.processingTime)}`);
  }
  if (!('once' in t) && !('availableNow' in t) && !('processingTime' in t) && !('continuous' in t)) {
    throw new InvalidArgumentError(`unknown trigger ${JSON.stringify(t)}`);
  }
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  if (ms <= 0 || signal?.aborted) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    function done(): void {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });
}
