// Ranged Parquet reads on a real S3 server (radosgw): a one-row-group read transfers the footer and that row group's
// chunks only (bytes counted), and a connection dropped in the middle of a ranged read is a typed StorageError.
import { afterAll, describe, expect, it } from 'vitest';
import { tableFromArrays } from 'apache-arrow';
import { StorageError } from '../../src/errors.js';
import { readParquet, writeParquet } from '../../src/storage/parquet.js';
import { RangedParquetFile } from '../../src/storage/parquet_ranged.js';
import { SPECULATIVE_TAIL } from '../../src/storage/parquet_tail.js';
import { S3Store } from '../../src/storage/s3.js';
import { countingStore } from './counting_store.js';
import { startCuttingTcpProxy, type Proxy } from './proxies.js';
import { freshS3Uri, s3Env, s3Options } from './s3_env.js';

const s3 = s3Env();
const proxies: Proxy[] = [];
afterAll(async () => {
  for (const p of proxies.splice(0)) await p.close();
});

const N = 300_000;
const table = tableFromArrays({
  id: BigInt64Array.from({ length: N }, (_, i) => BigInt(i)),
  x: Float64Array.from({ length: N }, (_, i) => Math.sqrt(i) * 1.5),
  s: Array.from({ length: N }, (_, i) => `row-${i}-${(i * 7919) % 10007}`),
});
const bytes = writeParquet(table, { rowGroupSize: 30_000 });

describe.skipIf(s3 === null)('ranged Parquet reads on S3 (radosgw)', () => {
  it('reads one row group of two columns with ranged GETs: footer + those chunks, rows equal to a whole-file decode', async () => {
    const store = new S3Store(freshS3Uri(s3!, 'ranged'), s3Options(s3!));
    await store.put('part-0.parquet', bytes);
    const counted = countingStore(store);
    const f = new RangedParquetFile(counted.store, 'part-0.parquet', { size: bytes.length, threads: 0 });
    const footer = await f.footer();
    expect(footer.rowGroups.length).toBe(10);
    const got = await f.readRowGroups([7], ['id', 's']);
    const want = readParquet(bytes).select(['id', 's']).slice(210_000, 240_000);
    expect(got.numRows).toBe(30_000);
    expect(got.toArray().map((r) => JSON.stringify(r, (_k, v: unknown) => (typeof v === 'bigint' ? String(v) : v)))).toEqual(
      want.toArray().map((r) => JSON.stringify(r, (_k, v: unknown) => (typeof v === 'bigint' ? String(v) : v))),
    );
    const rg = footer.rowGroups[7]!;
    const chunks = rg.columns.filter((c) => c.pathInSchema[0] !== 'x').reduce((n, c) => n + c.totalCompressedSize, 0);
    const xChunk = rg.columns.find((c) => c.pathInSchema[0] === 'x')!.totalCompressedSize;
    // The tail, then id..s coalesced (x lies between them, under the 1 MiB gap) or read apart.
    expect(counted.bytes()).toBeLessThanOrEqual(SPECULATIVE_TAIL + chunks + xChunk);
    expect(counted.bytes()).toBeGreaterThanOrEqual(Math.min(SPECULATIVE_TAIL, bytes.length) + chunks);
    expect(counted.bytes() / bytes.length).toBeLessThan(0.15);
    expect(counted.reads()).toBeLessThanOrEqual(3);
  });

  it('a connection dropped in the middle of a ranged read fails with a StorageError naming the object', async () => {
    const uri = freshS3Uri(s3!, 'ranged-cut');
    await new S3Store(uri, s3Options(s3!)).put('part-0.parquet', bytes);
    // Every response is cut 4 KiB in: headers pass, the ranged body does not.
    const proxy = await startCuttingTcpProxy(s3!.endpoint, 4096, 'response');
    proxies.push(proxy);
    const store = new S3Store(uri, s3Options({ ...s3!, endpoint: proxy.endpoint }, { maxRetries: 1 }));
    const f = new RangedParquetFile(store, 'part-0.parquet', { size: bytes.length, threads: 0 });
    const err = await f.readRowGroups([3], ['s']).then(
      () => null,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(StorageError);
    expect((err as Error).message).toContain('part-0.parquet');
    expect((err as Error).message).toMatch(/GetObject \(range\) failed|short read/);
    expect(proxy.cuts()).toBeGreaterThanOrEqual(2); // the attempt and its retry were both cut
  });
});
