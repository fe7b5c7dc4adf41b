import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { DataFileNotFoundError, ProtocolError } from '../../src/errors.js';
import type { DeletionVectorDescriptor } from '../../src/log/actions.js';
import {
  crc32,
  DeletedRows,
  DV_MAGIC,
  dvAbsolutePath,
  readDeletionVector,
  z85Decode,
  z85Encode,
} from '../../src/log/deletion_vectors.js';
import { storePathOf } from '../../src/log/paths.js';
import { LocalStore } from '../../src/storage/local.js';
import { readParquet } from '../../src/storage/parquet.js';
import { CONFORMANCE_DIR, HAVE_CONFORMANCE } from '../schema/helpers.js';

// ---- a small test-side encoder of Delta's RoaringBitmapArray (portable 64-bit Roaring), to exercise every
// container kind (array, bitmap, run) and several buckets, which the corpus DVs do not all cover.
type Kind = 'array' | 'bitmap' | 'run';
function encodeRoaring32(values: number[], kindOf: (key: number) => Kind): number[] {
  const byKey = new Map<number, number[]>();
  for (const v of values) {
    const k = Math.floor(v / 65536);
    if (!byKey.has(k)) byKey.set(k, []);
    byKey.get(k)!.push(v % 65536);
  }
  const keys = [...byKey.keys()].sort((a, b) => a - b);
  const kinds = keys.map(kindOf);
  const hasRun = kinds.includes('run');
  const out: number[] = [];
  const u16 = (x: number): void => void out.push(x & 0xff, (x >>> 8) & 0xff);
  const u32 = (x: number): void => void out.push(x & 0xff, (x >>> 8) & 0xff, (x >>> 16) & 0xff, (x >>> 24) & 0xff);
  if (hasRun) {
    u32(12347 | ((keys.length - 1) << 16));
    const flags = new Array<number>((keys.length + 7) >> 3).fill(0);
    kinds.forEach((k, i) => {
      if (k === 'run') flags[i >> 3]! |= 1 << (i & 7);
    });
    out.push(...flags);
  } else {
    u32(12346);
    u32(keys.length);
  }
  for (const k of keys) {
    u16(k);
    u16(byKey.get(k)!.length - 1);
  }
  const bodies: number[][] = keys.map((k, i) => {
    const vs = byKey.get(k)!.sort((a, b) => a - b);
    const b: number[] = [];
    const b16 = (x: number): void => void b.push(x & 0xff, (x >>> 8) & 0xff);
    if (kinds[i] === 'run') {
      const runs: Array<[number, number]> = [];
      for (const v of vs) {
        const last = runs[runs.length - 1];
        if (last && last[0] + last[1] + 1 === v) last[1]++;
        else runs.push([v, 0]);
      }
      b16(runs.length);
      for (const [s, l] of runs) {
        b16(s);
        b16(l);
      }
    } else if (kinds[i] === 'array') {
      for (const v of vs) b16(v);
    } else {
      const words = new Uint32Array(2048);
      for (const v of vs) words[v >> 5]! |= 1 << (v & 31);
      for (const w of words) b.push(w & 0xff, (w >>> 8) & 0xff, (w >>> 16) & 0xff, (w >>> 24) & 0xff);
    }
    return b;
  });
  if (!hasRun || keys.length >= 4) {
    let off = out.length + 4 * keys.length;
    for (const b of bodies) {
      u32(off);
      off += b.length;
    }
  }
  for (const b of bodies) out.push(...b);
  return out;
}

function encodeBitmapArray(rows: number[], kindOf: (key: number) => Kind = () => 'array'): Uint8Array {
  const buckets = new Map<number, number[]>();
  for (const r of rows) {
    const k = Math.floor(r / 2 ** 32);
    if (!buckets.has(k)) buckets.set(k, []);
    buckets.get(k)!.push(r - k * 2 ** 32);
  }
  const out: number[] = [];
  const u32 = (x: number): void => void out.push(x & 0xff, (x >>> 8) & 0xff, (x >>> 16) & 0xff, (x >>> 24) & 0xff);
  u32(DV_MAGIC);
  u32(buckets.size);
  u32(0);
  for (const k of [...buckets.keys()].sort((a, b) => a - b)) {
    u32(k);
    out.push(...encodeRoaring32(buckets.get(k)!, kindOf));
  }
  return Uint8Array.from(out);
}

