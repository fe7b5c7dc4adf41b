// `deltats import` creating the table from the file (CSV inference, JSON lines, Parquet, --schema, --no-header),
// CSV dialects (BOM, ';', CRLF, multi-line quoted fields, null markers), and an existing table's schema rules.
import { afterAll, describe, expect, it } from 'vitest';
import { existsSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { typeToString } from '../../src/schema/json.js';
import type { StructType } from '../../src/schema/types.js';
import { DeltaTable } from '../../src/delta_table.js';
import { cleanupTempDirs, tempDir } from '../helpers/tmp.js';
import { cli, ok, okJson } from './run.js';

afterAll(cleanupTempDirs);

const types = (s: StructType): Record<string, string> => Object.fromEntries(s.fields.map((f) => [f.name, typeToString(f.type)]));
const oneLine = (s: string): string => {
  const lines = s.trim().split('\n');
  expect(lines).toHaveLength(1);
  return lines[0]!;
};
const rowsOf = async (uri: string): Promise<Record<string, unknown>[]> =>
  (await (await DeltaTable.open(uri)).scan().toArray()).sort((a, b) => Number(a.id) - Number(b.id));

// An export as spreadsheets write it: BOM, ';' separators, CRLF, quoted fields with the separator, quotes and
// line breaks inside, an empty line, a null marker.
const EXPORT =
  '\ufeffid;price;paid;day;at;note\r\n' +
  '1;9.5;true;2024-05-01;2024-05-01T10:00:00Z;"plain"\r\n' +
  '2;12;false;2024-05-01;2024-05-01 11:30:00.250;"two\r\nlines; with ""quotes"""\r\n' +
  '\r\n' +
  '3;NULL;TRUE;2024-05-02;2024-05-02T00:00:00+02:00;"three\nlines\nhere"\r\n' +
  '4;-0.25;;2024-05-02;;\r\n';

describe('import creates the table from the file', () => {
  const data = tempDir('deltats-import-data-');

  it('CSV with BOM, ";", CRLF and multi-line quoted fields: inferred types, partitions, rows', async () => {
    const f = join(data, 'export.csv');
    writeFileSync(f, EXPORT);
    const uri = join(tempDir('deltats-import-'), 'sales');
    const res = await okJson<{ version: number; rows: number; created: boolean; partitionColumns: string[] }>([
      'import', uri, f, '--delimiter', ';', '--null-value', 'NULL', '--partition-by', 'day',
    ]);
    expect(res).toMatchObject({ version: 1, rows: 4, created: true, partitionColumns: ['day'] });
    const table = await DeltaTable.open(uri);
    expect(types(table.schema)).toEqual({ id: 'long', price: 'double', paid: 'boolean', day: 'date', at: 'timestamp', note: 'string' });
    expect(table.partitionColumns).toEqual(['day']);
    expect(readdirSync(uri).filter((d) => d.startsWith('day=')).sort()).toEqual(['day=2024-05-01', 'day=2024-05-02']);
    const rows = await rowsOf(uri);
    expect(rows.map((r) => [r.id, r.price, r.paid, r.note])).toEqual([
      [1n, 9.5, true, 'plain'],
      [2n, 12, false, 'two\r\nlines; with "quotes"'],
      [3n, null, true, 'three\nlines\nhere'],
      [4n, -0.25, null, null],
    ]);
    // Timestamps: ISO with Z, space-separated without zone (UTC), and an offset.
    expect(rows.map((r) => (r.at === null ? null : (r.at as Date).toISOString()))).toEqual([
      '2024-05-01T10:00:00.000Z',
      '2024-05-01T11:30:00.250Z',
      '2024-05-01T22:00:00.000Z',
      null,
    ]);
  });

  it('the same file with one broken line is refused naming the line, and nothing is written', async () => {
    const lines = EXPORT.split('\r\n');
    lines[5] = '3;NULL;TRUE;2024-05-02;2024-05-02T00:00:00Z;"unterminated "quote"';
    const f = join(data, 'broken.csv');
    writeFileSync(f, lines.join('\r\n'));
    const uri = join(tempDir('deltats-import-'), 'sales');
    const r = await cli(['import', uri, f, '--delimiter', ';', '--null-value', 'NULL']);
    expect(r.code).toBe(1);
    // Line 6: the header, two lines of record 2, a blank line, then the broken record.
    expect(oneLine(r.stderr)).toBe(`deltats: ${f}:6: field 6: unexpected character after a closing quote (a quote inside a quoted field is written "")`);
    expect(existsSync(uri)).toBe(false);
    // A value that does not fit the inferred type cannot happen (inference saw it); with --schema it names line and column.
    const r2 = await cli(['import', uri, join(data, 'export.csv'), '--delimiter', ';', '--null-value', 'NULL', '--schema', 'id:long,price:double,paid:boolean,day:date,at:timestamp,note:long']);
    expect(oneLine(r2.stderr)).toBe(`deltats: ${join(data, 'export.csv')}:2: column 'note': cannot read 'plain' as long`);
    expect(existsSync(uri)).toBe(false);
  });

  it('--schema overrides inference; --no-header takes the names from --schema', async () => {
    const f = join(data, 'zips.csv');
    writeFileSync(f, 'zip,n\n01234,1\n98765,2\n');
    const uri = join(tempDir('deltats-import-'), 'zips');
    await ok(['import', uri, f]);
    expect(types((await DeltaTable.open(uri)).schema)).toEqual({ zip: 'string', n: 'long' });
    const uri2 = join(tempDir('deltats-import-'), 'zips');
    await ok(['import', uri2, f, '--schema', 'zip:string,n:integer not null']);
    const t2 = await DeltaTable.open(uri2);
    expect(types(t2.schema)).toEqual({ zip: 'string', n: 'integer' });
    expect((await rowsOf(uri2)).map((r) => r.zip)).toEqual(['01234', '98765']);
    const g = join(data, 'noheader.tsv');
    writeFileSync(g, '7\tx\n8\ty\n');
    const uri3 = join(tempDir('deltats-import-'), 'nh');
    await ok(['import', uri3, g, '--no-header', '--schema', 'id:long,name:string']);
    expect((await rowsOf(uri3)).map((r) => `${r.id}${r.name}`)).toEqual(['7x', '8y']);
    const uri4 = join(tempDir('deltats-import-'), 'nh');
    await ok(['import', uri4, g, '--no-header']);
    expect(types((await DeltaTable.open(uri4)).schema)).toEqual({ _c0: 'long', _c1: 'string' });
  });

  it('JSON lines: union of keys, nested values; Parquet: the file schema', async () => {
    const f = join(data, 'events.jsonl');
    writeFileSync(f, '{"id":1,"user":{"name":"a"},"tags":["x"]}\n{"id":2,"score":0.5,"user":{"name":"b","vip":true}}\n');
    const uri = join(tempDir('deltats-import-'), 'events');
    const out = await ok(['import', uri, f]);
    expect(out).toMatch(/^Created .*events with columns id long, user struct<name:string,vip:boolean>, tags array<string>, score double\.\nImported 2 rows .* as version 1 \(new table, 1 files added\)\.\n$/);
    const rows = await rowsOf(uri);
    expect(rows.map((r) => [r.id, r.score, r.tags])).toEqual([
      [1n, null, ['x']],
      [2n, 0.5, null],
    ]);
    // A Parquet file deltats wrote becomes a new table with the same schema and rows.
    const parquet = readdirSync(uri).find((n) => n.endsWith('.parquet'))!;
    const uri2 = join(tempDir('deltats-import-'), 'copy');
    await ok(['import', uri2, join(uri, parquet)]);
    expect((await DeltaTable.open(uri2)).schema).toEqual((await DeltaTable.open(uri)).schema);
    expect(await rowsOf(uri2)).toEqual(rows);
  });
});

describe('import into an existing table', () => {
  it('keeps schema enforcement; --schema-mode merge adds the new columns; --schema and other partitions refused', async () => {
    const data = tempDir('deltats-import-data-');
    const uri = join(tempDir('deltats-import-'), 't');
    writeFileSync(join(data, 'a.csv'), 'id,day\n1,2024-01-01\n');
    await ok(['import', uri, join(data, 'a.csv'), '--partition-by', 'day']);
    const f = join(data, 'b.csv');
    writeFileSync(f, 'id,day,extra\n2,2024-01-02,1.5\n');
    const r = await cli(['import', uri, f]);
    expect(oneLine(r.stderr)).toMatch(/b\.csv:1: column 'extra' is not in the table schema \(table columns: id, day; --schema-mode merge adds new columns\)/);
    const r2 = await cli(['import', uri, f, '--schema', 'id:long']);
    expect(oneLine(r2.stderr)).toMatch(/--schema only applies when import creates the table; .* exists \(columns: id long, day date\)/);
    const r3 = await cli(['import', uri, f, '--partition-by', 'id']);
    expect(oneLine(r3.stderr)).toMatch(/is partitioned by \(day\); --partition-by only applies when import creates the table/);
    expect((await DeltaTable.open(uri)).version).toBe(1);
    const res = await okJson<{ version: number; created: boolean }>(['import', uri, f, '--schema-mode', 'merge']);
    expect(res).toMatchObject({ version: 2, created: false });
    const t = await DeltaTable.open(uri);
    expect(types(t.schema)).toEqual({ id: 'long', day: 'date', extra: 'double' });
    expect((await rowsOf(uri)).map((x) => [x.id, x.extra])).toEqual([
      [1n, null],
      [2n, 1.5],
    ]);
    // --schema-mode overwrite (with --mode overwrite): the file's schema and the partitioning given now, as Spark's overwriteSchema.
    const g = join(data, 'c.csv');
    writeFileSync(g, 'id,label\n5,five\n');
    const r4 = await cli(['import', uri, g, '--schema-mode', 'overwrite']);
    expect(oneLine(r4.stderr)).toMatch(/--schema-mode overwrite needs --mode overwrite/);
    await ok(['import', uri, g, '--mode', 'overwrite', '--schema-mode', 'overwrite']);
    const t2 = await DeltaTable.open(uri);
    expect([types(t2.schema), t2.partitionColumns, t2.version]).toEqual([{ id: 'long', label: 'string' }, [], 3]);
    expect((await rowsOf(uri)).map((x) => [x.id, x.label])).toEqual([[5n, 'five']]);
  });
});
