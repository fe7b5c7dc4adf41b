// Validity of Arrow rows, slice-safe: apache-arrow slices value buffers but never the validity bitmap, so row i of
// a sliced Data is bit `data.offset + i`. The one place that reads a null bitmap; no Delta types here.
import type { Data } from 'apache-arrow';

/** Validity of row i (relative to `data`). */
export type Validity = (i: number) => boolean;

const ALL_VALID: Validity = () => true;

/** True when row i of `data` is valid (not null). */
export function isValid(data: Data, i: number): boolean {
  if (data.nullCount === 0) return true;
  const bm = data.nullBitmap;
  if (!bm || bm.length === 0) return data.nullCount !== data.length; // all-null types without a bitmap
  const pos = data.offset + i;
  return (bm[pos >> 3]! & (1 << (pos & 7))) !== 0;
}

/** A validity function for `data` (constant true when it has no nulls). */
export function validityOf(data: Data): Validity {
  if (data.nullCount === 0) return ALL_VALID;
  const bm = data.nullBitmap;
  if (!bm || bm.length === 0) {
    const v = data.nullCount !== data.length;
    return () => v;
  }
  const off = data.offset;
  return (i) => {
    const pos = off + i;
    return (bm[pos >> 3]! & (1 << (pos & 7))) !== 0;
  };
}

/**
 * Validity of a nested field reached through struct `ancestors` (outermost first, each aligned row for row with
 * the leaf): a row is valid only when every ancestor and the leaf are.
 */
export function pathValidityOf(ancestors: readonly Data[], leaf: Data): Validity {
  const all = [...ancestors, leaf].filter((d) => d.nullCount !== 0).map(validityOf);
  if (all.length === 0) return ALL_VALID;
  if (all.length === 1) return all[0]!;
  return (i) => all.every((v) => v(i));
}