/** A DV file (format version 1) holding the given bitmaps; returns the file bytes and each DV's offset. */
function dvFile(bitmaps: Uint8Array[]): { bytes: Uint8Array; offsets: number[] } {
  const parts: number[] = [1];
  const offsets: number[] = [];
  for (const bm of bitmaps) {
    offsets.push(parts.length);
    const be32 = (x: number): void => void parts.push((x >>> 24) & 0xff, (x >>> 16) & 0xff, (x >>> 8) & 0xff, x & 0xff);
    be32(bm.length);
    parts.push(...bm);
    be32(crc32(bm));
  }
  return { bytes: Uint8Array.from(parts), offsets };
}

const tmpDirs: string[] = [];
function tmp(): string {
  const d = mkdtempSync(join(tmpdir(), 'deltats-dv-'));
  tmpDirs.push(d);
  return d;
}
afterAll(() => {
  for (const d of tmpDirs) rmSync(d, { recursive: true, force: true });
});

describe('Z85', () => {
  it('decodes and encodes the RFC 32 test vector', () => {
    const bytes = Uint8Array.from([0x86, 0x4f, 0xd2, 0x6f, 0xb5, 0x59, 0xf7, 0x5b]);
    expect(Array.from(z85Decode('HelloWorld'))).toEqual(Array.from(bytes));
    expect(z85Encode(bytes)).toBe('HelloWorld');
  });
  it('rejects bad length and bad characters', () => {
    expect(() => z85Decode('abc')).toThrow(/multiple of 5/);
    expect(() => z85Decode('abc"e')).toThrow(ProtocolError);
    expect(() => z85Decode('abc"e')).toThrow(/position 3/);
  });
});

describe('dvAbsolutePath', () => {
  it('resolves PROTOCOL.md example 1 (relative with random prefix)', () => {
    const dv = { storageType: 'u', pathOrInlineDv: 'ab^-aqEH.-t@S}K{vb[*k^', offset: 4, sizeInBytes: 40, cardinality: 6 };
    expect(dvAbsolutePath(dv)).toBe('ab/deletion_vector_d2c639aa-8816-431a-aaf6-d3fe2512ff61.bin');
  });
  it('resolves a relative DV without prefix to the table root', () => {
    const dv = { storageType: 'u', pathOrInlineDv: 'vBn[lx{q8@P<9BNH/isA', offset: 1, sizeInBytes: 36, cardinality: 2 };
    expect(dvAbsolutePath(dv)).toBe('deletion_vector_61d16c75-6994-46b7-a15b-8b538852e50e.bin');
  });
  it('keeps absolute paths and refuses inline DVs', () => {
    const p = 's3://mytable/deletion_vector_d2c639aa-8816-431a-aaf6-d3fe2512ff61.bin';
    expect(dvAbsolutePath({ storageType: 'p', pathOrInlineDv: p, offset: 4, sizeInBytes: 40, cardinality: 6 })).toBe(p);
    expect(() => dvAbsolutePath({ storageType: 'i', pathOrInlineDv: 'x', sizeInBytes: 1, cardinality: 1 })).toThrow(
      /inline/,
    );
    expect(() => dvAbsolutePath({ storageType: 'q', pathOrInlineDv: 'x', sizeInBytes: 1, cardinality: 1 })).toThrow(
      /storageType 'q'/,
    );
  });
});

describe('storePathOf', () => {
  const store = new LocalStore('/tmp/some table');
  it('decodes URI-encoded relative paths', () => {
    expect(storePathOf(store, 'x=A%252F/part%20one.parquet')).toBe('x=A%2F/part one.parquet');
  });
  it('relativizes absolute URIs under the table root and rejects others', () => {
    expect(storePathOf(store, 'file:///tmp/some%20table/a/b.parquet')).toBe('a/b.parquet');
    expect(storePathOf(store, 'file:/tmp/some%20table/c.parquet')).toBe('c.parquet');
    expect(() => storePathOf(store, 'file:///elsewhere/c.parquet')).toThrow(/outside the table root/);
  });
});

describe('DeletedRows', () => {
  it('answers has(), cardinality, toArray() and keptIndexes()', () => {
    const d = new DeletedRows([0, 3, 9]);
    expect(d.cardinality).toBe(3);
    expect([0, 1, 3, 8, 9, 10, -1].map((i) => d.has(i))).toEqual([true, false, true, false, true, false, false]);
    expect(d.toArray()).toEqual([0, 3, 9]);
    expect(Array.from(d.keptIndexes(6))).toEqual([1, 2, 4, 5]);
    expect(DeletedRows.EMPTY.has(0)).toBe(false);
  });
});

