// Normalized values of Delta types: decimal/date/timestamp formatting and the bigint/calendar arithmetic
// behind it (proleptic Gregorian, UTC). Pure functions shared by schema/, table/ and cli/; no I/O, no Arrow.

export const MICROS_PER_DAY = 86_400_000_000n;

/** Floor division of bigints (rounds toward negative infinity, unlike `/`). */
export function floorDiv(a: bigint, b: bigint): bigint {
  const q = a / b;
  return (a % b !== 0n && (a < 0n) !== (b < 0n)) ? q - 1n : q;
}

const POW10: bigint[] = [];
/** 10^n as a bigint (memoized). */
export function pow10(n: number): bigint {
  let p = POW10[n];
  if (p === undefined) {
    p = 10n ** BigInt(n);
    POW10[n] = p;
  }
  return p;
}

/** Plain decimal text with exactly `scale` fraction digits of unscaled * 10^-scale, e.g. (-5n, 2) -> "-0.05". */
export function formatDecimal(unscaled: bigint, scale: number): string {
  const neg = unscaled < 0n;
  let digits = (neg ? -unscaled : unscaled).toString();
  if (scale > 0) {
    digits = digits.padStart(scale + 1, '0');
    digits = `${digits.slice(0, digits.length - scale)}.${digits.slice(digits.length - scale)}`;
  }
  return neg ? `-${digits}` : digits;
}

/** Days since 1970-01-01 of a civil date (H. Hinnant's days_from_civil). */
export function daysFromCivil(y: number, m: number, d: number): number {
  const yy = m <= 2 ? y - 1 : y;
  const era = Math.floor(yy / 400);
  const yoe = yy - era * 400;
  const mp = (m + 9) % 12;
  const doy = Math.floor((153 * mp + 2) / 5) + d - 1;
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
  return era * 146097 + doe - 719468;
}

/** Civil date of days since 1970-01-01 (inverse of daysFromCivil). */
export function civilFromDays(z: number): { y: number; m: number; d: number } {
  const zz = z + 719468;
  const era = Math.floor(zz / 146097);
  const doe = zz - era * 146097;
  const yoe = Math.floor((doe - Math.floor(doe / 1460) + Math.floor(doe / 36524) - Math.floor(doe / 146096)) / 365);
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100));
  const mp = Math.floor((5 * doy + 2) / 153);
  const d = doy - Math.floor((153 * mp + 2) / 5) + 1;
  const m = mp < 10 ? mp + 3 : mp - 9;
  return { y: yoe + era * 400 + (m <= 2 ? 1 : 0), m, d };
}

function pad(n: number, w: number): string {
  const s = String(Math.abs(n)).padStart(w, '0');
  return n < 0 ? `-${s}` : s;
}

/** 'YYYY-MM-DD' of days since epoch. */
export function formatDate(days: number): string {
  const { y, m, d } = civilFromDays(days);
  return `${pad(y, 4)}-${pad(m, 2)}-${pad(d, 2)}`;
}

/** `YYYY-MM-DD<sep>HH:MM:SS` of micros since epoch (UTC wall clock) and the remaining microseconds. */
function splitTimestamp(micros: bigint, sep: string): { base: string; frac: number } {
  const days = floorDiv(micros, MICROS_PER_DAY);
  const rem = micros - days * MICROS_PER_DAY;
  const secOfDay = Number(rem / 1_000_000n);
  const h = Math.floor(secOfDay / 3600);
  const mi = Math.floor((secOfDay % 3600) / 60);
  const s = secOfDay % 60;
  return { base: `${formatDate(Number(days))}${sep}${pad(h, 2)}:${pad(mi, 2)}:${pad(s, 2)}`, frac: Number(rem % 1_000_000n) };
}

/** `YYYY-MM-DD HH:MM:SS[.ffffff]` (UTC wall clock; fraction only when non-zero), as in SQL literals. */
export function formatTimestamp(micros: bigint): string {
  const { base, frac } = splitTimestamp(micros, ' ');
  return frac === 0 ? base : `${base}.${pad(frac, 6)}`;
}

/** `YYYY-MM-DD HH:MM:SS.ffffff` (UTC; always six fraction digits), the partition-value form of a timestamp. */
export function formatTimestampMicros(micros: bigint, sep: ' ' | 'T' = ' '): string {
  const { base, frac } = splitTimestamp(micros, sep);
  return `${base}.${pad(frac, 6)}`;
}
