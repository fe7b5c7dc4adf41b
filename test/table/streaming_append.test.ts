// Streamed writes: append / overwrite take an (async) iterable of Arrow tables, batches or arrays of objects and write
// files as the rows arrive. Checked on real files: rows read back, several files and one commit, rows held by the
// writer bounded (counted by the store: rows produced minus rows in files already put), per-chunk schema errors,
// and a failing input or check leaving the table and its folder as they were.
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { RecordBatch, tableFromArrays } from 'apache-arrow';
import { afterAll, describe, expect, it } from 'vitest';
import { DeltaTable, SchemaMismatchError, StorageError, type StructType } from '../../src/index.js';
import { LocalStore } from '../../src/storage/local.js';
import { readParquetFooter } from '../../src/storage/parquet.js';
import type { ObjectStore } from '../../src/storage/store.js';
import { cleanupTempDirs, tempDir } from '../helpers/tmp.js';

afterAll(cleanupTempDirs);

const schema: StructType = {
  type: 'struct',
  fields: [
    { name: 'id', type: 'long', nullable: false, metadata: {} },
    { name: 'x', type: 'double', nullable: true, metadata: {} },
  ],
};

/** A local store that counts the rows of every data file once its put completed. */
function countingStore(dir: string): { store: ObjectStore; putRows: () => number; failCommits: (on: boolean) => void } {
  const local = new LocalStore(dir);
  let rows = 0;
  let failing = false;
  const store = Object.create(local) as ObjectStore;
  store.put = async (path, data) => {
    await local.put(path, data);
    if (path.endsWith('.parquet')) rows += readParquetFooter(data, path).numRows;
  };
  store.putIfAbsent = async (path, data) => {
    if (failing && path.startsWith('_delta_log/')) throw new StorageError('refused by the test', path, { notWritten: true });
    return local.putIfAbsent(path, data);
  };
  return { store, putRows: () => rows, failCommits: (on) => (failing = on) };
}

function batch(start: number, n: number): RecordBatch {
  const id = BigInt64Array.from({ length: n }, (_, i) => BigInt(start + i));
  const x = Float64Array.from({ length: n }, (_, i) => (start + i) / 2);
  return tableFromArrays({ id, x }).batches[0]!;
}

/** Data files under the table folder (committed or not). */
function parquetFiles(dir: string): string[] {
  return (readdirSync(dir, { recursive: true }) as string[]).filter((f) => f.endsWith('.parquet') && !f.startsWith('_delta_log'));
}