describe('readDeletionVector (synthetic)', () => {
  it('reads inline DVs (delta-spark reads this one as 1, 3, 5)', async () => {
    const store = new LocalStore(tmp());
    const dv = { storageType: 'i', pathOrInlineDv: '^Bg9^0rr910000000000iXQKl0rr91000625c8Xg0rri41POJ5', sizeInBytes: 38, cardinality: 3 };
    expect((await readDeletionVector(store, dv)).toArray()).toEqual([1, 3, 5]);
  });

  it("refuses PROTOCOL.md's inline example, which uses the big-endian native layout (as delta-spark does)", async () => {
    const store = new LocalStore(tmp());
    const dv = { storageType: 'i', pathOrInlineDv: 'wi5b=000010000siXQKl0rr91000f55c8Xg0@@D72lkbi5=-{L', sizeInBytes: 40, cardinality: 6 };
    await expect(readDeletionVector(store, dv)).rejects.toThrow(/native RoaringBitmapArray layout/);
  });

  it('decodes array, bitmap and run containers across several 32-bit buckets', async () => {
    const dir = tmp();
    const store = new LocalStore(dir);
    const rows: number[] = [];
    for (let i = 0; i < 10; i++) rows.push(i * 3); // key 0: array container
    for (let i = 0; i < 5000; i++) rows.push(65536 + i * 2); // key 1: bitmap container (> 4096 values)
    for (let i = 0; i < 70000; i++) rows.push(3 * 65536 + i); // keys 3, 4: run containers
    rows.push(2 ** 32 + 7, 2 ** 32 + 65536 * 5 + 1); // bucket 1
    const kinds = (k: number): Kind => (k === 1 ? 'bitmap' : k >= 3 && k <= 4 ? 'run' : 'array');
    const first = encodeBitmapArray([2, 4], () => 'array');
    const second = encodeBitmapArray(rows, kinds);
    const { bytes, offsets } = dvFile([first, second]);
    const uuid = new Uint8Array(16).map((_, i) => i * 7);
    const z = z85Encode(uuid);
    const rel = `xy/deletion_vector_${Buffer.from(uuid).toString('hex').replace(/^(.{8})(.{4})(.{4})(.{4})/, '$1-$2-$3-$4-')}.bin`;
    await store.put(rel, bytes);
    const dv: DeletionVectorDescriptor = {
      storageType: 'u',
      pathOrInlineDv: `xy${z}`,
      offset: offsets[1]!,
      sizeInBytes: second.length,
      cardinality: rows.length,
    };
    expect(dvAbsolutePath(dv)).toBe(rel);
    const got = await readDeletionVector(store, dv);
    expect(got.cardinality).toBe(rows.length);
    expect(got.toArray()).toEqual([...rows].sort((a, b) => a - b));
    expect(got.has(2 ** 32 + 7)).toBe(true);
    expect(got.has(65536 + 1)).toBe(false);

    // The first DV of the same file, addressed by absolute URI ('p').
    const abs = `${pathToFileURL(join(dir, rel)).href}`;
    const p = { storageType: 'p', pathOrInlineDv: abs, offset: offsets[0]!, sizeInBytes: first.length, cardinality: 2 };
    expect((await readDeletionVector(store, p)).toArray()).toEqual([2, 4]);

    // Inline form of the same bitmap (padded to a multiple of 4 for Z85, sizeInBytes says the real length).
    const padded = new Uint8Array(Math.ceil(first.length / 4) * 4);
    padded.set(first);
    const inline = { storageType: 'i', pathOrInlineDv: z85Encode(padded), sizeInBytes: first.length, cardinality: 2 };
    expect((await readDeletionVector(store, inline)).toArray()).toEqual([2, 4]);
  });

  it('fails with typed errors naming the file: checksum, cardinality, size, missing file', async () => {
    const dir = tmp();
    const store = new LocalStore(dir);
    const bm = encodeBitmapArray([1, 5, 9]);
    const { bytes, offsets } = dvFile([bm]);
    const name = 'deletion_vector_00000000-0000-0000-0000-000000000000.bin';
    const z = z85Encode(new Uint8Array(16));
    const dv = { storageType: 'u', pathOrInlineDv: z, offset: offsets[0]!, sizeInBytes: bm.length, cardinality: 3 };

    await store.put(name, bytes);
    expect((await readDeletionVector(store, dv)).toArray()).toEqual([1, 5, 9]);
    await expect(readDeletionVector(store, { ...dv, cardinality: 4 })).rejects.toThrow(
      /holds 3 rows but its descriptor says cardinality 4.*deletion_vector_0000/,
    );
    await expect(readDeletionVector(store, { ...dv, sizeInBytes: bm.length - 1 })).rejects.toThrow(ProtocolError);

    const corrupt = bytes.slice();
    corrupt[offsets[0]! + 4 + bm.length - 1]! ^= 0xff; // flip a bitmap byte
    await store.put(name, corrupt);
    await expect(readDeletionVector(store, dv)).rejects.toThrow(/checksum mismatch.*deletion_vector_0000/);

    const badVersion = bytes.slice();
    badVersion[0] = 2;
    await store.put(name, badVersion);
    await expect(readDeletionVector(store, dv)).rejects.toThrow(/format version 2/);

    await store.delete(name);
    const err = await readDeletionVector(store, dv).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DataFileNotFoundError);
    expect((err as Error).message).toContain(name);
  });
});

