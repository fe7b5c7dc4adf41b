// The columnar reads of the streaming aggregation (event times, key ids, numeric inputs, null masks) equal the
// value path (Frame.of over values read row by row) on sliced, multi-chunk Arrow input with nulls.
import { describe, expect, it } from 'vitest';
import * as arrow from 'apache-arrow';
import type { StructType } from '../../../src/schema/types.js';
import { toArrowSchema } from '../../../src/schema/arrow.js';
import { objectsToArrow } from '../../../src/schema/objects.js';
import { eventTimes, keyIds, notNull, numbers } from '../../../src/streaming/query/columnar.js';
import { Frame, compileOver } from '../../../src/streaming/query/frame.js';

const schema: StructType = {
  type: 'struct',
  fields: [
    { name: 'ts', type: 'timestamp', nullable: true, metadata: {} },
    { name: 'key', type: 'string', nullable: true, metadata: {} },
    { name: 'n', type: 'integer', nullable: true, metadata: {} },
    { name: 'x', type: 'double', nullable: true, metadata: {} },
  ],
};

function rows(count: number): Record<string, unknown>[] {
  const base = BigInt(Date.UTC(2026, 0, 1)) * 1000n;
  return Array.from({ length: count }, (_, i) => ({
    ts: i % 11 === 3 ? null : base + BigInt(i * 1_234_567) - (i % 7 === 0 ? 90_000_000n : 0n),
    // Multi-byte and empty strings, equal strings in different chunks, nulls.
    key: i % 13 === 5 ? null : ['ä', '', 'k1', 'k10', 'ключ', 'k1 '][i % 6],
    n: i % 9 === 4 ? null : i * 3 - 100,
    x: i % 5 === 2 ? null : i / 7,
  }));
}

describe('columnar reads', () => {
  const all = rows(500);
  const big = objectsToArrow([...all, ...all], schema).batches[0]!;
  // Three chunks, each a slice (non-zero offset) of a larger batch: rows [30, 100), [130, 260), [580, 820) of all+all.
  const chunked = new arrow.Table(toArrowSchema(schema), [big.slice(30, 100), big.slice(130, 260), big.slice(580, 820)]);
  const lazy = Frame.fromArrow(chunked, schema);
  const values = Frame.of(schema, chunked.numRows, Frame.fromArrow(chunked, schema).columns);

  it('reads from Arrow chunks exactly what the value path reads', () => {
    expect(chunked.numRows).toBe(440);
    expect(lazy.chunks(0)?.length).toBe(3);
    expect([...eventTimes(lazy, 0)]).toEqual([...eventTimes(values, 0)]);
    expect(eventTimes(lazy, 0).some((t) => Number.isNaN(t))).toBe(true);
    const key = compileOver('key', schema, 'test');
    const n = compileOver('n', schema, 'test');
    const x = compileOver('x', schema, 'test');
    for (const e of [n, x]) {
      expect(numbers(lazy, e)).toEqual(numbers(values, e));
      expect(notNull(lazy, e)).toEqual(notNull(values, e));
    }
    // The same key tuple gets the same id, different tuples different ids, on both paths.
    for (const exprs of [[key], [key, n]]) {
      const a = keyIds(lazy, exprs);
      const b = keyIds(values, exprs);
      const tuples = (k: typeof a): string[] => [...k.ids].map((id) => JSON.stringify(k.keys[id]));
      expect(tuples(a)).toEqual(tuples(b));
      expect(new Set(a.keys.map((t) => JSON.stringify(t))).size).toBe(a.keys.length);
    }
    const want = values.column(1);
    const got = keyIds(lazy, [key]);
    expect([...got.ids].map((id) => got.keys[id]![0])).toEqual(want);
  });

  it('filters each column in its form (Arrow, vector, values) to the rows a value-only frame keeps', () => {
    const mask = Uint8Array.from({ length: chunked.numRows }, (_, i) => (i % 3 === 1 || i > 400 ? 1 : 0));
    const x2 = compileOver('x * 2', schema, 'test');
    const withVec = lazy.derive({ ...schema, fields: [...schema.fields, { name: 'x2', type: 'double', nullable: true, metadata: {} }] }, [0, 1, 2, 3, x2.vector(lazy)!]);
    const withVals = values.derive(withVec.schema, [0, 1, 2, 3, x2.evaluate(values)]);
    expect(x2.vector(lazy)).not.toBeNull();
    const a = withVec.filter(mask);
    const b = withVals.filter(mask);
    expect(a.numRows).toBe(mask.reduce((x, y) => x + y, 0));
    expect(a.chunks(1)).toBeDefined(); // still Arrow: the fast paths read it
    expect(a.vector(4)).not.toBeNull();
    expect(a.columns).toEqual(b.columns);
    expect([...eventTimes(a, 0)]).toEqual([...eventTimes(b, 0)]);
  });
});
