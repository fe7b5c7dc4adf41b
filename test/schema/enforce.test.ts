import * as arrow from 'apache-arrow';
import { describe, expect, it } from 'vitest';
import { SchemaMismatchError } from '../../src/errors.js';
import { toArrowSchema } from '../../src/schema/arrow.js';
import { castToSchema, conformToSchema } from '../../src/schema/enforce.js';
import { parseSchema } from '../../src/schema/json.js';
import { objectsToArrow } from '../../src/schema/objects.js';
import type { StructType } from '../../src/schema/types.js';
import { readValues, type Value } from '../../src/schema/access/get.js';
import { decimalWordsToBigint } from '../../src/schema/access/view.js';
import { readParquet, writeParquet } from '../../src/storage/parquet.js';
import { ALL_TYPES } from './arrow.test.js';

const S = (fields: unknown[]): StructType => parseSchema(JSON.stringify({ type: 'struct', fields }));
const F = (name: string, type: unknown, nullable = true) => ({ name, type, nullable, metadata: {} });

function rows(t: arrow.Table, schema: StructType): Record<string, Value>[] {
  const cols = schema.fields.map((f) =>
    t.batches.flatMap((b) => readValues(b.getChild(f.name)!.data[0]!, f.type, { loss: 'error', path: f.name })),
  );
  return Array.from({ length: t.numRows }, (_, r) => Object.fromEntries(schema.fields.map((f, k) => [f.name, cols[k]![r]!])));
}

const ALL_ROWS = [
  {
    str: 'héllo',
    lng: 9007199254740993n,
    int: -5,
    sht: 300,
    byt: -128,
    flt: 1.5,
    dbl: 0.1,
    bool: true,
    bin: new Uint8Array([0, 255]),
    dt: '2024-02-29',
    ts: '2024-01-02T03:04:05.123456Z',
    tsntz: '2024-01-02 03:04:05.5',
    dec: '-12345678901234567890123456789012.123456',
    st: { a: 1, b: 'x' },
    arr: [1n, 2n],
    mp: { k: 1.5, z: null },
  },
  { lng: 1, st: null, arr: [], mp: new Map([['only', 2]]) },
  { lng: -1n, st: { a: 2 }, arr: null, mp: [['p', 3]] },
];

