import * as arrow from 'apache-arrow';
import { describe, expect, it } from 'vitest';
import { ProtocolError } from '../../src/errors.js';
import { parseSchema } from '../../src/schema/json.js';
import { objectsToArrow } from '../../src/schema/objects.js';
import type { StructType } from '../../src/schema/types.js';
import { readParquet, writeParquet } from '../../src/storage/parquet.js';
import { castToSchema } from '../../src/schema/enforce.js';
import {
  collectStats,
  parseStats,
  truncateMaxString,
  truncateMinString,
} from '../../src/table/stats.js';
import { compareStrings } from '../../src/expr/index.js';

const S = (fields: unknown[]): StructType => parseSchema(JSON.stringify({ type: 'struct', fields }));
const F = (name: string, type: unknown, nullable = true) => ({ name, type, nullable, metadata: {} });

const SCHEMA = S([
  F('p', 'string'),
  F('l', 'long'),
  F('i', 'integer'),
  F('f', 'float'),
  F('d', 'double'),
  F('dec', 'decimal(38,2)'),
  F('s', 'string'),
  F('b', 'boolean'),
  F('bin', 'binary'),
  F('dt', 'date'),
  F('ts', 'timestamp'),
  F('ntz', 'timestamp_ntz'),
  F('st', { type: 'struct', fields: [F('x', 'integer'), F('y', { type: 'struct', fields: [F('z', 'string')] })] }),
  F('arr', { type: 'array', elementType: 'integer', containsNull: true }),
  F('m', { type: 'map', keyType: 'string', valueType: 'integer', valueContainsNull: true }),
  F('allnull', 'integer'),
]);

const ROWS = [
  {
    p: 'a', l: 9007199254740993n, i: 5, f: 0.1, d: -2.5, dec: '12345678901234567890.05', s: 'banana', b: true,
    bin: new Uint8Array([1]), dt: '2024-01-31', ts: '2024-01-01T00:00:00.999999Z', ntz: '2024-01-01 00:00:00.0015',
    st: { x: 1, y: { z: 'q' } }, arr: [1], m: { k: 1 },
  },
  { p: 'a', l: -1n, i: -7, f: 2.5, d: 3, dec: '-0.01', s: 'apple', b: false, dt: '1969-12-31', ts: -1n, ntz: 0n, st: { x: null, y: null } },
  { p: 'a', l: 0n, st: null },
];

