// Event-time windows of streaming aggregations: tumbling, hopping, session and snapshot, epoch-aligned in UTC.
// The window specs users build, and which fixed windows an event falls in; sessions are merged by the aggregation.
import { InvalidArgumentError } from '../../errors.js';
import { type Duration, parseDuration } from './duration.js';

export type WindowSpec =
  | { kind: 'tumbling'; column: string; sizeMs: number }
  | { kind: 'hopping'; column: string; sizeMs: number; slideMs: number }
  | { kind: 'session'; column: string; gapMs: number; maxDurationMs?: number }
  | { kind: 'snapshot'; column: string };

function columnName(c: string, fn: string): string {
  if (typeof c !== 'string' || c === '') throw new InvalidArgumentError(`${fn}: the event-time column must be a column name`);
  return c;
}

/** Fixed, non-overlapping windows of `size` aligned to the epoch: [k*size, (k+1)*size). */
export function tumblingWindow(column: string, size: Duration): WindowSpec {
  return { kind: 'tumbling', column: columnName(column, 'tumblingWindow'), sizeMs: parseDuration(size, 'tumblingWindow size') };
}

/** Windows of `size` starting every `slide` (epoch-aligned); an event falls in ceil(size / slide) windows. */
export function hoppingWindow(column: string, size: Duration, slide: Duration): WindowSpec {
  const sizeMs = parseDuration(size, 'hoppingWindow size');
  const slideMs = parseDuration(slide, 'hoppingWindow slide');
  if (slideMs > sizeMs) {
    throw new InvalidArgumentError(`hoppingWindow: the slide (${slideMs} ms) must not be larger than the size (${sizeMs} ms)`);
  }
  return { kind: 'hopping', column: columnName(column, 'hoppingWindow'), sizeMs, slideMs };
}

/**
 * Sessions: events of a key less than `gap` apart form one window [first event, last event + gap). With
 * `maxDuration`, sessions never cross an epoch-aligned multiple of maxDuration (a session is cut there), so that
 * the result does not depend on the order events arrive in.
 */
export function sessionWindow(column: string, gap: Duration, options: { maxDuration?: Duration } = {}): WindowSpec {
  const gapMs = parseDuration(gap, 'sessionWindow gap');
  const spec: WindowSpec = { kind: 'session', column: columnName(column, 'sessionWindow'), gapMs };
  if (options.maxDuration !== undefined) {
    spec.maxDurationMs = parseDuration(options.maxDuration, 'sessionWindow maxDuration');
    if (spec.maxDurationMs < gapMs) {
      throw new InvalidArgumentError(`sessionWindow: maxDuration (${spec.maxDurationMs} ms) must not be smaller than the gap (${gapMs} ms)`);
    }
  }
  return spec;
}

/** Events with exactly the same timestamp (Stream Analytics' snapshot window): window_start = window_end = that time. */
export function snapshotWindow(column: string): WindowSpec {
  return { kind: 'snapshot', column: columnName(column, 'snapshotWindow') };
}

const US_PER_MS = 1000;

function floorTo(x: number, step: number): number {
  return Math.floor(x / step) * step;
}

/**
 * Calls `f(start, end, closeAt)` (microseconds) for each fixed window event time `ts` (µs) falls in; `closeAt` is
 * the watermark at which the window is complete. Not for sessions.
 */
export function forEachWindow(spec: WindowSpec, ts: number, f: (start: number, end: number, closeAt: number) => void): void {
  switch (spec.kind) {
    case 'tumbling': {
      const size = spec.sizeMs * US_PER_MS;
      const s = floorTo(ts, size);
      f(s, s + size, s + size);
      return;
    }
    case 'hopping': {
      const size = spec.sizeMs * US_PER_MS;
      const slide = spec.slideMs * US_PER_MS;
      // Windows [s, s + size) with s a multiple of slide and s <= ts < s + size, oldest first.
      for (let s = floorTo(ts - size, slide) + slide; s <= ts; s += slide) if (ts < s + size) f(s, s + size, s + size);
      return;
    }
    case 'snapshot':
      // Closed once the watermark is past the timestamp: no row later than the watermark can have it.
      f(ts, ts, ts + 1);
      return;
    case 'session':
      throw new Error('forEachWindow: session windows are merged by the aggregation');
  }
}

/** The epoch-aligned bucket a session containing `ts` must stay in (maxDuration), as [start, end) µs; null without one. */
export function sessionBucket(spec: WindowSpec & { kind: 'session' }, ts: number): [number, number] | null {
  if (spec.maxDurationMs === undefined) return null;
  const m = spec.maxDurationMs * US_PER_MS;
  const s = floorTo(ts, m);
  return [s, s + m];
}
