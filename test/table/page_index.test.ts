// Page selection by the Parquet page index (issue 15): a filtered scan decodes only the data pages that may match
// and, for the other columns, only the pages holding matching rows. Rows must equal the exact filter of the full
// scan (and the scan without the page index) on files with many pages per row group: dictionary and plain pages,
// nulls and all-null pages, V1 and V2 data pages, columns whose page boundaries differ, deletion vectors, and the
// compact page files themselves against a whole-file decode.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as arrow from 'apache-arrow';
import { afterAll, describe, expect, it } from 'vitest';
import { DeltaTable, type StructType } from '../../src/index.js';
import { evaluateMask, parsePredicate } from '../../src/expr/index.js';
import { LocalStore } from '../../src/storage/local.js';
import { readParquet, readParquetFooter } from '../../src/storage/parquet.js';
import { RangedParquetFile } from '../../src/storage/parquet_ranged.js';
import { readOffsetIndex } from '../../src/storage/parquet_page_index.js';
import { T_I32, T_I64, T_LIST, T_STRUCT } from '../../src/storage/parquet_thrift.js';
import { CompactWriter } from '../../src/storage/parquet_thrift_write.js';
import { ProtocolError } from '../../src/errors.js';
import { cleanupTempDirs, tempDir } from '../helpers/tmp.js';
import { smallPages as pagesOf, tableOfFile as tableOfSchemaFile } from '../helpers/pages.js';

afterAll(cleanupTempDirs);

const field = (name: string, type: StructType['fields'][number]['type']) => ({ name, type, nullable: true, metadata: {} });
const SCHEMA: StructType = {
  type: 'struct',
  fields: [field('id', 'long'), field('k', 'string'), field('v', 'double'), field('name', 'string'), field('n', 'integer')],
};
const ROWS = 3000;

/** id 0..ROWS-1; k: 7 distinct strings (dictionary pages); v: null on rows 1000-1499 (all-null pages), else id/2;
 *  name: unique strings (plain after the dictionary fills, other page boundaries); n: null on every 3rd row. */
function data(): arrow.Table {
  const id = BigInt64Array.from({ length: ROWS }, (_, i) => BigInt(i));
  const k = Array.from({ length: ROWS }, (_, i) => `key-${i % 7}`);
  const v = Array.from({ length: ROWS }, (_, i) => (i >= 1000 && i < 1500 ? null : i / 2));
  const name = Array.from({ length: ROWS }, (_, i) => `name-${String(i).padStart(5, '0')}-${'x'.repeat(i % 13)}`);
  const n = Array.from({ length: ROWS }, (_, i) => (i % 3 === 0 ? null : i % 101));
  return new arrow.Table({
    id: arrow.makeVector(id),
    k: arrow.vectorFromArray(k, new arrow.Utf8()),
    v: arrow.vectorFromArray(v, new arrow.Float64()),
    name: arrow.vectorFromArray(name, new arrow.Utf8()),
    n: arrow.vectorFromArray(n, new arrow.Int32()),
  });
}

const smallPages = pagesOf;
const tableOfFile = (bytes: Uint8Array, properties: Record<string, string> = {}) => tableOfSchemaFile(SCHEMA, bytes, properties);

const FILTERS = [
  'id = 1234',
  'id >= 2990',
  'id > 100 and id < 140',
  'id = 5 or id = 2500',
  'id < 0',
  'v is null',
  'v is not null and id < 1600 and id > 900',
  'v > 1400',
  'v < 3',
  "k = 'key-3' and id < 200",
  "k = 'key-9'",
  "name = 'name-01500-xxxxxxxxx'",
  "name > 'name-02990'",
  'n is null and id between 10 and 20',
  'n = 50',
  'not (id >= 10)',
  'id in (7, 77, 777, 2777)',
  "id > 2000 and (n = 1 or k = 'key-0')",
];