describe('objectsToArrow', () => {
  it('builds canonical types and the exact values for every type', () => {
    const t = objectsToArrow(ALL_ROWS, ALL_TYPES);
    expect(t.schema.fields.map((f) => String(f.type))).toEqual(toArrowSchema(ALL_TYPES).fields.map((f) => String(f.type)));
    const r = rows(t, ALL_TYPES);
    expect(r[0]!.lng).toBe(9007199254740993n);
    expect(r[0]!.dt).toBe(19782);
    expect(r[0]!.ts).toBe(1704164645123456n);
    expect(r[0]!.tsntz).toBe(1704164645500000n);
    expect(r[0]!.dec).toBe(-12345678901234567890123456789012123456n);
    expect(r[0]!.mp).toEqual([
      ['k', 1.5],
      ['z', null],
    ]);
    expect(r[1]).toMatchObject({ str: null, lng: 1n, st: null, arr: [], mp: [['only', 2]] });
    expect(r[2]).toMatchObject({ st: { a: 2, b: null }, arr: null, mp: [['p', 3]] });
  });

  it('stores Decimal128 as little-endian two\'s-complement words', () => {
    const schema = S([F('d', 'decimal(10,2)')]);
    const t = objectsToArrow([{ d: '-1.5' }, { d: 12 }, { d: 3n }], schema);
    const words = t.getChild('d')!.data[0]!.values as Uint32Array;
    expect([...words.subarray(0, 4)]).toEqual([0xffffff6a, 0xffffffff, 0xffffffff, 0xffffffff]); // -150
    expect(decimalWordsToBigint(words, 4, 4)).toBe(1200n);
    expect(decimalWordsToBigint(words, 8, 4)).toBe(300n);
  });

  it('rejects bad values naming column path and row', () => {
    const schema = S([F('id', 'long', false), F('s', { type: 'struct', fields: [F('n', 'integer')] })]);
    expect(() => objectsToArrow([{ id: 1 }, { id: 1.5 }], schema)).toThrow(/column 'id' row 1.*not a valid long/);
    expect(() => objectsToArrow([{ id: 1, s: { n: 'x' } }], schema)).toThrow(/column 's\.n' row 0/);
    expect(() => objectsToArrow([{ id: 1 }, {}], schema)).toThrow(/'id' is not nullable but row 1/);
    expect(() => objectsToArrow([{ id: 1, extra: 2 }], schema)).toThrow(/column 'extra' \(row 0\) is not in the table schema/);
    expect(() => objectsToArrow([{ ID: 1 }], schema)).toThrow(/differs only in case from table column 'id'/);
    expect(() => objectsToArrow([{ id: 1, s: { n: 3_000_000_000 } }], schema)).toThrow(/out of range/);
    const dec = S([F('d', 'decimal(4,2)')]);
    expect(() => objectsToArrow([{ d: '1.234' }], dec)).toThrow(/more than 2 fractional digits/);
    expect(() => objectsToArrow([{ d: '123.4' }], dec)).toThrow(/more than 2 integer digits/);
  });

  it('infers extra columns with allowExtra', () => {
    const schema = S([F('id', 'long')]);
    const t = objectsToArrow([{ id: 1, n: 2, x: 1.5, s: 'a', when: new Date(0) }, { id: 2, n: 3 }], schema, { allowExtra: true });
    expect(t.schema.fields.map((f) => `${f.name}:${String(f.type)}`)).toEqual([
      'id:Int64',
      'n:Int64',
      'x:Float64',
      's:Utf8',
      'when:Timestamp<MICROSECOND, UTC>',
    ]);
  });
});

describe('Parquet round trip of every type', () => {
  it('comes back with identical Arrow types and values (after castToSchema)', () => {
    const t = objectsToArrow(ALL_ROWS, ALL_TYPES);
    const back = readParquet(writeParquet(t));
    // parquet-wasm returns the canonical shapes already (list child 'element', micros, Decimal128)...
    expect(back.schema.fields.map((f) => String(f.type))).toEqual(t.schema.fields.map((f) => String(f.type)));
    // ...and castToSchema makes that a guarantee.
    const cast = castToSchema(back, ALL_TYPES);
    expect(cast.schema.fields.map((f) => [f.name, String(f.type), f.nullable])).toEqual(
      toArrowSchema(ALL_TYPES).fields.map((f) => [f.name, String(f.type), f.nullable]),
    );
    expect(rows(cast, ALL_TYPES)).toEqual(rows(t, ALL_TYPES));
  });
});

