// End-to-end tests of the core table API on local disk: types, partitions, time travel, schema enforcement.
import { afterAll, describe, expect, it } from 'vitest';
import { existsSync, readdirSync, readFileSync, utimesSync } from 'node:fs';
import { join } from 'node:path';
import { tableFromArrays } from 'apache-arrow';
import {
  DeltaTable,
  SchemaMismatchError,
  TableExistsError,
  TableNotFoundError,
  VersionNotFoundError,
  col,
  type StructType,
} from '../../src/index.js';
import { cleanupTempDirs, tempDir } from '../helpers/tmp.js';

afterAll(cleanupTempDirs);

const allTypes: StructType = {
  type: 'struct',
  fields: [
    { name: 's', type: 'string', nullable: true, metadata: {} },
    { name: 'l', type: 'long', nullable: true, metadata: {} },
    { name: 'i', type: 'integer', nullable: true, metadata: {} },
    { name: 'sh', type: 'short', nullable: true, metadata: {} },
    { name: 'b', type: 'byte', nullable: true, metadata: {} },
    { name: 'f', type: 'float', nullable: true, metadata: {} },
    { name: 'd', type: 'double', nullable: true, metadata: {} },
    { name: 'dec', type: 'decimal(38,10)', nullable: true, metadata: {} },
    { name: 'dsmall', type: 'decimal(5,2)', nullable: true, metadata: {} },
    { name: 'bool', type: 'boolean', nullable: true, metadata: {} },
    { name: 'bin', type: 'binary', nullable: true, metadata: {} },
    { name: 'dt', type: 'date', nullable: true, metadata: {} },
    { name: 'ts', type: 'timestamp', nullable: true, metadata: {} },
    { name: 'ntz', type: 'timestamp_ntz', nullable: true, metadata: {} },
    {
      name: 'st',
      type: {
        type: 'struct',
        fields: [
          { name: 'x', type: 'integer', nullable: true, metadata: {} },
          { name: 'y', type: { type: 'array', elementType: 'string', containsNull: true }, nullable: true, metadata: {} },
        ],
      },
      nullable: true,
      metadata: {},
    },
    { name: 'arr', type: { type: 'array', elementType: 'long', containsNull: true }, nullable: true, metadata: {} },
    {
      name: 'm',
      type: { type: 'map', keyType: 'string', valueType: 'double', valueContainsNull: true },
      nullable: true,
      metadata: {},
    },
  ],
};