describe('streamed append', () => {
  it('3M rows from an async generator in 10k-row batches: rows equal, several files, one commit, bounded buffering', async () => {
    const dir = tempDir();
    const { store, putRows } = countingStore(dir);
    const table = await DeltaTable.createInStore(store, { schema });
    const total = 3_000_000;
    const size = 10_000;
    let produced = 0;
    let maxAhead = 0;
    async function* gen(): AsyncGenerator<RecordBatch> {
      for (let s = 0; s < total; s += size) {
        maxAhead = Math.max(maxAhead, produced - putRows());
        produced += size;
        yield batch(s, size);
      }
    }
    const t0 = performance.now();
    const res = await table.append(gen(), { targetFileSize: 4 * 1024 * 1024 });
    console.log(`streamed append of ${total} rows: ${(performance.now() - t0).toFixed(0)} ms, ${res.addedFiles.length} files`);
    expect(res.version).toBe(1);
    expect(res.addedFiles.length).toBeGreaterThanOrEqual(8);
    expect(putRows()).toBe(total);
    const perFile = res.addedFiles.map((a) => (JSON.parse(a.stats!) as { numRecords: number }).numRecords);
    expect(perFile.reduce((a, b) => a + b, 0)).toBe(total);
    // The writer holds at most the file(s) in flight plus one buffer (+ the chunk being added), never the input.
    expect(maxAhead).toBeLessThanOrEqual(3 * Math.max(...perFile) + size);
    expect(maxAhead).toBeLessThan(total / 3);

    const reopened = await DeltaTable.open(dir);
    expect(reopened.version).toBe(1);
    const seen = new Uint8Array(total);
    let rows = 0;
    let wrongX = 0;
    for await (const b of reopened.scan()) {
      // Every column read through toArray: a chunked or sliced batch still yields its rows in order.
      const ids = b.getChild('id')!.toArray() as BigInt64Array;
      const xs = b.getChild('x')!.toArray() as Float64Array;
      for (let i = 0; i < b.numRows; i++) {
        const id = Number(ids[i]);
        if (xs[i] !== id / 2) wrongX++;
        seen[id]!++;
      }
      rows += b.numRows;
    }
    expect(rows).toBe(total);
    expect(wrongX).toBe(0);
    expect(seen.every((v) => v === 1)).toBe(true);
    const [h] = await reopened.history(1);
    expect(h!.operationMetrics?.numOutputRows).toBe(String(total));
    expect(h!.operationMetrics?.numFiles).toBe(String(res.addedFiles.length));
  });

  it('a sync generator of object arrays into a partitioned table, plain Tables mixed in', async () => {
    const dir = tempDir();
    const table = await DeltaTable.create(dir, {
      schema: { type: 'struct', fields: [...schema.fields, { name: 'p', type: 'string', nullable: true, metadata: {} }] },
      partitionBy: ['p'],
    });
    function* gen(): Generator<Record<string, unknown>[] | ReturnType<typeof tableFromArrays>> {
      for (let c = 0; c < 20; c++) yield Array.from({ length: 50 }, (_, i) => ({ id: BigInt(c * 50 + i), x: i, p: ['a', 'b', null][i % 3] }));
      yield tableFromArrays({ id: BigInt64Array.from([5000n]), x: Float64Array.from([1]), p: ['c'] });
    }
    const res = await table.append(gen());
    expect(res.addedFiles.map((a) => a.partitionValues.p ?? 'null').sort()).toEqual(['a', 'b', 'c', 'null']);
    const rows = await table.scan({ columns: ['id', 'p'] }).toArray();
    expect(rows.length).toBe(1001);
    expect(rows.filter((r) => r.p === 'a').length).toBe(340);
  });

  it('many partitions: the buffers of all partitions together stay bounded (the largest is written early)', async () => {
    const dir = tempDir();
    const { store, putRows } = countingStore(dir);
    const table = await DeltaTable.createInStore(store, {
      schema: { type: 'struct', fields: [...schema.fields, { name: 'p', type: 'integer', nullable: true, metadata: {} }] },
      partitionBy: ['p'],
    });
    const total = 400_000;
    const size = 5_000;
    let produced = 0;
    let maxAhead = 0;
    async function* gen(): AsyncGenerator<ReturnType<typeof tableFromArrays>> {
      for (let s = 0; s < total; s += size) {
        maxAhead = Math.max(maxAhead, produced - putRows());
        produced += size;
        const b = batch(s, size);
        yield tableFromArrays({ id: b.getChild('id')!.toArray(), x: b.getChild('x')!.toArray(), p: Int32Array.from({ length: size }, (_, i) => (s + i) % 40) });
      }
    }
    // 40 partitions of 160 KB each (16 bytes a row) never reach the 1 MiB target alone: only the total cap writes early.
    const res = await table.append(gen(), { targetFileSize: 1024 * 1024 });
    expect(putRows()).toBe(total);
    expect(new Set(res.addedFiles.map((a) => a.partitionValues.p)).size).toBe(40);
    expect(res.addedFiles.length).toBeGreaterThan(40);
    // 2 MiB of buffers (131k rows) + the files in flight, not the 400k rows of the input.
    expect(maxAhead).toBeLessThan(250_000);
    expect((await table.scan({ columns: ['id'] }).toArrow()).numRows).toBe(total);
  });

  it('refuses a chunk that breaks the schema, naming the chunk and the row; the files written before it are removed', async () => {
    const dir = tempDir();
    const table = await DeltaTable.create(dir, { schema });
    const before = table.version;
    let closed = false;
    async function* gen(): AsyncGenerator<RecordBatch | Record<string, unknown>[]> {
      try {
        for (let c = 0; c < 3; c++) yield batch(c * 1000, 1000);
        yield [{ id: 3000n, x: 1 }, { id: 3001n, x: 2 }, { id: null, x: 3 }];
        yield batch(9000, 10);
      } finally {
        closed = true;
      }
    }
    // A tiny target: every chunk becomes a file at once, so files exist when chunk 3 fails.
    const err = await table.append(gen(), { targetFileSize: 1 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SchemaMismatchError);
    const e = err as SchemaMismatchError;
    expect(e.batch).toBe(3);
    expect(e.row).toBe(3002);
    expect(e.column).toBe('id');
    expect(e.message).toMatch(/^input chunk 3, row 2 \(row 3002 of the input\): /);
    expect(closed).toBe(true); // the generator was told to stop
    expect(parquetFiles(dir)).toEqual([]);
    const reopened = await DeltaTable.open(dir);
    expect(reopened.version).toBe(before);
    expect(reopened.files()).toEqual([]);
  });

  it('an error thrown by the generator midway leaves the table unchanged: no commit, no data file left', async () => {
    const dir = tempDir();
    const table = await DeltaTable.create(dir, { schema });
    await table.append([{ id: 1n, x: 1 }]);
    const filesBefore = parquetFiles(dir);
    async function* gen(): AsyncGenerator<RecordBatch> {
      for (let c = 0; c < 5; c++) yield batch(c * 20_000, 20_000);
      throw new Error('source went away');
    }
    await expect(table.append(gen(), { targetFileSize: 64 * 1024 })).rejects.toThrow('source went away');
    expect(parquetFiles(dir)).toEqual(filesBefore);
    const reopened = await DeltaTable.open(dir);
    expect(reopened.version).toBe(1);
    expect(await reopened.scan().toArray()).toEqual([{ id: 1n, x: 1 }]);
  });

  it('a commit known not to have landed removes the streamed files', async () => {
    const dir = tempDir();
    const { store, failCommits } = countingStore(dir);
    const table = await DeltaTable.createInStore(store, { schema });
    failCommits(true);
    async function* gen(): AsyncGenerator<RecordBatch> {
      for (let c = 0; c < 4; c++) yield batch(c * 1000, 1000);
    }
    await expect(table.append(gen(), { targetFileSize: 1 })).rejects.toBeInstanceOf(StorageError);
    expect(parquetFiles(dir)).toEqual([]);
    expect((await DeltaTable.open(dir)).version).toBe(0);
  });

  it("schemaMode 'merge': a chunk with a new column widens the schema; earlier rows read it as null", async () => {
    const dir = tempDir();
    const table = await DeltaTable.create(dir, { schema });
    function* gen(): Generator<Record<string, unknown>[]> {
      yield [{ id: 1n, x: 1 }];
      yield [{ id: 2n, x: 2, tag: 'new' }];
      yield [{ id: 3n }];
    }
    const res = await table.append(gen(), { schemaMode: 'merge' });
    expect(res.addedFiles.length).toBe(2); // the rows before the new column went to a file of the old schema
    expect(table.schema.fields.map((f) => f.name)).toEqual(['id', 'x', 'tag']);
    const rows = (await table.scan().toArray()).sort((a, b) => Number(a.id) - Number(b.id));
    expect(rows).toEqual([
      { id: 1n, x: 1, tag: null },
      { id: 2n, x: 2, tag: 'new' },
      { id: 3n, x: null, tag: null },
    ]);
  });

  it('without a schema mode, a chunk with an extra column is refused naming the chunk', async () => {
    const table = await DeltaTable.create(tempDir(), { schema });
    function* gen(): Generator<Record<string, unknown>[]> {
      yield [{ id: 1n }];
      yield [{ id: 2n, extra: 1 }];
    }
    const err = (await table.append(gen()).catch((e: unknown) => e)) as SchemaMismatchError;
    expect(err).toBeInstanceOf(SchemaMismatchError);
    expect(err.batch).toBe(1);
    expect(err.message).toMatch(/^input chunk 1, row 0 \(row 1 of the input\): .*extra/);
    expect(table.version).toBe(0);
  });
});

describe('streamed overwrite', () => {
  it("schemaMode 'overwrite' with new partitioning: the first chunk sets the schema, later chunks must fit it", async () => {
    const dir = tempDir();
    const table = await DeltaTable.create(dir, { schema });
    await table.append([{ id: 1n, x: 1 }]);
    function* gen(): Generator<Record<string, unknown>[]> {
      yield [{ k: 'a', n: 1 }, { k: 'b', n: 2 }];
      yield [{ k: 'a', n: 3 }];
    }
    await table.overwrite(gen(), { schemaMode: 'overwrite', partitionBy: ['k'] });
    expect(table.partitionColumns).toEqual(['k']);
    expect(table.schema.fields.map((f) => f.name)).toEqual(['k', 'n']);
    const rows = (await table.scan().toArray()).map((r) => `${r.k}${r.n}`).sort();
    expect(rows).toEqual(['a1', 'a3', 'b2']);
    function* wrong(): Generator<Record<string, unknown>[]> {
      yield [{ k: 'a', n: 1 }];
      yield [{ k: 'a', n: 2, extra: true }];
    }
    const err = (await table.overwrite(wrong(), { schemaMode: 'overwrite', partitionBy: ['k'] }).catch((e: unknown) => e)) as SchemaMismatchError;
    expect(err).toBeInstanceOf(SchemaMismatchError);
    expect(err.batch).toBe(1);
  });

  it('replaces the rows with the streamed ones; replaceWhere is checked on every chunk', async () => {
    const dir = tempDir();
    const table = await DeltaTable.create(dir, { schema });
    await table.append([{ id: 1n, x: 1 }, { id: 100n, x: 100 }]);
    async function* good(): AsyncGenerator<RecordBatch> {
      yield batch(0, 10);
      yield batch(10, 10);
    }
    await table.overwrite(good(), { replaceWhere: 'id < 50' });
    const ids = (await table.scan({ columns: ['id'] }).toArray()).map((r) => Number(r.id)).sort((a, b) => a - b);
    expect(ids).toEqual([...Array.from({ length: 20 }, (_, i) => i), 100]);
    const filesBefore = parquetFiles(dir);
    async function* bad(): AsyncGenerator<RecordBatch> {
      yield batch(0, 10);
      yield batch(45, 10);
    }
    const err = (await table.overwrite(bad(), { replaceWhere: 'id < 50', targetFileSize: 1 }).catch((e: unknown) => e)) as SchemaMismatchError;
    expect(err).toBeInstanceOf(SchemaMismatchError);
    expect([err.batch, err.row]).toEqual([1, 15]);
    expect(err.message).toMatch(/input chunk 1, row 5 \(row 15 of the input\) does not match replaceWhere/);
    expect(parquetFiles(dir).sort()).toEqual(filesBefore.sort());
    await table.overwrite((async function* () {
      yield batch(7, 3);
    })());
    expect((await table.scan({ columns: ['id'] }).toArray()).map((r) => Number(r.id)).sort()).toEqual([7, 8, 9]);
  });
});
