import * as arrow from 'apache-arrow';
import { describe, expect, it } from 'vitest';
import {
  canonicalLines,
  canonicalLinesFromJson,
  formatDecimal,
  formatTimestamp,
  rowsSha256,
  shortestFloat32,
} from '../../conformance/canonical.js';
import { parseSchema } from '../../src/schema/json.js';
import type { StructType } from '../../src/schema/types.js';

const schemaOf = (fields: Array<[string, unknown]>): StructType =>
  parseSchema(
    JSON.stringify({ type: 'struct', fields: fields.map(([name, type]) => ({ name, type, nullable: true, metadata: {} })) }),
  );

function validity(valid: boolean[]): Uint8Array {
  const b = new Uint8Array(Math.ceil(valid.length / 8) || 1);
  valid.forEach((v, i) => {
    if (v) b[i >> 3]! |= 1 << (i & 7);
  });
  return b;
}

function decimalData(values: Array<bigint | null>, precision: number, scale: number): arrow.Data {
  const words = new Uint32Array(values.length * 4);
  values.forEach((v, i) => {
    let x = BigInt.asUintN(128, v ?? 0n);
    for (let w = 0; w < 4; w++) {
      words[i * 4 + w] = Number(x & 0xffffffffn);
      x >>= 32n;
    }
  });
  return arrow.makeData({
    type: new arrow.Decimal(scale, precision, 128),
    length: values.length,
    nullCount: values.filter((v) => v === null).length,
    nullBitmap: validity(values.map((v) => v !== null)),
    data: words,
  });
}

function tsData(values: Array<bigint | null>, tz: string | null): arrow.Data {
  return arrow.makeData({
    type: new arrow.TimestampMicrosecond(tz),
    length: values.length,
    nullCount: values.filter((v) => v === null).length,
    nullBitmap: validity(values.map((v) => v !== null)),
    data: new BigInt64Array(values.map((v) => v ?? 0n)),
  });
}

function tableOf(cols: Record<string, arrow.Data>): arrow.Table {
  return new arrow.Table(Object.fromEntries(Object.entries(cols).map(([k, d]) => [k, arrow.makeVector(d)])));
}

describe('canonical values', () => {
  it('float32 is reduced to its shortest round-trip decimal', () => {
    expect(shortestFloat32(Math.fround(0.1))).toBe(0.1);
    expect(shortestFloat32(Math.fround(36.504))).toBe(36.504);
    expect(shortestFloat32(Math.fround(3.4))).toBe(3.4);
    expect(shortestFloat32(Math.fround(1e-45))).toBe(1e-45);
    expect(shortestFloat32(Math.fround(3.4028234663852886e38))).toBe(3.4028235e38);
    expect(shortestFloat32(Math.fround(16777216))).toBe(16777216);
    expect(shortestFloat32(-Math.fround(2.5))).toBe(-2.5);
    // every float32 text must round-trip and be no longer than the double text
    for (const x of [1.1, 123456.789, 0.3, 7e-10, 9.999999e20, 0.000123]) {
      const f = Math.fround(x);
      const s = shortestFloat32(f);
      expect(Math.fround(s)).toBe(f);
      expect(String(s).length).toBeLessThanOrEqual(String(f).length);
    }
  });

  it('decimals keep exactly s fractional digits, exactly (beyond 2^53)', () => {
    expect(formatDecimal(120n, 2, 2)).toBe('1.20');
    expect(formatDecimal(-31661n, 12, 12)).toBe('-0.000000031661');
    expect(formatDecimal(5n, 0, 0)).toBe('5');
    expect(formatDecimal(12345678901234567890123456789012345678n, 0, 0)).toBe('12345678901234567890123456789012345678');
    expect(formatDecimal(-99999999999999999999999999999999999999n, 38, 38)).toBe(
      '-0.99999999999999999999999999999999999999',
    );
    expect(formatDecimal(12n, 1, 3)).toBe('1.200');
    expect(() => formatDecimal(123n, 3, 1)).toThrow(/scale/);
  });

  it('timestamps have 6 fractional digits; pre-1970 and year 9999 format correctly', () => {
    expect(formatTimestamp(0n)).toBe('1970-01-01T00:00:00.000000');
    expect(formatTimestamp(-1n)).toBe('1969-12-31T23:59:59.999999');
    expect(formatTimestamp(253402214400000000n)).toBe('9999-12-31T00:00:00.000000');
    expect(formatTimestamp(1631099471000000n)).toBe('2021-09-08T11:11:11.000000');
  });
});