describe('DeltaTable core', () => {
  it('round-trips every type, nested types and nulls', async () => {
    const dir = tempDir();
    const t = await DeltaTable.create(dir, { schema: allTypes });
    const rows = [
      {
        s: 'héllo ☃', l: 9007199254740993n, i: -2147483648, sh: 32767, b: -128, f: 1.5, d: -0.1,
        dec: '12345678901234567890.0123456789', dsmall: '-123.45', bool: true, bin: new Uint8Array([0, 255, 7]),
        dt: '2024-02-29', ts: new Date('2024-01-02T03:04:05.678Z'), ntz: '2024-01-02T03:04:05.123456',
        st: { x: 1, y: ['a', null] }, arr: [1n, null, 3n], m: new Map([['k', 1.25], ['n', null]]),
      },
      {
        s: null, l: null, i: null, sh: null, b: null, f: null, d: null, dec: null, dsmall: null, bool: null, bin: null,
        dt: null, ts: null, ntz: null, st: null, arr: null, m: null,
      },
      { s: '', l: -1n, i: 0, sh: 0, b: 0, f: -0, d: Number.NaN, dec: '0', dsmall: '0.01', bool: false, bin: new Uint8Array(),
        dt: '1969-12-31', ts: new Date('1960-06-01T00:00:00Z'), ntz: '1900-01-01T00:00:00', st: { x: null, y: [] }, arr: [], m: new Map() },
    ];
    const res = await t.append(rows);
    expect(res.version).toBe(1);
    const back = await (await DeltaTable.open(dir)).scan().toArray();
    expect(back).toHaveLength(3);
    const [r0, r1, r2] = back as Array<Record<string, unknown>>;
    expect(r0.s).toBe('héllo ☃');
    expect(r0.l).toBe(9007199254740993n);
    expect(r0.i).toBe(-2147483648);
    expect(r0.sh).toBe(32767);
    expect(r0.b).toBe(-128);
    expect(r0.f).toBe(1.5);
    expect(r0.d).toBe(-0.1);
    expect(r0.dec).toBe('12345678901234567890.0123456789');
    expect(r0.dsmall).toBe('-123.45');
    expect(r0.bool).toBe(true);
    expect(Array.from(r0.bin as Uint8Array)).toEqual([0, 255, 7]);
    expect((r0.dt as Date).toISOString()).toBe('2024-02-29T00:00:00.000Z');
    expect((r0.ts as Date).toISOString()).toBe('2024-01-02T03:04:05.678Z');
    expect((r0.ntz as Date).toISOString()).toBe('2024-01-02T03:04:05.123Z');
    expect(r0.st).toEqual({ x: 1, y: ['a', null] });
    expect(r0.arr).toEqual([1n, null, 3n]);
    expect(r0.m).toEqual(new Map([['k', 1.25], ['n', null]]));
    expect(Object.values(r1).every((v) => v === null)).toBe(true);
    expect(r2.s).toBe('');
    expect(Number.isNaN(r2.d)).toBe(true);
    expect((r2.dt as Date).toISOString()).toBe('1969-12-31T00:00:00.000Z');
    expect((r2.ts as Date).toISOString()).toBe('1960-06-01T00:00:00.000Z');
    expect(r2.st).toEqual({ x: null, y: [] });
    expect(r2.arr).toEqual([]);
    // The stored schema is exactly what we created.
    expect(JSON.parse((await DeltaTable.open(dir)).metadata.schemaString)).toEqual(allTypes);
  });

  it('writes hive-style partition folders with escaped values and null, and reads them back typed', async () => {
    const dir = tempDir();
    const schema: StructType = {
      type: 'struct',
      fields: [
        { name: 'id', type: 'long', nullable: false, metadata: {} },
        { name: 'p', type: 'string', nullable: true, metadata: {} },
        { name: 'n', type: 'integer', nullable: true, metadata: {} },
      ],
    };
    const t = await DeltaTable.create(dir, { schema, partitionBy: ['p', 'n'] });
    const values = ['a b', 'x/y', 'k=v', '100%', 'ünï☃', null, ''];
    await t.append(values.map((p, i) => ({ id: BigInt(i), p, n: i % 2 ? null : i })));
    const files = t.files();
    expect(files).toHaveLength(values.length);
    for (const f of files) {
      // Each file lives in its partition folder on disk (add.path is URI-encoded).
      expect(existsSync(join(dir, decodeURIComponent(f.path)))).toBe(true);
      expect(decodeURIComponent(f.path).split('/')).toHaveLength(3);
    }
    const dirs = readdirSync(dir).filter((d) => d.startsWith('p='));
    expect(dirs).toContain('p=a b');
    expect(dirs).toContain('p=x%2Fy');
    expect(dirs).toContain('p=k%3Dv');
    expect(dirs).toContain('p=100%25');
    expect(dirs).toContain('p=ünï☃');
    expect(dirs).toContain('p=__HIVE_DEFAULT_PARTITION__');
    const back = await (await DeltaTable.open(dir)).scan().toArray();
    const byId = new Map(back.map((r) => [r.id as bigint, r]));
    values.forEach((p, i) => {
      // Delta has no empty-string partition value: '' is stored as null.
      expect(byId.get(BigInt(i))?.p).toBe(p === '' ? null : p);
      expect(byId.get(BigInt(i))?.n).toBe(i % 2 ? null : i);
    });
    // Partition pruning: only the one file is read for p = 'x/y'.
    const scan = (await DeltaTable.open(dir)).scan({ filter: col('p').eq('x/y') });
    expect(scan.files()).toHaveLength(1);
    expect((await scan.toArray()).map((r) => r.id)).toEqual([1n]);
    expect((await t.scan({ filter: col('p').isNull() }).toArray()).map((r) => r.id).sort()).toEqual([5n, 6n]);
  });

  it('time travels by version and by timestamp, and keeps history', async () => {
    const dir = tempDir();
    const schema: StructType = { type: 'struct', fields: [{ name: 'v', type: 'integer', nullable: true, metadata: {} }] };
    const t = await DeltaTable.create(dir, { schema });
    await t.append([{ v: 1 }]);
    await t.append([{ v: 2 }]);
    await t.overwrite([{ v: 3 }]);
    expect(t.version).toBe(3);
    // Give the commits distinct, known times.
    const base = Date.parse('2024-05-01T00:00:00Z');
    for (let v = 0; v <= 3; v++) {
      const f = join(dir, '_delta_log', `${String(v).padStart(20, '0')}.json`);
      utimesSync(f, new Date(base + v * 60_000), new Date(base + v * 60_000));
    }
    const vals = async (o: { version?: number; timestamp?: string | Date }) =>
      (await (await DeltaTable.open(dir, o)).scan().toArray()).map((r) => r.v).sort();
    expect(await vals({ version: 0 })).toEqual([]);
    expect(await vals({ version: 1 })).toEqual([1]);
    expect(await vals({ version: 2 })).toEqual([1, 2]);
    expect(await vals({ version: 3 })).toEqual([3]);
    expect(await vals({ timestamp: new Date(base + 90_000) })).toEqual([1]);
    expect(await vals({ timestamp: '2024-05-01T00:02:30Z' })).toEqual([1, 2]);
    expect(await vals({ timestamp: '2030-01-01T00:00:00Z' })).toEqual([3]);
    await expect(DeltaTable.open(dir, { timestamp: '2020-01-01T00:00:00Z' })).rejects.toThrow(VersionNotFoundError);
    await expect(DeltaTable.open(dir, { version: 9 })).rejects.toThrow(VersionNotFoundError);
    const h = await t.history();
    expect(h.map((e) => e.version)).toEqual([3, 2, 1, 0]);
    expect(h.map((e) => e.operation)).toEqual(['WRITE', 'WRITE', 'WRITE', 'CREATE TABLE']);
    expect(h[0].operationParameters).toMatchObject({ mode: 'Overwrite' });
    expect(h[0].engineInfo).toMatch(/^deltats\//);
    expect((await t.history(2)).map((e) => e.version)).toEqual([3, 2]);
  });

  it('overwrites with replaceWhere: only matching rows are replaced', async () => {
    const dir = tempDir();
    const schema: StructType = {
      type: 'struct',
      fields: [
        { name: 'day', type: 'date', nullable: true, metadata: {} },
        { name: 'k', type: 'string', nullable: true, metadata: {} },
        { name: 'v', type: 'long', nullable: true, metadata: {} },
      ],
    };
    const t = await DeltaTable.create(dir, { schema, partitionBy: ['day'] });
    await t.append([
      { day: '2024-01-01', k: 'a', v: 1n },
      { day: '2024-01-02', k: 'b', v: 2n },
      { day: '2024-01-02', k: 'c', v: 3n },
    ]);
    await t.overwrite([{ day: '2024-01-02', k: 'z', v: 9n }], { replaceWhere: "day = DATE '2024-01-02'" });
    const rows = (await t.scan().toArray()).map((r) => `${r.k}${r.v}`).sort();
    expect(rows).toEqual(['a1', 'z9']);
    // A data-column predicate rewrites the untouched rows of the files it hits.
    await t.append([{ day: '2024-01-03', k: 'd', v: 4n }, { day: '2024-01-03', k: 'e', v: 5n }]);
    await t.overwrite([{ day: '2024-01-03', k: 'd', v: 40n }], { replaceWhere: "k = 'd'" });
    expect((await t.scan().toArray()).map((r) => `${r.k}${r.v}`).sort()).toEqual(['a1', 'd40', 'e5', 'z9']);
    // Rows that do not match the predicate are refused; nothing is written.
    const before = t.version;
    await expect(t.overwrite([{ day: '2024-01-05', k: 'q', v: 0n }], { replaceWhere: "day = DATE '2024-01-02'" })).rejects.toThrow(
      /does not match replaceWhere/,
    );
    expect((await DeltaTable.open(dir)).version).toBe(before);
  });

  it('refuses every schema violation and leaves the table unchanged', async () => {
    const dir = tempDir();
    const schema: StructType = {
      type: 'struct',
      fields: [
        { name: 'id', type: 'integer', nullable: false, metadata: {} },
        { name: 'name', type: 'string', nullable: true, metadata: {} },
      ],
    };
    const t = await DeltaTable.create(dir, { schema });
    await t.append([{ id: 1, name: 'a' }]);
    const snapshotFiles = () => readdirSync(dir).filter((f) => f.endsWith('.parquet')).sort();
    const filesBefore = snapshotFiles();
    const cases: Array<[string, unknown, RegExp]> = [
      ['missing non-nullable column', tableFromArrays({ name: ['x'] }), /id/],
      ['extra column', [{ id: 2, name: 'b', extra: 1 }], /extra/],
      ['narrowing type (long into integer)', tableFromArrays({ id: BigInt64Array.from([2n]), name: ['b'] }), /id/],
      ['string into integer', [{ id: 'two', name: 'b' }], /id/],
      ['null in non-nullable column', [{ id: 3, name: 'c' }, { id: null, name: 'd' }], /id.*row 1|row 1.*id/],
    ];
    for (const [what, data, re] of cases) {
      const err = await t.append(data as never).then(
        () => null,
        (e: unknown) => e,
      );
      expect(err, what).toBeInstanceOf(SchemaMismatchError);
      expect((err as Error).message, what).toMatch(re);
    }
    const reopened = await DeltaTable.open(dir);
    expect(reopened.version).toBe(1);
    expect(await reopened.scan().toArray()).toEqual([{ id: 1, name: 'a' }]);
    expect(snapshotFiles()).toEqual(filesBefore);
    // Widening is allowed: short data into an integer column.
    await t.append(tableFromArrays({ id: Int16Array.from([5]), name: ['e'] }));
    expect((await t.scan().toArray()).map((r) => r.id).sort()).toEqual([1, 5]);
  });

  it('evolves the schema with schemaMode merge and replaces it with overwrite', async () => {
    const dir = tempDir();
    const schema: StructType = { type: 'struct', fields: [{ name: 'a', type: 'long', nullable: true, metadata: {} }] };
    const t = await DeltaTable.create(dir, { schema });
    await t.append([{ a: 1n }]);
    await t.append([{ a: 2n, b: 'new' }], { schemaMode: 'merge' });
    expect(t.schema.fields.map((f) => f.name)).toEqual(['a', 'b']);
    const rows = (await t.scan().toArray()).sort((x, y) => Number((x.a as bigint) - (y.a as bigint)));
    expect(rows).toEqual([{ a: 1n, b: null }, { a: 2n, b: 'new' }]);
    await t.overwrite([{ z: true }], { schemaMode: 'overwrite' });
    expect(t.schema.fields.map((f) => f.name)).toEqual(['z']);
    expect(await t.scan().toArray()).toEqual([{ z: true }]);
  });

  it('gives clear errors for a missing table, a second create, and a malformed commit', async () => {
    const dir = tempDir();
    await expect(DeltaTable.open(dir)).rejects.toThrow(TableNotFoundError);
    const schema: StructType = { type: 'struct', fields: [{ name: 'a', type: 'long', nullable: true, metadata: {} }] };
    await DeltaTable.create(dir, { schema });
    await expect(DeltaTable.create(dir, { schema })).rejects.toThrow(TableExistsError);
    const f = join(dir, '_delta_log', '00000000000000000001.json');
    const { writeFileSync } = await import('node:fs');
    writeFileSync(f, '{"commitInfo":{}}\n{"add": {"path": "x.parquet", \n');
    await expect(DeltaTable.open(dir)).rejects.toThrow(/00000000000000000001\.json.*line 2/);
    expect(readFileSync(f, 'utf8')).toContain('x.parquet');
  });
});