describe('castToSchema (read path)', () => {
  it('normalizes nanosecond timestamps, dictionary/large strings, 64-bit decimals, list child names; fills missing columns', () => {
    const schema = S([
      F('ts', 'timestamp'),
      F('s', 'string'),
      F('d', 'decimal(10,3)'),
      F('l', { type: 'array', elementType: 'integer', containsNull: true }),
      F('wide', 'long'),
      F('missing', 'string'),
    ]);
    const ts = arrow.makeData({ type: new arrow.TimestampNanosecond(), length: 2, nullCount: 0, data: new BigInt64Array([1_500_000_999n, -1n]) });
    const dict = arrow.vectorFromArray(['a', 'b', 'a'].slice(0, 2), new arrow.Dictionary(new arrow.Utf8(), new arrow.Int32()));
    const dec = arrow.makeData({ type: new arrow.Decimal(2, 9, 64), length: 2, nullCount: 0, data: new Uint32Array([125, 0, 0xffffffff, 0xffffffff]) });
    const list = arrow.vectorFromArray([[1], [2, 3]], new arrow.List(new arrow.Field('item', new arrow.Int32(), true)));
    const wide = arrow.vectorFromArray([1, 2], new arrow.Int16());
    const table = new arrow.Table({
      ts: arrow.makeVector(ts),
      s: dict,
      d: arrow.makeVector(dec),
      l: list,
      wide,
      extra: arrow.vectorFromArray([true, false]),
    });
    const out = castToSchema(table, schema);
    expect(out.schema.fields.map((f) => f.name)).toEqual(['ts', 's', 'd', 'l', 'wide', 'missing']);
    expect(String(out.schema.fields[0]!.type)).toBe('Timestamp<MICROSECOND, UTC>');
    expect(rows(out, schema)).toEqual([
      { ts: 1_500_000n, s: 'a', d: 1250n, l: [1], wide: 1n, missing: null },
      { ts: -1n, s: 'b', d: -10n, l: [2, 3], wide: 2n, missing: null },
    ]);
  });

  it('reads column-mapped physical names into logical names, nested too', () => {
    const schema = S([
      { name: 'a', type: { type: 'struct', fields: [{ name: 'b', type: 'integer', nullable: true, metadata: { 'delta.columnMapping.physicalName': 'col-2' } }] }, nullable: true, metadata: { 'delta.columnMapping.physicalName': 'col-1' } },
    ]);
    const data = objectsToArrow([{ 'col-1': { 'col-2': 7 } }], S([F('col-1', { type: 'struct', fields: [F('col-2', 'integer')] })]));
    const out = castToSchema(data, schema, { physicalNames: true });
    expect(rows(out, schema)).toEqual([{ a: { b: 7 } }]);
  });
});

