// Typed views of Arrow buffers, slice-safe: fixed-width values arrive already shifted by apache-arrow's slice
// (row i is element i, or i * stride), booleans are bits at `offset + i`, variable-width rows go through
// `valueOffsets` (sliced, not rebased). The one place that indexes Arrow value buffers; no Delta types here.
import { DataType, DateUnit, TimeUnit, type Data, type Timestamp } from 'apache-arrow';
import { floorDiv } from '../values.js';

export type IntArray = Int8Array | Int16Array | Int32Array | Uint8Array | Uint16Array | Uint32Array;
export type BigIntArray = BigInt64Array | BigUint64Array;
export type NumberArray = IntArray | Float32Array | Float64Array;

/** The values of a fixed-width Data, exactly `length * stride` elements, row i at `i * stride`. */
export function fixedValues<T extends NumberArray | BigIntArray>(data: Data): T {
  const v = data.values as unknown as T;
  const n = data.length * data.stride;
  return (v.length === n ? v : v.subarray(0, n)) as T;
}

/** Boolean value (bit) of row i, ignoring validity. */
export function bitAt(data: Data, i: number): boolean {
  const pos = data.offset + i;
  return (((data.values as Uint8Array)[pos >> 3]! >> (pos & 7)) & 1) === 1;
}

/** Row i of a 64-bit integer column as bigint (also the legacy layout of 64-bit values as Int32 pairs). */
export function int64At(values: ArrayLike<number | bigint>, i: number): bigint {
  if (values instanceof BigInt64Array || values instanceof BigUint64Array) return values[i]!;
  const lo = BigInt((values as Int32Array)[2 * i]! >>> 0);
  const hi = BigInt((values as Int32Array)[2 * i + 1]!);
  return (hi << 32n) | lo;
}

/** Start and end (exclusive) element index of row i of a list / map / utf8 / binary Data. */
export function rangeAt(data: Data, i: number): [number, number] {
  const o = data.valueOffsets as ArrayLike<number | bigint>;
  return [Number(o[i]!), Number(o[i + 1]!)];
}

/** Bytes of row i of a utf8 / binary (also large) or fixed-size binary Data (a view, not a copy). */
export function bytesAt(data: Data, i: number): Uint8Array {
  const bytes = data.values as Uint8Array;
  if (DataType.isFixedSizeBinary(data.type)) {
    const w = data.type.byteWidth;
    return bytes.subarray(i * w, (i + 1) * w);
  }
  const [s, e] = rangeAt(data, i);
  return bytes.subarray(s, e);
}

/** Signed bigint of `words` little-endian Uint32 words (Arrow Decimal32..256 storage). */
export function decimalWordsToBigint(src: Uint32Array, at: number, words: number): bigint {
  let u = 0n;
  for (let k = words - 1; k >= 0; k--) u = (u << 32n) | BigInt(src[at + k]!);
  return BigInt.asIntN(words * 32, u);
}

/** Unscaled value of row i of a Decimal Data. */
export function decimalAt(data: Data, i: number): bigint {
  const words = (data.type as unknown as { bitWidth: number }).bitWidth / 32;
  return decimalWordsToBigint(data.values as Uint32Array, i * words, words);
}

/** Multiplier / divisor from a timestamp unit to microseconds. */
export const TS_UNIT_TO_MICROS: Record<number, { mul: bigint; div: bigint }> = {
  [TimeUnit.SECOND]: { mul: 1_000_000n, div: 1n },
  [TimeUnit.MILLISECOND]: { mul: 1000n, div: 1n },
  [TimeUnit.MICROSECOND]: { mul: 1n, div: 1n },
  [TimeUnit.NANOSECOND]: { mul: 1n, div: 1000n },
};

/** Raw stored integer of row i of a Timestamp / Date(ms) / Int64 Data. */
export function rawInt64At(data: Data, i: number): bigint {
  return int64At(data.values as ArrayLike<number | bigint>, i);
}

/** Row i of a Timestamp Data in microseconds (floor for nanoseconds). */
export function timestampMicrosAt(data: Data, i: number): bigint {
  const { mul, div } = TS_UNIT_TO_MICROS[(data.type as Timestamp).unit]!;
  const raw = rawInt64At(data, i);
  return div !== 1n ? floorDiv(raw, div) : raw * mul;
}

/** Row i of a Date Data (day or millisecond unit) in days since the epoch. */
export function dateDaysAt(data: Data, i: number): number {
  if (DataType.isDate(data.type) && data.type.unit === DateUnit.MILLISECOND) return Number(floorDiv(rawInt64At(data, i), 86_400_000n));
  return (data.values as Int32Array)[i]!;
}
