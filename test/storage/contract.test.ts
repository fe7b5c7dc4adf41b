// ObjectStore contract, run over LocalStore (temp dir) and S3Store (real radosgw, fresh prefix per test).
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { NotFoundError } from '../../src/errors.js';
import { LocalStore } from '../../src/storage/local.js';
import { S3Store } from '../../src/storage/s3.js';
import { listAll, type ObjectStore } from '../../src/storage/store.js';
import { raceChildren } from './race.js';
import { freshS3Uri, s3Env, s3Options } from './s3_env.js';

const enc = (s: string): Uint8Array => new TextEncoder().encode(s);
const dec = (b: Uint8Array): string => new TextDecoder().decode(b);

const s3 = s3Env();
const tempDirs: string[] = [];
afterAll(() => {
  for (const d of tempDirs) rmSync(d, { recursive: true, force: true });
});

interface Backend {
  name: string;
  skip: boolean;
  /** A fresh empty store plus the URI/options a child process needs to open the same store. */
  make(): { store: ObjectStore; uri: string; options: Record<string, string> };
}

const backends: Backend[] = [
  {
    name: 'LocalStore',
    skip: false,
    make() {
      const dir = mkdtempSync(path.join(tmpdir(), 'deltats-store-'));
      tempDirs.push(dir);
      return { store: new LocalStore(dir), uri: dir, options: {} };
    },
  },
  {
    name: 'S3Store',
    skip: s3 === null,
    make() {
      const uri = freshS3Uri(s3!, 'contract');
      const options = s3Options(s3!) as Record<string, string>;
      return { store: new S3Store(uri, options), uri, options };
    },
  },
];

/** Write many small objects with bounded concurrency. */
async function putMany(store: ObjectStore, paths: string[], concurrency = 32): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      for (let i = next++; i < paths.length; i = next++) await store.put(paths[i]!, enc(paths[i]!));
    }),
  );
}