// ---- Real DVs written by Spark / delta-rs
const DV_TABLES = [
  'spark-log-replay-dv-key-cases',
  'rs-table-with-dv-small',
  'spark-dv-partitioned-with-checkpoint',
  'spark-dv-with-columnmapping',
  'rs-table_with_deletion_logs',
  'rs-cdf-table-with-cdc-and-dvs',
];

function plain(v: unknown): unknown {
  return JSON.parse(JSON.stringify(v, (_k, x: unknown) => (typeof x === 'bigint' ? Number(x) : x)));
}

/** Every DV descriptor referenced by add/remove actions of the table's JSON commits and checkpoint parquet files. */
function dvDescriptors(table: string): Array<{ from: string; dv: DeletionVectorDescriptor }> {
  const logDir = resolve(CONFORMANCE_DIR, 'tables', table, '_delta_log');
  const out: Array<{ from: string; dv: DeletionVectorDescriptor }> = [];
  for (const f of readdirSync(logDir).sort()) {
    if (/^\d{20}\.json$/.test(f)) {
      for (const line of readFileSync(join(logDir, f), 'utf8').split('\n')) {
        if (!line.trim()) continue;
        const a = JSON.parse(line) as { add?: { deletionVector?: DeletionVectorDescriptor }; remove?: { deletionVector?: DeletionVectorDescriptor } };
        const dv = a.add?.deletionVector ?? a.remove?.deletionVector;
        if (dv) out.push({ from: f, dv });
      }
    } else if (/\.checkpoint(\.\d+\.\d+)?\.parquet$/.test(f)) {
      const t = readParquet(new Uint8Array(readFileSync(join(logDir, f))));
      for (const row of t.toArray() as Array<Record<string, unknown>>) {
        const r = plain(row) as { add?: { deletionVector?: DeletionVectorDescriptor }; remove?: { deletionVector?: DeletionVectorDescriptor } };
        const dv = r.add?.deletionVector ?? r.remove?.deletionVector;
        if (dv) out.push({ from: f, dv });
      }
    }
  }
  return out;
}

describe.skipIf(!HAVE_CONFORMANCE)('readDeletionVector on the conformance corpus', () => {
  for (const table of DV_TABLES) {
    it(`${table}: every DV in the log decodes with the logged cardinality`, async () => {
      const root = resolve(CONFORMANCE_DIR, 'tables', table);
      const store = new LocalStore(root);
      const dvs = dvDescriptors(table);
      expect(dvs.length).toBeGreaterThan(0);
      for (const { from, dv } of dvs) {
        expect(existsSync(join(root, dvAbsolutePath(dv))), `${from}: ${dvAbsolutePath(dv)}`).toBe(true);
        const rows = await readDeletionVector(store, dv);
        expect(rows.cardinality, from).toBe(dv.cardinality);
        const arr = rows.toArray();
        expect(arr.every((v, i) => i === 0 || v > arr[i - 1]!)).toBe(true);
      }
    });
  }

  it('rs-table-with-dv-small deletes rows 0 and 9 (values 1..8 remain)', async () => {
    const store = new LocalStore(resolve(CONFORMANCE_DIR, 'tables', 'rs-table-with-dv-small'));
    const [{ dv }] = dvDescriptors('rs-table-with-dv-small');
    expect((await readDeletionVector(store, dv!)).toArray()).toEqual([0, 9]);
  });

  it('spark-dv-partitioned-with-checkpoint: checkpoint DVs are read too', () => {
    expect(dvDescriptors('spark-dv-partitioned-with-checkpoint').some((d) => d.from.includes('checkpoint'))).toBe(true);
  });
});

