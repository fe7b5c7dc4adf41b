// Ranged Parquet reads (issue 15 item 4): the footer by a speculative tail read, only the selected row groups'
// column chunks fetched, decoded from a compact file; checked against a whole-file decode of the same bytes.
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { tableFromArrays, tableFromJSON, type Table } from 'apache-arrow';
import { ProtocolError, StorageError } from '../../src/errors.js';
import { LocalStore } from '../../src/storage/local.js';
import { readParquet, writeParquet } from '../../src/storage/parquet.js';
import { RangedParquetFile, decodeGroups } from '../../src/storage/parquet_ranged.js';
import { coalesceRanges, fetchRanges } from '../../src/storage/parquet_ranges.js';
import { SPECULATIVE_TAIL, readParquetTail } from '../../src/storage/parquet_tail.js';
import type { ObjectStore } from '../../src/storage/store.js';
import { countingStore } from './counting_store.js';

const dir = mkdtempSync(join(tmpdir(), 'deltats-ranged-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const store = new LocalStore(dir);

/** Rows as JSON-comparable values (bigint and bytes spelled out). */
function rows(t: Table): string[] {
  return t.toArray().map((r) =>
    JSON.stringify(r, (_k, v: unknown) =>
      typeof v === 'bigint' ? `${v}n` : v instanceof Uint8Array ? `bytes:${Buffer.from(v).toString('hex')}` : v,
    ),
  );
}

/** The reference: the whole file decoded, cut to the row groups' rows and the columns (file order). */
function reference(whole: Uint8Array, rowGroupRows: number[], rowGroups: number[], columns?: string[]): { names: string[]; types: string[]; rows: string[] } {
  const t = readParquet(whole);
  const keep = t.schema.fields.map((f) => f.name).filter((n) => !columns || columns.includes(n));
  const sel = t.select(keep);
  const starts: number[] = [];
  rowGroupRows.reduce((acc, n) => (starts.push(acc), acc + n), 0);
  const out: string[] = [];
  for (const i of rowGroups) out.push(...rows(sel.slice(starts[i]!, starts[i]! + rowGroupRows[i]!)));
  return { names: keep, types: keep.map((n) => String(sel.getChild(n)!.type)), rows: out };
}

async function expectSame(path: string, whole: Uint8Array, rowGroups: number[], columns?: string[]): Promise<void> {
  // Decoded in one task, and one top-level column per task (decodeTaskBytes: 1), zipped back.
  for (const decodeTaskBytes of [undefined, 1]) {
    const f = new RangedParquetFile(store, path, { size: whole.length, threads: 0, decodeTaskBytes });
    const footer = await f.footer();
    const ref = reference(whole, footer.rowGroups.map((r) => r.numRows), rowGroups, columns);
    const got = await f.readRowGroups(rowGroups, columns);
    const names = got.schema.fields.map((x) => x.name);
    const what = `${path} ${JSON.stringify({ rowGroups, columns, decodeTaskBytes })}`;
    expect(names, what).toEqual(ref.names);
    expect(names.map((n) => String(got.getChild(n)!.type)), what).toEqual(ref.types);
    expect(rows(got), what).toEqual(ref.rows);
  }
}

function writeFile(name: string, t: Table, rowGroupSize: number): Uint8Array {
  const bytes = writeParquet(t, { rowGroupSize });
  writeFileSync(join(dir, name), bytes);
  return bytes;
}

const N = 20_000;
const sample = tableFromArrays({
  id: BigInt64Array.from({ length: N }, (_, i) => BigInt(i)),
  x: Float64Array.from({ length: N }, (_, i) => Math.sin(i)),
  k: Int32Array.from({ length: N }, (_, i) => i % 7),
  s: Array.from({ length: N }, (_, i) => (i % 11 === 0 ? null : `name-${i % 300}-${i}`)),
});

describe('ranged Parquet reads', () => {
  it('decodes selected row groups and columns exactly as a whole-file decode does', async () => {
    const whole = writeFile('sample.parquet', sample, 2_000);
    for (const rowGroups of [[0], [3], [9], [2, 7], [0, 1, 2, 3, 4, 5, 6, 7, 8, 9], []]) {
      for (const columns of [undefined, ['id'], ['s'], ['x', 'k'], ['s', 'id']]) await expectSame('sample.parquet', whole, rowGroups, columns);
    }
  });

  it('reads nested columns (several leaves per top-level column) of selected row groups', async () => {
    const nested = tableFromJSON(
      Array.from({ length: 3_000 }, (_, i) => ({
        id: i,
        n: { p: i * 2, q: i % 3 === 0 ? null : `q${i}` },
        l: i % 5 === 0 ? [i] : [i, i + 1, i + 2],
        z: `z${i}`,
      })),
    );
    const whole = writeFile('nested.parquet', nested, 500);
    for (const rowGroups of [[1], [0, 5], [2, 3, 4]]) {
      for (const columns of [['n'], ['l', 'z'], ['n', 'id'], undefined]) await expectSame('nested.parquet', whole, rowGroups, columns);
    }
  });

  it('matches a whole-file decode on every data file of the conformance corpus (Spark, delta-rs: nested, INT96, ...)', async () => {
    const root = process.env.DELTATS_CONFORMANCE_DIR ?? join(process.cwd(), '..', 'shared', 'conformance');
    const files: string[] = [];
    const walk = (d: string): void => {
      for (const e of readdirSync(d, { withFileTypes: true })) {
        if (e.isDirectory()) walk(join(d, e.name));
        else if (e.name.endsWith('.parquet') && !d.includes('_delta_log')) files.push(join(d, e.name));
      }
    };
    walk(root);
    expect(files.length).toBeGreaterThan(50);
    const corpus = new LocalStore(root);
    let checked = 0;
    for (const abs of files) {
      const path = relative(root, abs);
      const whole = new Uint8Array(readFileSync(abs));
      let ref: Table;
      try {
        ref = readParquet(whole);
      } catch {
        continue; // files the whole-file reader refuses (unsupported features) have nothing to compare against
      }
      const f = new RangedParquetFile(corpus, path, { size: whole.length, threads: 0 });
      const footer = await f.footer();
      const counts = footer.rowGroups.map((r) => r.numRows);
      const all = footer.rowGroups.map((_, i) => i);
      const names = ref.schema.fields.map((x) => x.name);
      // One column per decode task, in the worker pool (INT96 fix-ups included), zipped back.
      const split = new RangedParquetFile(corpus, path, { size: whole.length, threads: 2, inlineBelow: 0, decodeTaskBytes: 1 });
      for (const [reader, columns] of [...[undefined, ...names.map((n) => [n])].map((c) => [f, c] as const), [split, undefined] as const]) {
        const want = reference(whole, counts, all, columns);
        const got = await reader.readRowGroups(all, columns);
        const what = `${path} ${String(columns)}${reader === split ? ' (split)' : ''}`;
        expect(got.schema.fields.map((x) => x.name), what).toEqual(want.names);
        expect(got.schema.fields.map((x) => String(x.type)), what).toEqual(want.types);
        expect(rows(got), what).toEqual(want.rows);
      }
      checked++;
    }
    expect(checked).toBeGreaterThan(50);
  });

  it('groups columns into decode tasks by uncompressed bytes, in file order, one column at least', async () => {
    writeFile('groups.parquet', sample, 5_000);
    const footer = await new RangedParquetFile(store, 'groups.parquet').footer();
    const size = (c: string, groups: number[]): number =>
      groups.reduce((n, g) => n + footer.rowGroups[g]!.columns.filter((x) => x.pathInSchema[0] === c).reduce((m, x) => m + x.totalUncompressedSize, 0), 0);
    const all = ['id', 'x', 'k', 's'];
    expect(decodeGroups(footer, [0], all, 1)).toEqual([['id'], ['x'], ['k'], ['s']]);
    expect(decodeGroups(footer, [0, 1], all, Number.MAX_SAFE_INTEGER)).toEqual([all]);
    // id + x fit a budget of exactly their size in row groups 0 and 1; k starts the next task.
    const budget = size('id', [0, 1]) + size('x', [0, 1]);
    expect(decodeGroups(footer, [0, 1], all, budget)[0]).toEqual(['id', 'x']);
    const three = size('id', [0]) + size('x', [0]) + size('k', [0]);
    expect(decodeGroups(footer, [0], all, three)).toEqual([['id', 'x', 'k'], ['s']]);
    expect(decodeGroups(footer, [2], ['s', 'id'], 1)).toEqual([['s'], ['id']]);
  });

  it('reads a footer longer than the speculative tail with one more ranged read', async () => {
    // 120 columns x 40 row groups: the footer is several times SPECULATIVE_TAIL.
    const cols: Record<string, Int32Array> = {};
    for (let c = 0; c < 120; c++) cols[`c${c}`] = Int32Array.from({ length: 400 }, (_, i) => i * c);
    const whole = writeFile('wide.parquet', tableFromArrays(cols), 10);
    const footerLen = new DataView(whole.buffer, whole.byteOffset + whole.length - 8, 4).getUint32(0, true);
    expect(footerLen).toBeGreaterThan(SPECULATIVE_TAIL);
    const counted = countingStore(store);
    const tail = await readParquetTail(counted.store, 'wide.parquet');
    expect(counted.reads()).toBe(2);
    expect(counted.bytes()).toBe(footerLen + 8);
    expect(tail.footer.rowGroups.length).toBe(40);
    expect(tail.size).toBe(whole.length);
    await expectSame('wide.parquet', whole, [17, 39], ['c0', 'c119', 'c64']);
  });

  it('a truncated or corrupt file fails with a ProtocolError naming the file', async () => {
    const whole = readFileSync(join(dir, 'sample.parquet'));
    const cases: Array<[string, Uint8Array, RegExp]> = [
      ['truncated.parquet', whole.subarray(0, whole.length - 100), /no PAR1 magic/],
      ['tiny.parquet', whole.subarray(0, 7), /not a Parquet file/],
      ['badlen.parquet', (() => {
        const b = new Uint8Array(whole);
        new DataView(b.buffer).setUint32(b.length - 8, 0x7fffffff, true);
        return b;
      })(), /footer length .* exceeds the file size/],
      ['garbage.parquet', (() => {
        const b = new Uint8Array(whole);
        const len = new DataView(b.buffer).getUint32(b.length - 8, true);
        b.fill(0xff, b.length - 8 - len, b.length - 8 - len + 64);
        return b;
      })(), /malformed|invalid Parquet footer/],
      ['chunk-outside.parquet', (() => {
        // A footer claiming 20 row groups' worth of chunk bytes beyond the end: cut the data, keep the footer.
        const len = new DataView(whole.buffer, whole.byteOffset).getUint32(whole.length - 8, true);
        const b = new Uint8Array(4 + len + 8);
        b.set(whole.subarray(0, 4));
        b.set(whole.subarray(whole.length - 8 - len), 4);
        return b;
      })(), /outside the file/],
    ];
    for (const [name, bytes, pattern] of cases) {
      writeFileSync(join(dir, name), bytes);
      const f = new RangedParquetFile(store, name, { size: bytes.length, threads: 0 });
      const err = await f.readRowGroups([0], ['id']).then(
        () => null,
        (e: unknown) => e,
      );
      expect(err, name).toBeInstanceOf(ProtocolError);
      expect((err as ProtocolError).file, name).toBe(name);
      expect((err as Error).message, name).toMatch(pattern);
      expect((err as Error).message, name).toContain(name);
    }
  });

  it('a wrong add.size costs one HEAD, not the read; a short transfer is a StorageError, not wrong rows', async () => {
    const whole = readFileSync(join(dir, 'sample.parquet'));
    for (const size of [whole.length + 10, whole.length - 10, 1]) {
      const f = new RangedParquetFile(store, 'sample.parquet', { size, threads: 0 });
      expect((await f.readRowGroups([2], ['id'])).getChild('id')!.get(0)).toBe(4_000n);
    }
    const short: ObjectStore = Object.create(store) as ObjectStore;
    short.getRange = async (p, s, e) => (await store.getRange(p, s, e)).subarray(0, Math.max(0, e - s - 1));
    const f = new RangedParquetFile(short, 'sample.parquet', { size: whole.length, threads: 0 });
    const err = await f.footer().then(
      () => null,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(StorageError);
    expect((err as Error).message).toMatch(/short read .*sample\.parquet/);
  });

  it('a one-row-group read transfers the footer and that row group only', async () => {
    const big = tableFromArrays({
      id: BigInt64Array.from({ length: 200_000 }, (_, i) => BigInt(i)),
      x: Float64Array.from({ length: 200_000 }, (_, i) => Math.cos(i)),
    });
    const whole = writeFile('big.parquet', big, 20_000);
    const counted = countingStore(store);
    const f = new RangedParquetFile(counted.store, 'big.parquet', { size: whole.length, threads: 0 });
    const footer = await f.footer();
    const rg = footer.rowGroups[4]!;
    const t = await f.readRowGroups([4], ['id']);
    expect(t.numRows).toBe(20_000);
    expect(t.getChild('id')!.get(0)).toBe(80_000n);
    const idChunk = rg.columns.find((c) => c.pathInSchema[0] === 'id')!.totalCompressedSize;
    expect(counted.reads()).toBe(2); // the tail, then one column chunk
    expect(counted.bytes()).toBe(Math.min(whole.length, SPECULATIVE_TAIL) + idChunk);
    expect(counted.bytes()).toBeLessThan(whole.length * 0.1);
  });

  it('coalesces ranges closer than the gap, never past the size cap', () => {
    const r = [
      { start: 100, end: 200 },
      { start: 250, end: 300 },
      { start: 5000, end: 6000 },
      { start: 5500, end: 5600 },
    ];
    expect(coalesceRanges(r, 100)).toEqual([
      { start: 100, end: 300 },
      { start: 5000, end: 6000 },
    ]);
    expect(coalesceRanges(r, 10_000)).toEqual([{ start: 100, end: 6000 }]);
    expect(coalesceRanges(r, 10_000, 1000)).toEqual([
      { start: 100, end: 300 },
      { start: 5000, end: 6000 },
    ]);
    // Touching ranges merge only under the cap; overlapping ones always.
    expect(coalesceRanges([{ start: 0, end: 600 }, { start: 600, end: 1200 }, { start: 1100, end: 1300 }], 10, 1000)).toEqual([
      { start: 0, end: 600 },
      { start: 600, end: 1300 },
    ]);
    expect(coalesceRanges(r, 0)).toEqual([
      { start: 100, end: 200 },
      { start: 250, end: 300 },
      { start: 5000, end: 6000 },
    ]);
  });

  it('reads a range longer than the part size in concurrent parts, byte for byte', async () => {
    const whole = readFileSync(join(dir, 'sample.parquet'));
    const counted = countingStore(store);
    const ranges = [
      { start: 4, end: 10_000 },
      { start: 20_000, end: 20_100 },
      { start: 30_000, end: whole.length },
    ];
    const got = await fetchRanges(counted.store, 'sample.parquet', ranges, 3, 4096);
    const parts = ranges.reduce((n, r) => n + Math.ceil((r.end - r.start) / 4096), 0);
    expect(counted.reads()).toBe(parts);
    got.forEach((g, i) => {
      expect(g.start).toBe(ranges[i]!.start);
      expect(Buffer.from(g.bytes).equals(whole.subarray(ranges[i]!.start, ranges[i]!.end))).toBe(true);
    });
  });

  it('is sound on a file whose size is unknown (one HEAD)', async () => {
    const whole = readFileSync(join(dir, 'sample.parquet'));
    expect(statSync(join(dir, 'sample.parquet')).size).toBe(whole.length);
    const f = new RangedParquetFile(store, 'sample.parquet', { threads: 0 });
    const t = await f.readRowGroups([1], ['k']);
    expect(t.numRows).toBe(2_000);
  });
});