describe.each(backends)('ObjectStore contract: $name', (backend) => {
  if (backend.skip) {
    it.skip('S3 server not available (DELTATS_SKIP_S3=1)', () => {});
    return;
  }
  let store: ObjectStore;
  let uri: string;
  let options: Record<string, string>;
  beforeEach(() => {
    ({ store, uri, options } = backend.make());
  });

  it('put/get round-trips bytes and put overwrites', async () => {
    await store.put('a/b.txt', enc('hello'));
    expect(dec(await store.get('a/b.txt'))).toBe('hello');
    await store.put('a/b.txt', enc('hello again'));
    expect(dec(await store.get('a/b.txt'))).toBe('hello again');
    await store.put('empty', new Uint8Array(0));
    expect((await store.get('empty')).length).toBe(0);
  });

  it('get of a missing object throws NotFoundError naming it', async () => {
    await expect(store.get('_delta_log/00000000000000000000.json')).rejects.toThrow(NotFoundError);
    await expect(store.get('_delta_log/00000000000000000000.json')).rejects.toThrow(/_delta_log\/00000000000000000000\.json/);
    await expect(store.getRange('nope.parquet', 0, 4)).rejects.toThrow(NotFoundError);
  });

  it('getRange returns [start, end) like a Parquet footer read, truncated at the end of the object', async () => {
    const bytes = new Uint8Array(1000).map((_, i) => i % 256);
    await store.put('part-0.parquet', bytes);
    expect([...(await store.getRange('part-0.parquet', 992, 1000))]).toEqual([...bytes.subarray(992, 1000)]);
    expect([...(await store.getRange('part-0.parquet', 0, 4))]).toEqual([0, 1, 2, 3]);
    expect([...(await store.getRange('part-0.parquet', 998, 1010))]).toEqual([bytes[998], bytes[999]]);
    expect((await store.getRange('part-0.parquet', 1000, 1010)).length).toBe(0);
    expect((await store.getRange('part-0.parquet', 5, 5)).length).toBe(0);
  });

  it('head gives size or null', async () => {
    expect(await store.head('x.bin')).toBeNull();
    await store.put('x.bin', new Uint8Array(123));
    const m = await store.head('x.bin');
    expect(m?.path).toBe('x.bin');
    expect(m?.size).toBe(123);
    expect(m?.lastModified).toBeInstanceOf(Date);
    expect(Math.abs(m!.lastModified.getTime() - Date.now())).toBeLessThan(10 * 60_000);
  });

  it('putIfAbsent creates once and never overwrites', async () => {
    expect(await store.putIfAbsent('_delta_log/00000000000000000000.json', enc('first'))).toBe(true);
    expect(await store.putIfAbsent('_delta_log/00000000000000000000.json', enc('second'))).toBe(false);
    expect(dec(await store.get('_delta_log/00000000000000000000.json'))).toBe('first');
  });

  it('list: prefix, lexicographic order, startAfter, non-recursive', async () => {
    const paths = [
      '_delta_log/00000000000000000010.json',
      '_delta_log/00000000000000000002.json',
      '_delta_log/00000000000000000002.checkpoint.parquet',
      '_delta_log/_last_checkpoint',
      '_delta_log/_commits/00000000000000000011.uuid.json',
      'part-1.parquet',
      'x=1/part-2.parquet',
      'x=10/part-3.parquet',
      'x=1-a/part-4.parquet',
    ];
    await putMany(store, paths);
    const all = (await listAll(store, '')).map((m) => m.path);
    expect(all).toEqual([...paths].sort());
    const log = (await listAll(store, '_delta_log/')).map((m) => m.path);
    expect(log).toEqual([
      '_delta_log/00000000000000000002.checkpoint.parquet',
      '_delta_log/00000000000000000002.json',
      '_delta_log/00000000000000000010.json',
      '_delta_log/_commits/00000000000000000011.uuid.json',
      '_delta_log/_last_checkpoint',
    ]);
    const after = (await listAll(store, '_delta_log/', { startAfter: '_delta_log/00000000000000000002.json' })).map((m) => m.path);
    expect(after).toEqual(['_delta_log/00000000000000000010.json', '_delta_log/_commits/00000000000000000011.uuid.json', '_delta_log/_last_checkpoint']);
    const flat = (await listAll(store, '_delta_log/', { recursive: false })).map((m) => m.path);
    expect(flat).toEqual(log.filter((p) => !p.includes('_commits/')));
    expect((await listAll(store, 'x=1/')).map((m) => m.path)).toEqual(['x=1/part-2.parquet']);
    expect((await listAll(store, '', { recursive: false })).map((m) => m.path)).toEqual(['part-1.parquet']);
    expect(await listAll(store, 'nothing-here/')).toEqual([]);
    const sizes = await listAll(store, 'part-1');
    expect(sizes.map((m) => m.size)).toEqual([enc('part-1.parquet').length]);
  });

  it('list paginates past 1,000 keys in order and honours startAfter', async () => {
    const paths = Array.from({ length: 1100 }, (_, i) => `_delta_log/${String(i).padStart(20, '0')}.json`);
    await putMany(store, paths);
    const listed = (await listAll(store, '_delta_log/')).map((m) => m.path);
    expect(listed.length).toBe(1100);
    expect(listed).toEqual(paths);
    const after = (await listAll(store, '_delta_log/', { startAfter: paths[49]! })).map((m) => m.path);
    expect(after).toEqual(paths.slice(50));
  });

  it('delete removes, absent is not an error; deleteMany handles > 1,000 keys', async () => {
    await store.put('a.txt', enc('a'));
    await store.delete('a.txt');
    expect(await store.head('a.txt')).toBeNull();
    await store.delete('a.txt');
    const paths = Array.from({ length: 1100 }, (_, i) => `data/part-${String(i).padStart(5, '0')}.parquet`);
    await putMany(store, [...paths, 'keep.parquet']);
    await store.deleteMany([...paths, 'never-existed.parquet']);
    expect((await listAll(store, '')).map((m) => m.path)).toEqual(['keep.parquet']);
    await store.deleteMany([]);
  });

  it('putIfAbsent: 20 concurrent requests on one key -> exactly one wins, its bytes stay', async () => {
    const key = '_delta_log/00000000000000000001.json';
    const results = await Promise.all(Array.from({ length: 20 }, (_, i) => store.putIfAbsent(key, enc(`writer-${i}`))));
    expect(results.filter((r) => r).length).toBe(1);
    const winner = results.indexOf(true);
    expect(dec(await store.get(key))).toBe(`writer-${winner}`);
  });

  it('putIfAbsent: 8 real child processes on one key -> exactly one wins', async () => {
    const key = '_delta_log/00000000000000000005.json';
    const results = await raceChildren(uri, key, 8, options);
    expect(results.length).toBe(8);
    const winners = results.filter((r) => r.won);
    expect(winners.length).toBe(1);
    expect(dec(await store.get(key))).toBe(winners[0]!.id);
  });
});
