// The contracts between the streaming runner and its sources and sinks (offsets, read limits, batches, results).
// Types only: no I/O and no knowledge of any particular source or sink.
import type * as arrow from 'apache-arrow';

/** A JSON value: offsets are written to the checkpoint as JSON and must round-trip exactly. */
export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };

/** How much one micro-batch may take from a source (each source documents which limits it honours). */
export interface ReadLimits {
  /** Maximum number of files (Delta / JSON directory sources). */
  maxFiles?: number;
  /** Soft maximum of bytes: a batch always admits at least one file. */
  maxBytes?: number;
  /** Maximum number of records (iterable source). */
  maxRecords?: number;
}

/** A micro-batch source: offsets are opaque JSON values compared by their JSON text. */
export interface StreamSource<O extends JsonValue = JsonValue> {
  /** Human-readable name for progress events and errors. */
  readonly description: string;
  /**
   * The end offset of the next batch starting after `start` (null = from the beginning), within `limits`.
   * Returns `start` (or null when start is null) when no new data is available. Never blocks waiting for data.
   */
  latestOffset(start: O | null, limits?: ReadLimits): Promise<O | null>;
  /**
   * The position before the first record the stream reads (e.g. a pinned table version), so that the runner
   * can log a concrete start offset for batch 0 and a re-run after a crash reads the same rows.
   */
  initialOffset?(): Promise<O | null>;
  /** The rows in (start, end]. Must return exactly the same rows every time it is called with the same offsets. */
  getBatch(start: O | null, end: O): Promise<arrow.Table>;
  /** Commit/creation time (ms since epoch) of the newest data up to `end`, for latency metrics; undefined if unknown. */
  offsetTimestamp?(end: O): number | undefined;
  /** Default read limits for a batch (e.g. maxFilesPerTrigger). */
  defaultLimits?(): ReadLimits;
  /** Release resources. */
  close?(): Promise<void>;
}

export interface SinkResult {
  /** True when the batch had already been committed by an earlier run (exactly-once replay). */
  skipped: boolean;
  /** Version the sink committed (Delta sink), when it committed. */
  version?: number;
  /** Wall-clock time (ms since epoch) at which the sink committed. */
  committedAt?: number;
}

/** A micro-batch sink: `addBatch` must be idempotent per batchId (a re-run after a crash repeats a batchId). */
export interface StreamSink {
  readonly description: string;
  /** The id the sink uses to recognise its own batches (Delta sink: txn appId). */
  readonly queryId?: string;
  addBatch(batchId: number, data: arrow.Table): Promise<SinkResult>;
  /** The last batch id this query committed to the sink (-1 if none): lets the runner detect a lost checkpoint. */
  lastCommittedBatch?(): Promise<number>;
}

/** What a stateful stage (a streaming aggregation) reports in each progress event. */
export interface StageMetrics {
  /** Event-time watermark in ms since epoch used by the batch (undefined before the first event). */
  watermarkMs?: number;
  /** Rows (groups / windows) held in state after the batch. */
  numStateRows: number;
  /** Input rows of the batch dropped as later than the watermark. */
  numRowsDroppedByWatermark: number;
}

/**
 * A stateful stage between source and sink (streaming aggregation). Its state is versioned by batch id in the
 * checkpoint location and written before the sink commit, so a re-run of a batch starts from the same state.
 */
export interface StatefulStage {
  /** Load the state as of the end of batch `batchId` (-1: the empty state). */
  restore(batchId: number): Promise<void>;
  /** Run batch `batchId` (`null`: a no-data batch that only advances time); persist its state, return its output. */
  process(data: arrow.Table | null, batchId: number): Promise<arrow.Table>;
  /** The commit of `batchId` is recorded: state versions before it are no longer needed. */
  committed(batchId: number): Promise<void>;
  /** True when a batch without new data would emit or evict something (the watermark passed a window's end). */
  needsNoDataBatch(): boolean;
  metrics(): StageMetrics;
}