describe('collectStats', () => {
  it('writes Spark-shaped stats for every type (exact longs, nested structs, no min/max for bool/binary/array/map)', () => {
    const table = objectsToArrow(ROWS, SCHEMA);
    const json = collectStats(table, SCHEMA, { partitionColumns: ['p'] });
    expect(json).toBe(
      '{"numRecords":3,' +
        '"minValues":{"l":-1,"i":-7,"f":0.1,"d":-2.5,"dec":-0.01,"s":"apple","dt":"1969-12-31","ts":"1969-12-31T23:59:59.999Z","ntz":"1970-01-01T00:00:00.000","st":{"x":1,"y":{"z":"q"}}},' +
        '"maxValues":{"l":9007199254740993,"i":5,"f":2.5,"d":3.0,"dec":12345678901234567890.05,"s":"banana","dt":"2024-01-31","ts":"2024-01-01T00:00:00.999Z","ntz":"2024-01-01T00:00:00.001","st":{"x":1,"y":{"z":"q"}}},' +
        '"nullCount":{"l":0,"i":1,"f":1,"d":1,"dec":1,"s":1,"b":1,"bin":2,"dt":1,"ts":1,"ntz":1,"st":{"x":2,"y":{"z":2}},"arr":2,"m":2,"allnull":3}}',
    );
    const parsed = parseStats(json)!;
    expect(parsed.numRecords).toBe(3);
    expect(parsed.maxValues.l).toBe(9007199254740993n);
    expect(parsed.maxValues.st).toEqual({ x: 1, y: { z: 'q' } });
    expect(parsed.nullCount.allnull).toBe(3);
    expect(parsed.tightBounds).toBe(true);
  });

  it('gives the same stats after a Parquet round trip', () => {
    const table = objectsToArrow(ROWS, SCHEMA);
    const back = castToSchema(readParquet(writeParquet(table)), SCHEMA);
    expect(collectStats(back, SCHEMA, { partitionColumns: ['p'] })).toBe(collectStats(table, SCHEMA, { partitionColumns: ['p'] }));
  });

  it('limits stats to the first N leaf columns or to statsColumns', () => {
    const table = objectsToArrow(ROWS, SCHEMA);
    const two = JSON.parse(collectStats(table, SCHEMA, { partitionColumns: ['p'], numIndexedCols: 2 }));
    expect(Object.keys(two.nullCount)).toEqual(['l', 'i']);
    const none = JSON.parse(collectStats(table, SCHEMA, { partitionColumns: ['p'], numIndexedCols: 0 }));
    expect(none).toEqual({ numRecords: 3, minValues: {}, maxValues: {}, nullCount: {} });
    const picked = JSON.parse(collectStats(table, SCHEMA, { partitionColumns: ['p'], statsColumns: ['s', 'st.y'] }));
    expect(picked.nullCount).toEqual({ s: 1, st: { y: { z: 2 } } });
    // statsColumns resolve like every column name: case-insensitively
    const cased = JSON.parse(collectStats(table, SCHEMA, { partitionColumns: ['p'], statsColumns: ['S', 'ST.Y'] }));
    expect(cased.nullCount).toEqual({ s: 1, st: { y: { z: 2 } } });
    // Leaves inside structs count individually: l, i, f, d, dec, s, b, bin, dt, ts, ntz, st.x = 12.
    const twelve = JSON.parse(collectStats(table, SCHEMA, { partitionColumns: ['p'], numIndexedCols: 12 }));
    expect(twelve.nullCount.st).toEqual({ x: 2 });
  });

  it('truncates long strings like Delta (min prefix, max prefix + tie-breaker)', () => {
    const long = 'x'.repeat(40);
    const schema = S([F('s', 'string')]);
    const stats = JSON.parse(collectStats(objectsToArrow([{ s: long }, { s: 'a' }], schema), schema, { partitionColumns: [] }));
    expect(stats.minValues.s).toBe('a');
    expect(stats.maxValues.s).toBe('x'.repeat(32) + '\u007f');
    expect(truncateMinString('ab😀c', 3)).toBe('ab😀');
    expect(truncateMaxString('ab\u00e9cd', 2)).toBe('ab' + String.fromCodePoint(0x10ffff));
    expect(truncateMaxString('abc', 5)).toBe('abc');
    const max = truncateMaxString('z'.repeat(33) + 'é', 32)!;
    expect(compareStrings(max, 'z'.repeat(33) + 'é')).toBeGreaterThanOrEqual(0);
    // Code point (UTF-8) order, not UTF-16: U+FFFD sorts below U+1F600.
    expect(compareStrings('\ufffd', '😀')).toBeLessThan(0);
  });

  it('writes NaN, infinities and -0.0 of floats as Spark does (NaN above every number; "NaN", "Infinity" strings)', () => {
    const schema = S([F('d', 'double'), F('f', 'float')]);
    const stats = (rows: Array<number | null>) =>
      collectStats(objectsToArrow(rows.map((x) => ({ d: x, f: x })), schema), schema, { partitionColumns: [] });
    // The texts below are what Spark 4.0.1 / delta-spark 4.0.1 wrote for the same rows (interop, one file each).
    expect(stats([1, NaN, 5])).toBe('{"numRecords":3,"minValues":{"d":1.0,"f":1.0},"maxValues":{"d":"NaN","f":"NaN"},"nullCount":{"d":0,"f":0}}');
    expect(stats([NaN, NaN])).toBe('{"numRecords":2,"minValues":{"d":"NaN","f":"NaN"},"maxValues":{"d":"NaN","f":"NaN"},"nullCount":{"d":0,"f":0}}');
    expect(stats([Infinity, -1])).toBe('{"numRecords":2,"minValues":{"d":-1.0,"f":-1.0},"maxValues":{"d":"Infinity","f":"Infinity"},"nullCount":{"d":0,"f":0}}');
    expect(stats([-Infinity, 2])).toBe('{"numRecords":2,"minValues":{"d":"-Infinity","f":"-Infinity"},"maxValues":{"d":2.0,"f":2.0},"nullCount":{"d":0,"f":0}}');
    expect(stats([-0, 0])).toBe('{"numRecords":2,"minValues":{"d":-0.0,"f":-0.0},"maxValues":{"d":-0.0,"f":-0.0},"nullCount":{"d":0,"f":0}}');
    expect(stats([0, -0])).toBe('{"numRecords":2,"minValues":{"d":0.0,"f":0.0},"maxValues":{"d":0.0,"f":0.0},"nullCount":{"d":0,"f":0}}');
    expect(stats([null, NaN])).toBe('{"numRecords":2,"minValues":{"d":"NaN","f":"NaN"},"maxValues":{"d":"NaN","f":"NaN"},"nullCount":{"d":1,"f":1}}');
    expect(stats([0.1, 1e20])).toBe('{"numRecords":2,"minValues":{"d":0.1,"f":0.1},"maxValues":{"d":1.0E20,"f":1.0E20},"nullCount":{"d":0,"f":0}}');
  });

  it('writes the same float stats on sliced and multi-chunk input (fast and generic paths)', () => {
    const schema = S([F('d', 'double'), F('st', { type: 'struct', fields: [F('x', 'double')] })]);
    const rows = [1, NaN, -0, 7, -Infinity, null, 3].map((x) => ({ d: x, st: { x } }));
    const whole = objectsToArrow(rows, schema);
    const parts = new arrow.Table([...objectsToArrow(rows.slice(0, 3), schema).batches, ...objectsToArrow(rows.slice(3), schema).batches]);
    const sliced = objectsToArrow([{ d: 99, st: { x: 99 } }, ...rows, { d: -99, st: { x: -99 } }], schema).slice(1, 1 + rows.length);
    const expected = '{"numRecords":7,"minValues":{"d":"-Infinity","st":{"x":"-Infinity"}},"maxValues":{"d":"NaN","st":{"x":"NaN"}},"nullCount":{"d":1,"st":{"x":1}}}';
    for (const t of [whole, parts, sliced]) expect(collectStats(t, schema, { partitionColumns: [] })).toBe(expected);
  });

  it('counts a column absent from the data as all null', () => {
    const schema = S([F('a', 'integer'), F('b', 'string')]);
    const table = objectsToArrow([{ a: 1 }], S([F('a', 'integer')]));
    expect(JSON.parse(collectStats(table, schema, { partitionColumns: [] })).nullCount).toEqual({ a: 0, b: 1 });
  });
});

describe('parseStats', () => {
  it('handles absent, malformed and wide-bound stats', () => {
    expect(parseStats(null)).toBeNull();
    expect(parseStats('')).toBeNull();
    expect(() => parseStats('{"numRecords":')).toThrow(ProtocolError);
    const s = parseStats('{"numRecords":2,"tightBounds":false,"minValues":{"a":-9223372036854775808,"b":1.5e3,"c":"x\\"y"}}')!;
    expect(s.tightBounds).toBe(false);
    expect(s.minValues).toEqual({ a: -9223372036854775808n, b: 1500, c: 'x"y' });
    expect(s.maxValues).toEqual({});
    expect(s.nullCount).toEqual({});
  });
});
