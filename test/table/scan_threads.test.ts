// Scans and writes through the Parquet worker pool: a table read with worker threads equals the same table read on
// the calling thread (several files, each past the inline-decode size), and the handle's `threads` option reaches both.
import { tableFromArrays } from 'apache-arrow';
import { afterAll, describe, expect, it } from 'vitest';
import { DeltaTable, type StructType } from '../../src/index.js';
import { parquetPool } from '../../src/storage/parquet_pool.js';
import { cleanupTempDirs, tempDir } from '../helpers/tmp.js';

afterAll(async () => {
  cleanupTempDirs();
  await parquetPool(2)!.close();
});

const schema: StructType = {
  type: 'struct',
  fields: [
    { name: 'id', type: 'long', nullable: false, metadata: {} },
    { name: 'v', type: 'double', nullable: true, metadata: {} },
    { name: 's', type: 'string', nullable: true, metadata: {} },
  ],
};

function rows(start: number, n: number): ReturnType<typeof tableFromArrays> {
  return tableFromArrays({
    id: BigInt64Array.from({ length: n }, (_, i) => BigInt(start + i)),
    v: Float64Array.from({ length: n }, (_, i) => Math.sin(start + i)),
    s: Array.from({ length: n }, (_, i) => (i % 5 === 0 ? null : `s-${(start + i) * 7919}`)),
  });
}

describe('worker-thread decode and encode of a table', () => {
  it('threads 2 and threads 0 read the same rows; a several-file write encodes in the pool', async () => {
    const dir = tempDir();
    await parquetPool(2)!.close();
    const table = await DeltaTable.create(dir, { schema, threads: 2 });
    // One whole write of 400k rows split into several files by a small target: encoded in the pool.
    const res = await table.append(rows(0, 400_000), { targetFileSize: 3 * 1024 * 1024 });
    expect(res.addedFiles.length).toBeGreaterThan(2);
    expect(Math.min(...res.addedFiles.map((a) => a.size))).toBeGreaterThan(64 * 1024);
    expect(parquetPool(2)!.started).toBeGreaterThan(0);
    await parquetPool(2)!.close();

    const pooled = await (await DeltaTable.open(dir, { threads: 2 })).scan({ filter: 'id % 3 = 0' }).toArrow();
    expect(parquetPool(2)!.threads).toBeGreaterThan(0);
    const inline = await (await DeltaTable.open(dir)).scan({ filter: 'id % 3 = 0', threads: 0 }).toArrow();
    expect(pooled.numRows).toBe(133_334);
    expect(pooled.numRows).toBe(inline.numRows);
    for (const c of ['id', 'v', 's']) {
      expect(pooled.getChild(c)!.toArray()).toEqual(inline.getChild(c)!.toArray());
    }
  });
});
