import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { decodeRoaringBitmapArray, readDeletionVector } from '../../src/log/deletion_vectors.js';
import { encodeRoaringBitmapArray, writeDeletionVector, writeDeletionVectors } from '../../src/log/deletion_vector_write.js';
import { LocalStore } from '../../src/storage/local.js';
import { InvalidArgumentError } from '../../src/errors.js';

function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => ((s = (s * 1664525 + 1013904223) >>> 0) / 2 ** 32);
}

const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

describe('deletion vector writer', () => {
  const cases: Array<[string, number[]]> = [
    ['one row', [0]],
    ['sparse rows', [3, 17, 65535, 65536, 70000, 1_000_000]],
    ['dense container (bitmap, > 4096 values)', Array.from({ length: 10000 }, (_, i) => i * 3)],
    ['several buckets (row indexes beyond 2^32)', [1, 2 ** 32 - 1, 2 ** 32, 2 ** 32 + 5, 3 * 2 ** 32 + 65536 * 7]],
  ];
  it.each(cases)('encodes %s so that the reader decodes the same rows', (_name, rows) => {
    expect(decodeRoaringBitmapArray(encodeRoaringBitmapArray(rows)).toArray()).toEqual(rows);
  });

  it('round-trips random row sets through the decoder', () => {
    const r = rng(7);
    for (let t = 0; t < 30; t++) {
      const set = new Set<number>();
      const n = Math.floor(r() * 6000);
      const span = [100, 70000, 500000][t % 3]!;
      for (let i = 0; i < n; i++) set.add(Math.floor(r() * span));
      const rows = [...set].sort((a, b) => a - b);
      expect(decodeRoaringBitmapArray(encodeRoaringBitmapArray(rows)).toArray()).toEqual(rows);
    }
  });

  it('refuses unsorted or duplicate rows', () => {
    expect(() => encodeRoaringBitmapArray([2, 1])).toThrow(InvalidArgumentError);
    expect(() => encodeRoaringBitmapArray([1, 1])).toThrow(InvalidArgumentError);
  });

  it('writes deletion_vector_<uuid>.bin at the table root that readDeletionVector reads back (size, checksum, cardinality)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'dvw-'));
    dirs.push(dir);
    const store = new LocalStore(dir);
    const rows = [0, 5, 9, 4096, 100000];
    const dv = await writeDeletionVector(store, rows);
    expect(dv.storageType).toBe('u');
    expect(dv.pathOrInlineDv).toHaveLength(20);
    expect(dv.offset).toBe(1);
    expect(dv.cardinality).toBe(5);
    const files = readdirSync(dir);
    expect(files).toHaveLength(1);
    expect(files[0]).toMatch(/^deletion_vector_[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[0-9a-f]{4}-[0-9a-f]{12}\.bin$/);
    expect((await readDeletionVector(store, dv)).toArray()).toEqual(rows);
    // A descriptor with a wrong size is refused by the reader (the size field is the bitmap's).
    await expect(readDeletionVector(store, { ...dv, sizeInBytes: dv.sizeInBytes + 1 })).rejects.toThrow(/size|truncated/);
  });

  it('writes the DVs of several data files into one file, each at its own offset, each read back alone', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'dvw-'));
    dirs.push(dir);
    const store = new LocalStore(dir);
    const sets = [[0, 5, 9], Array.from({ length: 5000 }, (_, i) => i * 2), [2 ** 32 + 1], [70000]];
    const dvs = await writeDeletionVectors(store, sets);
    expect(readdirSync(dir)).toHaveLength(1);
    expect(new Set(dvs.map((d) => d.pathOrInlineDv)).size).toBe(1);
    expect(dvs[0]!.offset).toBe(1);
    for (let k = 1; k < dvs.length; k++) expect(dvs[k]!.offset).toBe(dvs[k - 1]!.offset! + 4 + dvs[k - 1]!.sizeInBytes + 4);
    for (let k = 0; k < sets.length; k++) {
      expect(dvs[k]!.cardinality).toBe(sets[k]!.length);
      expect((await readDeletionVector(store, dvs[k]!)).toArray()).toEqual(sets[k]);
    }
    expect(await writeDeletionVectors(store, [])).toEqual([]);
    await expect(writeDeletionVectors(store, [[1], []])).rejects.toThrow(InvalidArgumentError);
  });
});
