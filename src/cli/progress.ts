// Progress bar of long operations on an interactive stderr: never writes to stdout and stays silent when stderr is
// not a TTY or machine output (--json) is requested. Draws the ProgressEvents of src/table/progress.ts.
import type { ProgressCallback, ProgressEvent } from '../index.js';

/** The minimal stream the reporter draws on (process.stderr fits). */
export interface ProgressStream {
  isTTY?: boolean;
  columns?: number;
  write(chunk: string): boolean;
}

export interface ProgressReporterOptions {
  /** Machine output requested: never draw. */
  json?: boolean;
  /** Minimum milliseconds between redraws (default 100). */
  intervalMs?: number;
}

/**
 * A reporter whose `callback` can be handed to vacuum/optimize as `onProgress`.
 * Draws `phase [#####.....] done/total` in place (carriage return) and clears the line on `finish()`.
 */
export class ProgressReporter {
  readonly enabled: boolean;
  private lastDraw = 0;
  private drawn = false;
  private readonly intervalMs: number;

  constructor(
    private readonly stream: ProgressStream | undefined,
    options: ProgressReporterOptions = {},
  ) {
    this.enabled = Boolean(stream?.isTTY) && !options.json;
    this.intervalMs = options.intervalMs ?? 100;
  }

  readonly callback: ProgressCallback = (e) => this.update(e);

  update(e: ProgressEvent): void {
    if (!this.enabled || !this.stream) return;
    const now = Date.now();
    const final = e.done >= e.total;
    if (!final && now - this.lastDraw < this.intervalMs) return;
    this.lastDraw = now;
    this.stream.write(`\r${renderProgress(e, this.stream.columns ?? 80)}\x1b[K`);
    this.drawn = true;
  }

  /** Clear the progress line (call before printing the result). */
  finish(): void {
    if (this.enabled && this.drawn && this.stream) this.stream.write('\r\x1b[K');
    this.drawn = false;
  }
}

/** Text of one progress line, fitted to `width` columns. Exported for tests. */
export function renderProgress(e: ProgressEvent, width = 80): string {
  const label = e.phase;
  if (e.total <= 0) return e.done > 0 ? `${label} ${e.done}` : `${label}...`; // unknown total: a counter only
  const counter = `${e.done}/${e.total}`;
  const barWidth = Math.max(0, Math.min(40, width - label.length - counter.length - 6));
  if (barWidth < 5) return `${label} ${counter}`;
  const filled = Math.round((Math.min(e.done, e.total) / e.total) * barWidth);
  return `${label} [${'#'.repeat(filled)}${'.'.repeat(barWidth - filled)}] ${counter}`;
}
