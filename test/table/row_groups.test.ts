// Row-group skipping and the row-group-streaming scan: which row groups a filter decodes (scan.metrics), and that
// the rows are exactly those of the exact filter over the full scan when statistics are absent, truncated, NaN,
// all-null, or written in a narrower type than the table's (type widening). Deletion vectors across row groups.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as arrow from 'apache-arrow';
import * as pw from 'parquet-wasm/node';
import { afterAll, describe, expect, it } from 'vitest';
import { DeltaTable, Transaction, type StructType } from '../../src/index.js';
import { evaluateMask, parsePredicate, resolveColumn, type Expr } from '../../src/expr/index.js';
import { LocalStore } from '../../src/storage/local.js';
import type { ParquetSchemaNode, ParquetStatistics } from '../../src/storage/parquet.js';
import { mayMatch } from '../../src/table/pruning.js';
import { RowGroupBounds, type RowGroupLeafResolver } from '../../src/table/row_group_bounds.js';
import { zipColumns } from '../../src/schema/access/zip.js';
import { configOf } from '../helpers/config.js';
import { cleanupTempDirs, tempDir } from '../helpers/tmp.js';

afterAll(cleanupTempDirs);

const field = (name: string, type: StructType['fields'][number]['type']) => ({ name, type, nullable: true, metadata: {} });

/** Parquet bytes of `data` in row groups of `rowGroupRows`, optionally without statistics (parquet-wasm directly). */
function parquetBytes(data: arrow.Table, rowGroupRows: number, stats = true): Uint8Array {
  let b = new pw.WriterPropertiesBuilder().setMaxRowGroupSize(rowGroupRows).setCompression(pw.Compression.SNAPPY);
  if (!stats) b = b.setStatisticsEnabled(pw.EnabledStatistics.None);
  return pw.writeParquet(pw.Table.fromIPCStream(arrow.tableToIPC(data, 'stream')), b.build());
}

/** A table of `schema` whose one data file is `bytes`, committed without Delta stats (so no file skipping). */
async function tableOfFile(schema: StructType, bytes: Uint8Array, properties: Record<string, string> = {}): Promise<DeltaTable> {
  const dir = tempDir('rowgroups-');
  const t = await DeltaTable.create(dir, { schema, properties });
  writeFileSync(join(dir, 'data.parquet'), bytes);
  await new Transaction(new LocalStore(dir), t.snapshot, { operation: 'WRITE', operationParameters: { mode: 'Append' } })
    .addActions([{ add: { path: 'data.parquet', partitionValues: {}, size: bytes.length, modificationTime: Date.now(), dataChange: true } }])
    .commit();
  return DeltaTable.open(dir);
}

/** The filtered scan returns exactly the rows the exact filter keeps from the full scan (compared as objects). */
async function expectSound(t: DeltaTable, filters: string[]): Promise<{ skipped: number }> {
  const full = await t.scan().toArrow();
  const rows = await t.scan().toArray();
  let skipped = 0;
  for (const f of filters) {
    const mask = evaluateMask(full, parsePredicate(f), t.schema);
    const expected = rows.filter((_, i) => mask[i]);
    const scan = t.scan({ filter: f });
    expect(await scan.toArray(), f).toEqual(expected);
    skipped += scan.metrics.rowGroupsSkipped;
  }
  return { skipped };
}

const ids = (n: number, from = 0) => BigInt64Array.from({ length: n }, (_, i) => BigInt(from + i));

