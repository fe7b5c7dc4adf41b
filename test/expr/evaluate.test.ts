import * as arrow from 'apache-arrow';
import { describe, expect, it } from 'vitest';
import { InvalidArgumentError } from '../../src/errors.js';
import type { StructType } from '../../src/schema/types.js';
import { evaluateMask, evaluateTruth, filterBatch } from '../../src/expr/index.js';
import { col, dateLit, not, parsePredicate, timestampLit } from '../../src/expr/index.js';

function validity(vals: readonly unknown[]): { nullBitmap: Uint8Array; nullCount: number } {
  const bm = new Uint8Array(Math.ceil(vals.length / 8) + 8);
  let nulls = 0;
  vals.forEach((v, i) => {
    if (v === null) nulls++;
    else bm[i >> 3]! |= 1 << (i & 7);
  });
  return { nullBitmap: bm, nullCount: nulls };
}

function int64(vals: (bigint | null)[]): arrow.Data {
  return arrow.makeData({ type: new arrow.Int64(), length: vals.length, data: BigInt64Array.from(vals, (v) => v ?? 0n), ...validity(vals) });
}
function tsMicros(vals: (bigint | null)[], tz: string | null = 'UTC'): arrow.Data {
  return arrow.makeData({
    type: new arrow.TimestampMicrosecond(tz),
    length: vals.length,
    data: BigInt64Array.from(vals, (v) => v ?? 0n),
    ...validity(vals),
  });
}
function decimal(vals: (bigint | null)[], precision: number, scale: number): arrow.Data {
  const words = new Uint32Array(vals.length * 4);
  vals.forEach((v, i) => {
    const u = BigInt.asUintN(128, v ?? 0n);
    for (let w = 0; w < 4; w++) words[i * 4 + w] = Number((u >> BigInt(32 * w)) & 0xffffffffn);
  });
  return arrow.makeData({ type: new arrow.Decimal(scale, precision, 128), length: vals.length, data: words, ...validity(vals) });
}
function days(vals: (number | null)[]): arrow.Data {
  return arrow.makeData({ type: new arrow.DateDay(), length: vals.length, data: Int32Array.from(vals, (v) => v ?? 0), ...validity(vals) });
}

const schema: StructType = {
  type: 'struct',
  fields: [
    { name: 'id', type: 'long', nullable: true, metadata: {} },
    { name: 'name', type: 'string', nullable: true, metadata: {} },
    { name: 'n', type: 'integer', nullable: true, metadata: {} },
    { name: 'x', type: 'double', nullable: true, metadata: {} },
    { name: 'amt', type: 'decimal(20,2)', nullable: true, metadata: {} },
    { name: 'ts', type: 'timestamp', nullable: true, metadata: {} },
    { name: 'dt', type: 'date', nullable: true, metadata: {} },
    { name: 'flag', type: 'boolean', nullable: true, metadata: {} },
    { name: 'bin', type: 'binary', nullable: true, metadata: {} },
    {
      name: 's',
      type: { type: 'struct', fields: [{ name: 'v', type: 'integer', nullable: true, metadata: {} }] },
      nullable: true,
      metadata: {},
    },
  ],
};

const BIG = 9007199254740993n; // 2^53 + 1: not representable as a double

function makeTable(): arrow.Table {
  const sv = arrow.vectorFromArray([1, 2, null, 4, 5], new arrow.Int32());
  const structData = arrow.makeData({
    type: new arrow.Struct([new arrow.Field('v', new arrow.Int32(), true)]),
    length: 5,
    children: [sv.data[0]!],
    ...validity([1, 1, 1, null, 1]), // row 3: the whole struct is null (child value 4 must read as null)
  });
  const cols: Record<string, arrow.Data> = {
    id: int64([1n, BIG, BIG - 1n, null, -5n]),
    name: arrow.vectorFromArray(['apple', '\u{1F600}smile', '\uFFFDrepl', null, 'Apple'], new arrow.Utf8()).data[0]!,
    n: arrow.vectorFromArray([10, 20, null, 40, 50], new arrow.Int32()).data[0]!,
    x: arrow.vectorFromArray([0.1, 2.5, Number.NaN, null, -1], new arrow.Float64()).data[0]!,
    amt: decimal([12345n, 10n, null, -1n, 99999999999999999n], 20, 2), // 123.45, 0.10, null, -0.01, 999999999999999.99
    ts: tsMicros([1704103200000001n, 1704103200000000n, null, 0n, -1n]),
    dt: days([19723, 19724, null, 0, -1]),
    flag: arrow.vectorFromArray([true, false, null, true, false], new arrow.Bool()).data[0]!,
    bin: arrow.vectorFromArray([new Uint8Array([1, 2]), new Uint8Array([0xff]), null, new Uint8Array([]), new Uint8Array([1])], new arrow.Binary()).data[0]!,
    s: structData,
  };
  const fields = Object.entries(cols).map(([k, d]) => new arrow.Field(k, d.type, true));
  const batch = new arrow.RecordBatch(
    new arrow.Schema(fields),
    arrow.makeData({ type: new arrow.Struct(fields), length: 5, children: Object.values(cols) }),
  );
  return new arrow.Table([batch]);
}

function rows(where: string | Parameters<typeof evaluateMask>[1]): number[] {
  const t = makeTable();
  const e = typeof where === 'string' ? parsePredicate(where) : where;
  const m = evaluateMask(t, e, schema);
  return [...m].flatMap((v, i) => (v ? [i] : []));
}

