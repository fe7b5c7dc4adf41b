// Durations of streaming queries (window sizes, slides, gaps, watermark delays): '30 seconds', '1 minute', or ms.
// Parsing only; windows and watermarks use the milliseconds it returns.
import { InvalidArgumentError } from '../../errors.js';

/** A duration: milliseconds, or text such as '500 milliseconds', '30 seconds', '1 minute', '2 hours', '1 day'. */
export type Duration = string | number;

const UNIT_MS: Record<string, number> = {
  ms: 1,
  millisecond: 1,
  milliseconds: 1,
  s: 1000,
  sec: 1000,
  second: 1000,
  seconds: 1000,
  m: 60_000,
  min: 60_000,
  minute: 60_000,
  minutes: 60_000,
  h: 3_600_000,
  hour: 3_600_000,
  hours: 3_600_000,
  d: 86_400_000,
  day: 86_400_000,
  days: 86_400_000,
  week: 604_800_000,
  weeks: 604_800_000,
};

/** Milliseconds of `d`; InvalidArgumentError naming `what` unless it is a whole number of ms, > 0 (>= 0 if allowZero). */
export function parseDuration(d: Duration, what: string, allowZero = false): number {
  let ms: number;
  if (typeof d === 'number') ms = d;
  else if (typeof d === 'string') {
    const m = /^\s*(\d+(?:\.\d+)?)\s*([a-zA-Z]+)\s*$/.exec(d);
    const unit = m ? UNIT_MS[m[2]!.toLowerCase()] : undefined;
    if (!m || unit === undefined) {
      throw new InvalidArgumentError(
        `${what}: '${d}' is not a duration (use e.g. '500 milliseconds', '30 seconds', '1 minute', '2 hours', '1 day', or ms)`,
      );
    }
    ms = Number(m[1]) * unit;
  } else throw new InvalidArgumentError(`${what}: expected a duration (text or ms), got ${typeof d}`);
  if (!Number.isSafeInteger(ms) || ms < 0 || (ms === 0 && !allowZero)) {
    throw new InvalidArgumentError(`${what} must be a whole number of milliseconds ${allowZero ? '>= 0' : '> 0'}, got ${String(d)}`);
  }
  return ms;
}