describe('canonicalLines', () => {
  it('converts every primitive Delta type from raw Arrow values and sorts rows', () => {
    const schema = schemaOf([
      ['i', 'integer'],
      ['l', 'long'],
      ['b', 'byte'],
      ['s', 'short'],
      ['bo', 'boolean'],
      ['f', 'float'],
      ['d', 'double'],
      ['str', 'string'],
      ['bin', 'binary'],
      ['dec', 'decimal(38,2)'],
      ['dt', 'date'],
      ['ts', 'timestamp'],
      ['ntz', 'timestamp_ntz'],
    ]);
    const big = 9007199254740993n; // 2^53 + 1: not representable as a JS number
    const table = tableOf({
      i: arrow.vectorFromArray([2, -1, null], new arrow.Int32()).data[0]!,
      l: arrow.vectorFromArray([big, -5n, null], new arrow.Int64()).data[0]!,
      b: arrow.vectorFromArray([1, -128, null], new arrow.Int8()).data[0]!,
      s: arrow.vectorFromArray([300, 2, null], new arrow.Int16()).data[0]!,
      bo: arrow.vectorFromArray([true, false, null], new arrow.Bool()).data[0]!,
      f: arrow.vectorFromArray([0.1, NaN, null], new arrow.Float32()).data[0]!,
      d: arrow.vectorFromArray([0.1, -Infinity, null], new arrow.Float64()).data[0]!,
      str: arrow.vectorFromArray(['é"x', 'a', null], new arrow.Utf8()).data[0]!,
      bin: arrow.vectorFromArray([new Uint8Array([0, 255, 16]), new Uint8Array([]), null], new arrow.Binary()).data[0]!,
      dec: decimalData([123456789012345678901234567890123456n, -1n, null], 38, 2),
      dt: arrow.makeData({ type: new arrow.DateDay(), length: 3, nullCount: 1, nullBitmap: validity([true, true, false]), data: new Int32Array([-1, 18878, 0]) }),
      ts: tsData([1631099471123456n, -1n, null], 'UTC'),
      ntz: tsData([0n, 253402300799999999n, null], null),
    });
    const lines = canonicalLines(table, schema);
    expect(lines).toEqual([
      '{"i":-1,"l":"-5","b":-128,"s":2,"bo":false,"f":"NaN","d":"-Infinity","str":"a","bin":"","dec":"-0.01","dt":"2021-09-08","ts":"1969-12-31T23:59:59.999999Z","ntz":"9999-12-31T23:59:59.999999"}',
      '{"i":2,"l":"9007199254740993","b":1,"s":300,"bo":true,"f":0.1,"d":0.1,"str":"é\\"x","bin":"00ff10","dec":"1234567890123456789012345678901234.56","dt":"1969-12-31","ts":"2021-09-08T11:11:11.123456Z","ntz":"1970-01-01T00:00:00.000000"}',
      '{"i":null,"l":null,"b":null,"s":null,"bo":null,"f":null,"d":null,"str":null,"bin":null,"dec":null,"dt":null,"ts":null,"ntz":null}',
    ]);
  });

  it('walks structs (schema order, not Arrow order), arrays and maps with sorted keys', () => {
    const schema = schemaOf([
      ['st', { type: 'struct', fields: [{ name: 'z', type: 'long', nullable: true, metadata: {} }, { name: 'a', type: 'string', nullable: true, metadata: {} }] }],
      ['arr', { type: 'array', elementType: 'integer', containsNull: true }],
      ['m', { type: 'map', keyType: 'integer', valueType: 'string', valueContainsNull: true }],
      ['ms', { type: 'map', keyType: 'string', valueType: 'long', valueContainsNull: true }],
    ]);
    // Arrow struct children in the opposite order of the Delta schema.
    const st = arrow.vectorFromArray(
      [{ a: 'x', z: 1n }, null],
      new arrow.Struct([new arrow.Field('a', new arrow.Utf8()), new arrow.Field('z', new arrow.Int64())]),
    );
    const arr = arrow.vectorFromArray([[3, null, 1], null], new arrow.List(new arrow.Field('element', new arrow.Int32())));
    const entries = (k: arrow.DataType, v: arrow.DataType) =>
      new arrow.Map_(new arrow.Field('entries', new arrow.Struct<{ key: arrow.DataType; value: arrow.DataType }>([new arrow.Field('key', k, false), new arrow.Field('value', v)])));
    const m = arrow.vectorFromArray(
      [new Map([[10, 'ten'], [9, 'nine'], [-1, null]]), new Map<number, string>()],
      entries(new arrow.Int32(), new arrow.Utf8()),
    );
    const ms = arrow.vectorFromArray(
      [new Map([['b', 1n], ['a', 2n], ['B', 3n]]), null],
      entries(new arrow.Utf8(), new arrow.Int64()),
    );
    const table = tableOf({ st: st.data[0]!, arr: arr.data[0]!, m: m.data[0]!, ms: ms.data[0]! });
    expect(canonicalLines(table, schema)).toEqual([
      '{"st":null,"arr":null,"m":[],"ms":null}',
      '{"st":{"z":"1","a":"x"},"arr":[3,null,1],"m":[[-1,null],[9,"nine"],[10,"ten"]],"ms":[["B","3"],["a","2"],["b","1"]]}',
    ]);
  });

  it('reads sliced and multi-batch tables at the right offsets', () => {
    const schema = schemaOf([['l', 'long'], ['ts', 'timestamp']]);
    const full = tableOf({ l: arrow.vectorFromArray([1n, 2n, 3n, 4n], new arrow.Int64()).data[0]!, ts: tsData([10n, 20n, 30n, 40n], 'UTC') });
    const sliced = full.slice(1, 3);
    expect(canonicalLines(sliced, schema)).toEqual([
      '{"l":"2","ts":"1970-01-01T00:00:00.000020Z"}',
      '{"l":"3","ts":"1970-01-01T00:00:00.000030Z"}',
    ]);
    const two = new arrow.Table([...full.slice(0, 1).batches, ...full.slice(3).batches]);
    expect(canonicalLines(two, schema)).toEqual([
      '{"l":"1","ts":"1970-01-01T00:00:00.000010Z"}',
      '{"l":"4","ts":"1970-01-01T00:00:00.000040Z"}',
    ]);
  });

  it('reads dictionary-encoded columns by value', () => {
    const schema = schemaOf([['s', 'string']]);
    const dict = arrow.vectorFromArray(['b', null, 'a', 'b'], new arrow.Dictionary(new arrow.Utf8(), new arrow.Int32()));
    expect(canonicalLines(tableOf({ s: dict.data[0]! }), schema)).toEqual(['{"s":"a"}', '{"s":"b"}', '{"s":"b"}', '{"s":null}']);
  });

  it('is loud about a missing or extra column and an impossible Arrow type', () => {
    const schema = schemaOf([['a', 'integer']]);
    expect(() => canonicalLines(tableOf({ b: arrow.vectorFromArray([1], new arrow.Int32()).data[0]! }), schema)).toThrow(
      /not in the table schema: b/,
    );
    expect(() => canonicalLines(new arrow.Table({}), schema)).toThrow(/lacks column 'a'/);
    expect(() => canonicalLines(tableOf({ a: arrow.vectorFromArray(['x'], new arrow.Utf8()).data[0]! }), schema)).toThrow(
      /Delta type integer cannot be read from Arrow type Utf8/,
    );
  });

  it('expected JSON rows get schema key order (integer-like keys too) and the same text', () => {
    const schema = schemaOf([['b', 'integer'], ['1', 'string'], ['s', { type: 'struct', fields: [{ name: 'y', type: 'double', nullable: true, metadata: {} }, { name: 'x', type: 'double', nullable: true, metadata: {} }] }]]);
    const rows = JSON.parse('[{"b":2,"1":"x","s":{"y":1.5,"x":null}},{"b":1,"1":null,"s":null}]') as unknown[];
    const lines = canonicalLinesFromJson(rows, schema);
    expect(lines).toEqual(['{"b":1,"1":null,"s":null}', '{"b":2,"1":"x","s":{"y":1.5,"x":null}}']);
    expect(rowsSha256(lines)).toMatch(/^[0-9a-f]{64}$/);
    expect(rowsSha256(['a', 'b'])).toBe('7e18f737311b2dc3b2f269dd78396b0351f14fb66efa879f768cb23181883c78');
  });
});
