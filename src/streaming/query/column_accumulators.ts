// Aggregate state of many groups at once, indexed by group slot: count and floating sum/avg in typed arrays folded a
// column at a time; every other aggregate keeps one exact row accumulator (aggregate.ts) per slot. Saved states are
// the row accumulators' JSON states, so either kind restores the other's. No I/O.
import type { Value } from '../../schema/access/get.js';
import type { DataType } from '../../schema/types.js';
import { isFloating, type SqlType } from '../../expr/types.js';
import type { AccState, Accumulator, AggFunction } from './aggregate.js';
import type { Numbers } from './columnar.js';

/** A batch's input of one aggregate, read in the form the accumulator asks for. */
export interface AggInput {
  values(): Value[];
  numbers(): Numbers;
  notNull(): Uint8Array | null;
}

export interface ColumnAccumulator {
  readonly resultType: DataType;
  /** Make room for slots below `capacity`. */
  grow(capacity: number): void;
  init(slot: number): void;
  /**
   * Fold row r into slot `slots[r]` for every r with slots[r] >= 0, rows in order; `times` are event times (µs) and
   * row r's arrival sequence number is seqBase + r.
   */
  fold(slots: Int32Array, input: AggInput | undefined, times: Float64Array | null, seqBase: number): void;
  result(slot: number): Value;
  save(slot: number): AccState;
  load(slot: number, s: AccState): void;
}

function grown(a: Float64Array<ArrayBuffer>, capacity: number): Float64Array<ArrayBuffer> {
  if (a.length >= capacity) return a;
  const b = new Float64Array(Math.max(capacity, a.length * 2));
  b.set(a);
  return b;
}

/** The slot-indexed accumulator of `fn` over `type`, backed by `row` (the row accumulator of the same aggregate). */
export function columnAccumulator(fn: AggFunction, type: SqlType | undefined, row: Accumulator): ColumnAccumulator {
  if (fn === 'count') return countColumns(type === undefined, row);
  if ((fn === 'sum' || fn === 'avg') && type !== undefined && isFloating(type)) return floatColumns(fn === 'avg', row);
  return rowColumns(row);
}

/** count() and count(col): a double per slot (exact to 2^53 rows). */
function countColumns(rows: boolean, row: Accumulator): ColumnAccumulator {
  let n = new Float64Array(0);
  return {
    resultType: row.resultType,
    grow: (c) => void (n = grown(n, c)),
    init: (s) => void (n[s] = 0),
    fold(slots, input) {
      const valid = rows ? null : input!.notNull();
      for (let r = 0; r < slots.length; r++) {
        const s = slots[r]!;
        if (s >= 0 && (valid === null || valid[r])) n[s]!++;
      }
    },
    result: (s) => BigInt(n[s]!),
    save: (s) => n[s]!,
    load: (s, st) => void (n[s] = st as number),
  };
}

/** sum / avg of float and double: running sum and count per slot (sum is null while no value was seen). */
function floatColumns(isAvg: boolean, row: Accumulator): ColumnAccumulator {
  let sum = new Float64Array(0);
  let cnt = new Float64Array(0);
  return {
    resultType: row.resultType,
    grow(c) {
      sum = grown(sum, c);
      cnt = grown(cnt, c);
    },
    init(s) {
      sum[s] = 0;
      cnt[s] = 0;
    },
    fold(slots, input) {
      const { num, valid } = input!.numbers();
      for (let r = 0; r < slots.length; r++) {
        const s = slots[r]!;
        if (s < 0 || (valid !== null && !valid[r])) continue;
        sum[s]! += num[r]!;
        cnt[s]!++;
      }
    },
    result: (s) => (cnt[s] === 0 ? null : isAvg ? sum[s]! / cnt[s]! : sum[s]!),
    // The row accumulators' states: avg [sum, n], sum the sum or null.
    save: (s) => (isAvg ? [sum[s]!, cnt[s]!] : cnt[s] === 0 ? null : sum[s]!),
    load(s, st) {
      if (isAvg) {
        const [t, c] = st as [number, number];
        sum[s] = t;
        cnt[s] = c;
      } else {
        sum[s] = st === null ? 0 : (st as number);
        cnt[s] = st === null ? 0 : 1;
      }
    },
  };
}

/** Any other aggregate: one exact row-accumulator state per slot, folded row by row. */
function rowColumns(row: Accumulator): ColumnAccumulator {
  const states: AccState[] = [];
  return {
    resultType: row.resultType,
    grow: () => {},
    init: (s) => void (states[s] = row.init()),
    fold(slots, input, times, seqBase) {
      const vals = input?.values();
      for (let r = 0; r < slots.length; r++) {
        const s = slots[r]!;
        if (s >= 0) states[s] = row.add(states[s]!, vals ? vals[r]! : null, times ? times[r]! : 0, seqBase + r);
      }
    },
    result: (s) => row.result(states[s]!),
    save: (s) => states[s]!,
    load: (s, st) => void (states[s] = st),
  };
}