/** Every filter: page selection on == off == the exact filter of the full scan, row for row. */
async function expectSound(t: DeltaTable, filters = FILTERS): Promise<{ pagesRead: number; pagesSkipped: number }> {
  const full = await t.scan().toArrow();
  const all = await t.scan().toArray();
  let pagesRead = 0;
  let pagesSkipped = 0;
  for (const f of filters) {
    const mask = evaluateMask(full, parsePredicate(f), t.schema);
    const expected = all.filter((_, i) => mask[i]);
    const on = t.scan({ filter: f });
    expect(await on.toArray(), f).toEqual(expected);
    const cols = t.scan({ filter: f, columns: ['name', 'v'] });
    expect(await cols.toArray(), `${f} (columns name, v)`).toEqual(expected.map((r) => ({ name: r.name, v: r.v })));
    expect(await t.scan({ filter: f, pageIndex: false }).toArray(), `${f} without the page index`).toEqual(expected);
    pagesRead += on.metrics.pagesRead;
    pagesSkipped += on.metrics.pagesSkipped;
  }
  return { pagesRead, pagesSkipped };
}

describe('page index', () => {
  it('parquet-wasm writes an OffsetIndex and ColumnIndex for each chunk, with many pages per row group here', async () => {
    const bytes = smallPages(data(), 1500);
    const footer = readParquetFooter(bytes);
    expect(footer.rowGroups).toHaveLength(2);
    expect(footer.typeDefinedOrder).toEqual([true, true, true, true, true]);
    for (const c of footer.rowGroups.flatMap((g) => g.columns)) {
      expect(c.offsetIndex, c.pathInSchema.join('.')).toBeDefined();
      expect(c.columnIndex, c.pathInSchema.join('.')).toBeDefined();
    }
    const dir = tempDir('pageidx-raw-');
    writeFileSync(join(dir, 'f.parquet'), bytes);
    const f = new RangedParquetFile(new LocalStore(dir), 'f.parquet', { threads: 0 });
    const index = await f.pageIndex(1, [0, 1, 2, 3, 4], true);
    const pages = [...index.values()].map((i) => i.offset!.pages.length);
    expect(pages[0]).toBeGreaterThan(5); // id
    expect(Math.min(...pages)).toBeGreaterThan(1);
    // Page boundaries differ between columns (that is what readRows aligns).
    const starts = [...index.values()].map((i) => i.offset!.pages.map((p) => p.firstRowIndex).join(','));
    expect(new Set(starts).size).toBeGreaterThan(1);
    // v's all-null pages (rows 1000-1499, in row group 0) are marked so.
    const v0 = (await f.pageIndex(0, [2], true)).get(2)!.column!;
    expect(v0.nullPages.some(Boolean)).toBe(true);
    expect(v0.nullPages.some((b) => !b)).toBe(true);
    expect(index.get(2)!.column!.nullPages.some(Boolean)).toBe(false);
  });

  it('readRows decodes exactly the asked rows of every column, against a whole-file decode', async () => {
    for (const v2 of [false, true]) {
      const bytes = smallPages(data(), 1500, { v2 });
      const whole = readParquet(bytes);
      const dir = tempDir('pageidx-rows-');
      writeFileSync(join(dir, 'f.parquet'), bytes);
      const f = new RangedParquetFile(new LocalStore(dir), 'f.parquet', { threads: 0 });
      const cases = [
        [{ start: 0, end: 1 }],
        [{ start: 3, end: 40 }, { start: 700, end: 701 }, { start: 1499, end: 1500 }],
        [{ start: 1, end: 1499 }],
        [{ start: 0, end: 1500 }],
      ];
      for (const rows of cases) {
        for (const cols of [['id', 'k', 'v', 'name', 'n'], ['name'], ['v', 'k']]) {
          const got = await f.readRows(1, rows, cols);
          const expected = rows.flatMap((r) => whole.select(cols).slice(1500 + r.start, 1500 + r.end).toArray().map((x) => x.toJSON()));
          expect(got.table.toArray().map((x) => x.toJSON()), `${v2 ? 'V2' : 'V1'} ${JSON.stringify(rows)} ${cols}`).toEqual(expected);
          expect(got.table.schema.fields.map((x) => x.name)).toEqual(['id', 'k', 'v', 'name', 'n'].filter((c) => cols.includes(c)));
          if (rows.length === 1 && rows[0]!.end - rows[0]!.start === 1) expect(got.pagesSkipped).toBeGreaterThan(got.pagesRead);
        }
      }
    }
  });

  it('a point filter decodes the few pages around its row, not the row group; rows exact for many filters', async () => {
    const { t } = await tableOfFile(smallPages(data(), 1500));
    const scan = t.scan({ filter: 'id = 1234' });
    expect((await scan.toArray()).map((r) => r.id)).toEqual([1234n]);
    expect(scan.metrics).toMatchObject({ rowGroups: 2, rowGroupsSkipped: 1, rowGroupsRead: 1 });
    // One page of id; of each other column the one or two pages over that page's rows (boundaries differ).
    expect(scan.metrics.pagesRead).toBeGreaterThanOrEqual(5);
    expect(scan.metrics.pagesRead).toBeLessThanOrEqual(10);
    expect(scan.metrics.pagesSkipped).toBeGreaterThan(5 * scan.metrics.pagesRead);
    const off = t.scan({ filter: 'id = 1234', pageIndex: false });
    await off.toArray();
    expect(off.metrics.pagesRead + off.metrics.pagesSkipped).toBe(0);

    const counts = await expectSound(t);
    expect(counts.pagesSkipped).toBeGreaterThan(counts.pagesRead);
  });

  it('all-null pages: IS NULL reads only them, a comparison skips them', async () => {
    const { t } = await tableOfFile(smallPages(data(), 3000));
    const isNull = t.scan({ filter: 'v is null', columns: ['id'] });
    const ids = (await isNull.toArray()).map((r) => Number(r.id));
    expect(ids).toEqual(Array.from({ length: 500 }, (_, i) => 1000 + i));
    expect(isNull.metrics.pagesSkipped).toBeGreaterThan(0);
    const cmp = t.scan({ filter: 'v >= 0 and v < 600' });
    expect((await cmp.toArray()).map((r) => Number(r.id))).toEqual(Array.from({ length: 1000 }, (_, i) => i));
    const after = t.scan({ filter: 'v >= 740 and v < 760', columns: ['id'] });
    expect((await after.toArray()).map((r) => Number(r.id))).toEqual(Array.from({ length: 20 }, (_, i) => 1500 + i));
  });

  it('NaN in float pages: a page whose max leaves NaN out is kept when a NaN would match', async () => {
    const schema: StructType = { type: 'struct', fields: [field('id', 'long'), field('x', 'double')] };
    const x = Array.from({ length: 600 }, (_, i) => (i % 97 === 5 ? Number.NaN : i % 50));
    const d = new arrow.Table({ id: arrow.makeVector(BigInt64Array.from({ length: 600 }, (_, i) => BigInt(i))), x: arrow.vectorFromArray(x, new arrow.Float64()) });
    const { t } = await tableOfSchemaFile(schema, pagesOf(d, 600, { pageBytes: 1, batchRows: 20 }));
    const full = await t.scan().toArrow();
    const all = await t.scan().toArray();
    for (const f of ['x > 60', 'x >= 49', "x = 'NaN'", 'x < 1', 'not (x <= 48)', 'x != 3 and id < 40']) {
      const mask = evaluateMask(full, parsePredicate(f), t.schema);
      const s = t.scan({ filter: f });
      expect(await s.toArray(), f).toEqual(all.filter((_, i) => mask[i]));
      if (f === 'x > 60') expect(s.metrics.pagesSkipped, f).toBeGreaterThan(0);
    }
    expect((await t.scan({ filter: 'x > 60', columns: ['id'] }).toArray()).map((r) => Number(r.id))).toEqual([5, 102, 199, 296, 393, 490, 587]);
  });

  it('V2 data pages, and a writer whose pages hold one write batch each', async () => {
    await expectSound((await tableOfFile(smallPages(data(), 1000, { v2: true }))).t);
    await expectSound((await tableOfFile(smallPages(data(), 3000, { pageBytes: 1, batchRows: 7 }))).t, FILTERS.slice(0, 8));
  });

  it('deletion vectors: positions stay file positions when only some pages are read', async () => {
    const { dir, t } = await tableOfFile(smallPages(data(), 1500), { 'delta.enableDeletionVectors': 'true' });
    const res = await t.delete('id % 5 = 0 or (id > 1200 and id < 1300)');
    expect(res.metrics.numDeletedRows).toBe(600 + 80);
    const fresh = await DeltaTable.open(dir);
    expect(fresh.files()[0]!.deletionVector).toBeDefined();
    expect(fresh.files()[0]!.path).toBe('data.parquet'); // the same file, its rows hidden by the DV
    const got = await fresh.scan({ filter: 'id >= 1195 and id <= 1305' }).toArray();
    expect(got.map((r) => Number(r.id))).toEqual([1196, 1197, 1198, 1199, 1301, 1302, 1303, 1304]);
    const point = fresh.scan({ filter: 'id >= 1296 and id <= 1302' });
    expect((await point.toArray()).map((r) => Number(r.id))).toEqual([1301, 1302]);
    expect(point.metrics.pagesSkipped).toBeGreaterThan(point.metrics.pagesRead);
    await expectSound(fresh);
  });

  it('an OffsetIndex that disagrees with the page headers is a ProtocolError naming the file, not misaligned rows', async () => {
    const bytes = smallPages(data(), 3000, { pageBytes: 4096, batchRows: 100 });
    const loc = readParquetFooter(bytes).rowGroups[0]!.columns[0]!.offsetIndex!;
    const index = readOffsetIndex(bytes.subarray(loc.offset, loc.offset + loc.length), 3000);
    const p2 = index.pages[2]!.firstRowIndex;
    expect(p2).toBeGreaterThan(64); // page starts whose zigzag varints keep their length when moved by one
    // Re-encode it with page 2 starting one row later (same varint length, so the file layout does not move).
    const w = new CompactWriter();
    w.structBegin();
    w.field(1, T_LIST);
    w.listHeader(T_STRUCT, index.pages.length);
    index.pages.forEach((p, i) => {
      w.structBegin();
      w.field(1, T_I64);
      w.int(p.offset);
      w.field(2, T_I32);
      w.int(p.compressedSize);
      w.field(3, T_I64);
      w.int(i === 2 ? p.firstRowIndex + 1 : p.firstRowIndex);
      w.structEnd();
    });
    w.structEnd();
    const encoded = w.finish();
    expect(encoded.length).toBe(loc.length);
    const bad = bytes.slice();
    bad.set(encoded, loc.offset);
    const { t } = await tableOfFile(bad);
    const filter = `id >= ${p2 + 2} and id < ${p2 + 12}`;
    const err = await t.scan({ filter }).toArray().then(
      () => null,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(ProtocolError);
    expect((err as ProtocolError).message).toMatch(/page index of column id .*disagrees with its pages/);
    expect((err as ProtocolError).file).toContain('data.parquet');
    // Without the page index the file reads as written.
    expect((await t.scan({ filter, pageIndex: false }).toArray()).map((r) => Number(r.id))).toEqual(Array.from({ length: 10 }, (_, i) => p2 + 2 + i));
  });

  it('sliced and multi-chunk input written with small pages reads back exactly', async () => {
    const d = data();
    const sliced = new arrow.Table([...d.slice(10, 1200).batches, ...d.slice(1200, 2990).batches]);
    expect(sliced.batches.length).toBeGreaterThan(1);
    const { t } = await tableOfFile(smallPages(sliced, 700, { batchRows: 33 }));
    const got = await t.scan({ filter: 'id >= 1190 and id < 1210' }).toArray();
    expect(got.map((r) => Number(r.id))).toEqual(Array.from({ length: 20 }, (_, i) => 1190 + i));
    expect(got[0]).toEqual({ id: 1190n, k: `key-${1190 % 7}`, v: null, name: `name-01190-${'x'.repeat(1190 % 13)}`, n: 1190 % 101 });
    await expectSound(t);
  });
});