describe('row-group skipping', () => {
  it('a point filter decodes only the row group that holds it', async () => {
    const schema: StructType = { type: 'struct', fields: [field('id', 'long'), field('name', 'string')] };
    const data = new arrow.Table({ id: arrow.makeVector(ids(1000)), name: arrow.vectorFromArray(Array.from({ length: 1000 }, (_, i) => `n${i}`), new arrow.Utf8()) });
    const t = await tableOfFile(schema, parquetBytes(data, 100));
    const scan = t.scan({ filter: 'id >= 500 and id < 510', columns: ['name'] });
    const out = await scan.toArray();
    expect(out.map((r) => r.name)).toEqual(Array.from({ length: 10 }, (_, i) => `n${500 + i}`));
    expect(scan.metrics).toEqual({ files: 1, rowGroups: 10, rowGroupsSkipped: 9, rowGroupsFiltered: 0, rowGroupsRead: 1, pagesRead: 1, pagesSkipped: 0 });

    // A filter the statistics cannot decide decodes the predicate column everywhere, the rest only where rows match.
    const odd = t.scan({ filter: "name = 'n777'" });
    expect((await odd.toArray()).map((r) => r.id)).toEqual([777n]);
    expect(odd.metrics.rowGroupsRead).toBe(1);
    expect(odd.metrics.rowGroupsSkipped + odd.metrics.rowGroupsFiltered).toBe(9);

    // limit stops reading early: one row group of ten.
    const lim = t.scan({ limit: 5 });
    expect(await lim.toArray()).toHaveLength(5);
    expect(lim.metrics.rowGroupsRead).toBe(1);
  });

  it('no statistics: nothing skipped, rows exact', async () => {
    const schema: StructType = { type: 'struct', fields: [field('id', 'long')] };
    const t = await tableOfFile(schema, parquetBytes(new arrow.Table({ id: arrow.makeVector(ids(300)) }), 50, false));
    const { skipped } = await expectSound(t, ['id = 120', 'id > 250', 'id < 0', 'id is null']);
    expect(skipped).toBe(0);
  });

  it('long strings (statistics possibly truncated) bound soundly', async () => {
    const schema: StructType = { type: 'struct', fields: [field('s', 'string')] };
    const long = (c: string, i: number) => c.repeat(200) + String(i).padStart(3, '0');
    const values = [...Array.from({ length: 10 }, (_, i) => long('a', i)), ...Array.from({ length: 10 }, (_, i) => long('b', i)), ...Array.from({ length: 10 }, (_, i) => long('\u{1F600}', i))];
    const t = await tableOfFile(schema, parquetBytes(new arrow.Table({ s: arrow.vectorFromArray(values, new arrow.Utf8()) }), 10));
    const filters = [`s = '${long('a', 5)}'`, `s > '${long('a', 9)}'`, `s >= '${'b'.repeat(200)}'`, `s < '${'b'.repeat(201)}'`, `s > '${long('b', 9)}'`, "s > 'c'", `s = '${long('\u{1F600}', 3)}'`];
    const { skipped } = await expectSound(t, filters);
    expect(skipped).toBeGreaterThan(0);
  });

  it('NaN in a float/double row group never skips it wrongly (NaN sorts above every number)', async () => {
    const schema: StructType = { type: 'struct', fields: [field('d', 'double'), field('f', 'float')] };
    const d = Float64Array.from([1, NaN, 2, 3, 10, 11, 12, 13, NaN, NaN, NaN, NaN, -5, 0, -0, 4]);
    const data = new arrow.Table({ d: arrow.makeVector(d), f: arrow.makeVector(Float32Array.from(d)) });
    const t = await tableOfFile(schema, parquetBytes(data, 4));
    const filters = ['d > 5', 'd >= 3', 'd > 1e300', 'd < 0', 'd = 0', 'd != 1', 'f > 5', 'f < 1', 'f > 1e30', 'd > 100'];
    const { skipped } = await expectSound(t, filters);
    expect(skipped).toBeGreaterThan(0); // lower bounds still skip ('d < 0', 'f < 1')
  });

  it('all-null row groups are skipped by comparisons and kept by IS NULL', async () => {
    const schema: StructType = { type: 'struct', fields: [field('id', 'long'), field('x', 'integer')] };
    const x = Array.from({ length: 40 }, (_, i) => (i < 20 ? null : i));
    const data = new arrow.Table({ id: arrow.makeVector(ids(40)), x: arrow.vectorFromArray(x, new arrow.Int32()) });
    const t = await tableOfFile(schema, parquetBytes(data, 10));
    const s = t.scan({ filter: 'x = 25' });
    expect((await s.toArray()).map((r) => r.id)).toEqual([25n]);
    expect(s.metrics.rowGroupsSkipped).toBe(3);
    const n = t.scan({ filter: 'x is null' });
    expect(await n.toArray()).toHaveLength(20);
    expect(n.metrics.rowGroupsSkipped).toBe(2);
    await expectSound(t, ['x > 0', 'x is not null', 'x != 25', 'x in (1, 25, 39)', 'not (x < 30)']);
  });

  it('type-widened columns: statistics in the narrower type of the file (int under long/double, float under double)', async () => {
    const schema: StructType = { type: 'struct', fields: [field('l', 'long'), field('d', 'double'), field('g', 'double')] };
    const n = 60;
    const data = new arrow.Table({
      l: arrow.makeVector(Int32Array.from({ length: n }, (_, i) => i * 1000 - 20_000)),
      d: arrow.makeVector(Float32Array.from({ length: n }, (_, i) => i / 10 + 0.1)),
      g: arrow.makeVector(Int32Array.from({ length: n }, (_, i) => i)),
    });
    const t = await tableOfFile(schema, parquetBytes(data, 10));
    const filters = ['l = 5000', 'l > 30000', 'l < -19000', 'l >= 3000000000', 'd < 0.5', 'd >= 5.9', 'd = 0.1', 'g < 10.5', 'g > 58.5', 'g = 30'];
    const { skipped } = await expectSound(t, filters);
    expect(skipped).toBeGreaterThan(10);
    const one = t.scan({ filter: 'l = 5000' });
    expect(await one.toArray()).toHaveLength(1);
    expect(one.metrics.rowGroupsSkipped).toBe(5);
  });

  it('deletion vectors across row groups: DV positions are positions in the whole file', async () => {
    const schema: StructType = { type: 'struct', fields: [field('id', 'long'), field('v', 'string')] };
    const dir = tempDir('rowgroups-dv-');
    const t = await DeltaTable.create(dir, { schema, properties: { 'delta.enableDeletionVectors': 'true' } });
    const data = new arrow.Table({ id: arrow.makeVector(ids(500)), v: arrow.vectorFromArray(Array.from({ length: 500 }, (_, i) => `v${i}`), new arrow.Utf8()) });
    await t.append(data, { rowGroupSize: 50 });
    await t.delete('id in (3, 151, 152, 420, 499) or (id >= 300 and id < 310)');
    const h = await DeltaTable.open(dir);
    expect(h.files()[0]!.deletionVector).toBeDefined();
    const all = await h.scan().toArray();
    expect(all).toHaveLength(500 - 15);
    const s = h.scan({ filter: 'id >= 150 and id < 160' });
    expect((await s.toArray()).map((r) => r.id)).toEqual([150n, 153n, 154n, 155n, 156n, 157n, 158n, 159n]);
    expect(s.metrics.rowGroupsRead).toBe(1);
    expect(s.metrics.rowGroupsSkipped).toBe(9);
    await expectSound(h, ['id >= 295 and id < 315', 'id = 420', 'id > 480', "v = 'v152'"]);
  });

  it('RowGroupBounds: absent, inexact (truncated) maxima and legacy statistics', () => {
    const schema: StructType = { type: 'struct', fields: [field('s', 'string'), field('n', 'long')] };
    const config = configOf(schema);
    const enc = new TextEncoder();
    const le64 = (v: bigint) => {
      const b = new Uint8Array(8);
      new DataView(b.buffer).setBigInt64(0, v, true);
      return b;
    };
    const nodes: Record<string, ParquetSchemaNode> = {
      s: { name: 's', type: 'BYTE_ARRAY', logicalType: 'STRING', path: ['s'], children: [], maxDefinitionLevel: 1, maxRepetitionLevel: 0 },
      n: { name: 'n', type: 'INT64', path: ['n'], children: [], maxDefinitionLevel: 1, maxRepetitionLevel: 0 },
    };
    const judge = (stats: Record<string, ParquetStatistics | undefined>, filter: string): boolean => {
      const resolver: RowGroupLeafResolver = {
        leafOf: (r) => ({ node: nodes[r.path[0]!]!, index: r.path[0] === 's' ? 0 : 1 }),
        statisticsOf: (_g, leaf) => stats[leaf === 0 ? 's' : 'n'],
        numRowsOf: () => 100,
      };
      const add = { path: 'x.parquet', partitionValues: {}, size: 1, modificationTime: 0, dataChange: true };
      return mayMatch(new RowGroupBounds(add, config, resolver, 0), parsePredicate(filter) as Expr);
    };
    expect(resolveColumn(schema, ['s'])).not.toBeNull();
    const exact = { min: enc.encode('abc'), max: enc.encode('abd'), nullCount: 0 };
    expect(judge({ s: exact }, "s > 'abe'")).toBe(false);
    expect(judge({ s: exact }, "s < 'abc'")).toBe(false);
    // The writer says the max is not exact (a cut prefix): it is no upper bound.
    expect(judge({ s: { ...exact, maxExact: false } }, "s > 'abe'")).toBe(true);
    // A cut min is a prefix, still a lower bound.
    expect(judge({ s: { ...exact, minExact: false } }, "s < 'abc'")).toBe(false);
    // Absent statistics or a max cut in the middle of a UTF-8 character: no bound.
    expect(judge({ s: undefined }, "s > 'zzz'")).toBe(true);
    expect(judge({ s: { min: enc.encode('a'), max: Uint8Array.from([0x61, 0xf0, 0x9f]) } }, "s > 'b'")).toBe(true);
    // Integers: exact bounds, != decided when min == max.
    expect(judge({ n: { min: le64(5n), max: le64(5n), nullCount: 0 } }, 'n != 5')).toBe(false);
    expect(judge({ n: { min: le64(5n), max: le64(9n), nullCount: 0 } }, 'n > 9')).toBe(false);
    expect(judge({ n: { min: le64(5n), max: le64(9n), nullCount: 100 } }, 'n is not null')).toBe(false);
    expect(judge({ n: { min: le64(5n), max: le64(9n), nullCount: 0 } }, 'n is null')).toBe(false);
    expect(judge({ n: { min: le64(5n), max: le64(9n) } }, 'n is null')).toBe(true);
  });
});

describe('zipColumns', () => {
  it('joins columns of tables with different batch boundaries, sliced and multi-chunk', () => {
    const a = new arrow.Table({ x: arrow.makeVector(Int32Array.from({ length: 20 }, (_, i) => i)) }).slice(3, 13);
    const b1 = new arrow.Table({ y: arrow.vectorFromArray(Array.from({ length: 7 }, (_, i) => `y${i}`), new arrow.Utf8()) });
    const b2 = new arrow.Table({ y: arrow.vectorFromArray(Array.from({ length: 9 }, (_, i) => `y${7 + i}`), new arrow.Utf8()) }).slice(2, 5);
    const b = b1.concat(b2);
    expect(b.batches.length).toBe(2);
    const z = zipColumns([a, b], ['y', 'x']);
    expect(z.schema.fields.map((f) => f.name)).toEqual(['y', 'x']);
    expect(z.numRows).toBe(10);
    expect(z.toArray().map((r) => [r.y, r.x])).toEqual(
      Array.from({ length: 10 }, (_, i) => [i < 7 ? `y${i}` : `y${i + 2}`, 3 + i]),
    );
  });
});