describe('evaluateMask', () => {
  it('compares longs exactly as bigint (beyond 2^53)', () => {
    expect(rows(`id = ${BIG}`)).toEqual([1]);
    expect(rows(`id < ${BIG}`)).toEqual([0, 2, 4]);
    expect(rows('id >= 1.5')).toEqual([1, 2]);
    expect(rows('id = 1.5')).toEqual([]);
    expect(rows('id != 1.5')).toEqual([0, 1, 2, 4]); // null row dropped
  });

  it('compares decimals exactly and integers against fractional literals', () => {
    expect(rows('amt = 123.45')).toEqual([0]);
    expect(rows('amt = 123.450')).toEqual([0]);
    expect(rows('amt > 0.1')).toEqual([0, 4]);
    expect(rows('amt >= 0.1')).toEqual([0, 1, 4]);
    expect(rows('amt = 999999999999999.99')).toEqual([4]);
    expect(rows('amt < 0')).toEqual([3]);
    expect(rows('amt < 0.005')).toEqual([3]);
    expect(rows('n > 19.5 AND n <= 40')).toEqual([1, 3]);
  });

  it('compares timestamps in microseconds and dates, with promotion', () => {
    expect(rows("ts = TIMESTAMP '2024-01-01 10:00:00.000001'")).toEqual([0]);
    expect(rows("ts > TIMESTAMP '2024-01-01 10:00:00'")).toEqual([0]);
    expect(rows("ts < '1970-01-01'")).toEqual([4]);
    expect(rows(col('ts').gte(new Date('2024-01-01T10:00:00Z')))).toEqual([0, 1]);
    expect(rows("dt = DATE '2024-01-01'")).toEqual([0]);
    expect(rows("dt = '2024-01-02'")).toEqual([1]);
    expect(rows("dt < TIMESTAMP '2024-01-01 10:00:00'")).toEqual([0, 3, 4]); // date promoted to midnight
    expect(rows("dt = TIMESTAMP '2024-01-01 10:00:00'")).toEqual([]);
    expect(rows(col('dt').lt(dateLit('1970-01-01')))).toEqual([4]);
    expect(rows(col('ts').lte(timestampLit(-1n)))).toEqual([4]);
  });

  it('orders strings by code point and compares binary bytewise', () => {
    expect(rows("name > '\uFFFDz'")).toEqual([1]); // U+1F600 > U+FFFD in UTF-8 order (JS '<' says otherwise)
    expect(rows("name < 'a'")).toEqual([4]); // only 'Apple'
    expect(rows("name IN ('apple', 'Apple', 'zzz')")).toEqual([0, 4]);
    expect(rows("bin = X'0102'")).toEqual([0]);
    expect(rows("bin > X'01'")).toEqual([0, 1]);
    expect(rows("bin = ''")).toEqual([3]);
  });

  it('uses SQL three-valued logic', () => {
    expect(rows('n IS NULL')).toEqual([2]);
    expect(rows('NOT n = 10')).toEqual([1, 3, 4]); // NOT(NULL) = NULL -> dropped
    expect(rows('NOT (n = 10 AND id = 1)')).toEqual([1, 2, 3, 4]); // row 2: NULL AND FALSE = FALSE
    expect(rows('n = 10 OR n IS NULL')).toEqual([0, 2]);
    expect(rows('n IN (10, NULL)')).toEqual([0]);
    expect(rows('NOT n IN (10, NULL)')).toEqual([]); // x NOT IN (.., NULL) is never true
    expect(rows('n = NULL')).toEqual([]);
    expect(rows('flag = true')).toEqual([0, 3]);
    expect(rows('NOT flag = true')).toEqual([1, 4]);
    expect(rows('x > 1')).toEqual([1, 2]); // NaN is above all numbers (Spark)
    expect(rows('x = 0.1')).toEqual([0]);
  });

  it('reads nested struct fields with the parent null', () => {
    expect(rows('s.v IS NULL')).toEqual([2, 3]);
    expect(rows('s.v >= 4')).toEqual([4]);
    expect(rows('s.v < id')).toEqual([1]); // int vs long column, 2 < 2^53+1
    expect(rows('n > id')).toEqual([0, 4]);
  });

  it('evaluateTruth exposes NULL as 2; unknown columns throw', () => {
    const t = makeTable();
    expect([...evaluateTruth(t, parsePredicate('n > 15'), schema)]).toEqual([0, 1, 2, 1, 1]);
    expect(() => evaluateMask(t, parsePredicate('nope = 1'), schema)).toThrow(InvalidArgumentError);
    expect(() => evaluateMask(t, parsePredicate("id = 'x'"), schema)).toThrow(/cannot be compared with column 'id'/);
  });
});

describe('filterBatch', () => {
  it('returns only matching rows, across batches', () => {
    const t = makeTable();
    const two = new arrow.Table([...t.batches, ...t.batches]);
    const out = filterBatch(two, not(col('n').lt(30)), schema);
    expect(out.numRows).toBe(4);
    expect(out.getChild('n')!.toArray()).toEqual(Int32Array.from([40, 50, 40, 50]));
    expect(out.getChild('id')!.get(0)).toBe(null);
    expect(out.getChild('id')!.get(1)).toBe(-5n);
    const rb = filterBatch(t.batches[0]!, parsePredicate("name = 'apple'"), schema);
    expect(rb.numRows).toBe(1);
    expect(rb.getChild('amt')!.get(0)!.toString()).toBe('12345');
  });
});