describe('conformToSchema (write path)', () => {
  const table = S([F('id', 'long', false), F('name', 'string'), F('score', 'double')]);

  it('casts safe widenings, reorders columns, fills missing nullable columns', () => {
    const data = new arrow.Table({
      score: arrow.vectorFromArray([1.5, 2.5], new arrow.Float32()),
      id: arrow.vectorFromArray([1, 2], new arrow.Int32()),
    });
    const r = conformToSchema(data, table);
    expect(r.schemaChanged).toBe(false);
    expect(r.table.schema.fields.map((f) => `${f.name}:${String(f.type)}`)).toEqual(['id:Int64', 'name:Utf8', 'score:Float64']);
    expect(rows(r.table, table)).toEqual([
      { id: 1n, name: null, score: 1.5 },
      { id: 2n, name: null, score: 2.5 },
    ]);
  });

  it('rejects narrowing, wrong types, extra columns, case-only differences, missing non-nullable columns', () => {
    const long = new arrow.Table({ id: arrow.vectorFromArray([1n], new arrow.Int64()) });
    expect(() => conformToSchema(long, S([F('id', 'integer')]))).toThrow(/column 'id' has type long but the table column is integer/);
    const str = new arrow.Table({ id: arrow.vectorFromArray(['1']) });
    expect(() => conformToSchema(str, table)).toThrow(SchemaMismatchError);
    expect(() => conformToSchema(str, table)).toThrow(/'id' has type string .*long/);
    const extra = new arrow.Table({ id: arrow.vectorFromArray([1n]), zzz: arrow.vectorFromArray([1]) });
    expect(() => conformToSchema(extra, table)).toThrow(/column 'zzz' is not in the table schema/);
    const cased = new arrow.Table({ id: arrow.vectorFromArray([1n]), NAME: arrow.vectorFromArray(['x']) });
    expect(() => conformToSchema(cased, table)).toThrow(/'NAME' differs only in case from table column 'name'/);
    const noId = new arrow.Table({ name: arrow.vectorFromArray(['x']) });
    expect(() => conformToSchema(noId, table)).toThrow(/column 'id' is not nullable but is missing/);
    const dbl = new arrow.Table({ id: arrow.vectorFromArray([1n]), score: arrow.vectorFromArray([1], new arrow.Float64()) });
    expect(() => conformToSchema(dbl, S([F('id', 'long'), F('score', 'float')]))).toThrow(/'score' has type double .*float/);
  });

  it('names the first row holding a null in a non-nullable column, also nested', () => {
    const data = new arrow.Table({ id: arrow.vectorFromArray([1n, null, 3n], new arrow.Int64()) });
    expect(() => conformToSchema(data, table)).toThrow(/column 'id' is not nullable but row 1 is null/);
    const nested = S([F('s', { type: 'struct', fields: [F('x', 'integer', false)] }), F('a', { type: 'array', elementType: 'integer', containsNull: false })]);
    const loose = S([F('s', { type: 'struct', fields: [F('x', 'integer')] }), F('a', { type: 'array', elementType: 'integer', containsNull: true })]);
    const d1 = objectsToArrow([{ s: { x: 1 } }, { s: null }, { s: { x: null } }], loose);
    expect(() => conformToSchema(d1, nested)).toThrow(/column 's\.x' is not nullable but row 2/);
    const d2 = objectsToArrow([{ a: [1] }, { a: [2, null] }], loose);
    expect(() => conformToSchema(d2, nested)).toThrow(/column 'a\.element' is not nullable but row 1/);
  });

  it('rejects sub-microsecond timestamps on write but accepts exact nanoseconds', () => {
    const mk = (v: bigint) =>
      new arrow.Table({ t: arrow.makeVector(arrow.makeData({ type: new arrow.TimestampNanosecond('UTC'), length: 1, nullCount: 0, data: new BigInt64Array([v]) })) });
    const s = S([F('t', 'timestamp')]);
    expect(rows(conformToSchema(mk(5000n), s).table, s)).toEqual([{ t: 5n }]);
    expect(() => conformToSchema(mk(5001n), s)).toThrow(/row 0 has sub-microsecond precision/);
  });

  it('merges new columns (top-level and nested) as nullable with schemaMode merge', () => {
    const t = S([F('id', 'long', false), F('s', { type: 'struct', fields: [F('a', 'integer')] })]);
    const data = objectsToArrow(
      [{ id: 1n, s: { a: 1, b: 'new' }, extra: true }],
      S([F('id', 'long', false), F('s', { type: 'struct', fields: [F('a', 'integer'), F('b', 'string', false)] }), F('extra', 'boolean', false)]),
    );
    expect(() => conformToSchema(data, t)).toThrow(/column 's\.b' is not in the table schema/);
    const r = conformToSchema(data, t, { schemaMode: 'merge' });
    expect(r.schemaChanged).toBe(true);
    expect(r.schema).toEqual(S([F('id', 'long', false), F('s', { type: 'struct', fields: [F('a', 'integer'), F('b', 'string')] }), F('extra', 'boolean')]));
    expect(rows(r.table, r.schema)).toEqual([{ id: 1n, s: { a: 1, b: 'new' }, extra: true }]);
  });

  it('replaces the schema with schemaMode overwrite', () => {
    const data = new arrow.Table({ x: arrow.vectorFromArray(['a'], new arrow.LargeUtf8()) });
    const r = conformToSchema(data, table, { schemaMode: 'overwrite' });
    expect(r.schemaChanged).toBe(true);
    expect(r.schema.fields.map((f) => [f.name, f.type])).toEqual([['x', 'string']]);
    expect(String(r.table.schema.fields[0]!.type)).toBe('Utf8');
  });

  it('keeps row indexes across batches in errors', () => {
    const b1 = objectsToArrow([{ id: 1n }, { id: 2n }], S([F('id', 'long')]));
    const b2 = objectsToArrow([{ id: 3n }, { id: null }], S([F('id', 'long')]));
    const data = new arrow.Table([...b1.batches, ...b2.batches]);
    expect(() => conformToSchema(data, table)).toThrow(/row 3 is null/);
  });
});
