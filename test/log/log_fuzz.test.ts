// Bounded, seeded fuzzing of commit files (issue 11): mutated log lines (fields removed or retyped, text truncated,
// bytes flipped, lines duplicated) either load or fail with a DeltaError; never a TypeError, a RangeError or a hang.
import { describe, expect, it } from 'vitest';
import { Snapshot } from '../../src/log/snapshot.js';
import { readHistory } from '../../src/log/history.js';
import { Scan } from '../../src/table/scan.js';
import { DeltaError, NotFoundError } from '../../src/errors.js';
import type { ListOptions, ObjectMeta, ObjectStore } from '../../src/storage/store.js';

/** The smallest in-memory ObjectStore: enough for log replay. */
class MemoryStore implements ObjectStore {
  readonly uri = 'memory://fuzz';
  readonly files = new Map<string, Uint8Array>();
  async get(path: string): Promise<Uint8Array> {
    const b = this.files.get(path);
    if (!b) throw new NotFoundError(path);
    return b;
  }
  async getRange(path: string, start: number, end: number): Promise<Uint8Array> {
    return (await this.get(path)).subarray(start, end);
  }
  async head(path: string): Promise<ObjectMeta | null> {
    const b = this.files.get(path);
    return b ? { path, size: b.length, lastModified: new Date(1_700_000_000_000) } : null;
  }
  async put(path: string, data: Uint8Array): Promise<void> {
    this.files.set(path, data);
  }
  async putIfAbsent(path: string, data: Uint8Array): Promise<boolean> {
    if (this.files.has(path)) return false;
    this.files.set(path, data);
    return true;
  }
  async *list(prefix: string, options: ListOptions = {}): AsyncIterable<ObjectMeta> {
    const paths = [...this.files.keys()].filter((p) => p.startsWith(prefix) && (options.startAfter === undefined || p > options.startAfter)).sort();
    for (const p of paths) yield (await this.head(p))!;
  }
  async delete(path: string): Promise<void> {
    this.files.delete(path);
  }
  async deleteMany(paths: string[]): Promise<void> {
    for (const p of paths) this.files.delete(p);
  }
}

/** mulberry32: a small seeded PRNG, so a failure reproduces from its iteration number. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const schemaString = JSON.stringify({
  type: 'struct',
  fields: [
    { name: 'id', type: 'long', nullable: true, metadata: {} },
    { name: 'p', type: 'string', nullable: true, metadata: {} },
    { name: 's', type: { type: 'struct', fields: [{ name: 'x', type: 'decimal(10,2)', nullable: true, metadata: {} }] }, nullable: true, metadata: {} },
  ],
});
const commit0: unknown[] = [
  { commitInfo: { timestamp: 1, operation: 'CREATE TABLE', operationParameters: {}, txnId: 'a' } },
  { protocol: { minReaderVersion: 1, minWriterVersion: 2 } },
  {
    metaData: {
      id: 'table-id',
      format: { provider: 'parquet', options: {} },
      schemaString,
      partitionColumns: ['p'],
      configuration: { 'delta.checkpointInterval': '10' },
      createdTime: 1,
    },
  },
];
const commit1: unknown[] = [
  { commitInfo: { timestamp: 2, operation: 'WRITE', operationParameters: { mode: 'Append' }, readVersion: 0 } },
  {
    add: {
      path: 'p=a/part-0.parquet',
      partitionValues: { p: 'a' },
      size: 100,
      modificationTime: 2,
      dataChange: true,
      stats: '{"numRecords":1,"minValues":{"id":1},"maxValues":{"id":1},"nullCount":{"id":0}}',
    },
  },
  { remove: { path: 'p=b/old.parquet', deletionTimestamp: 2, dataChange: true, extendedFileMetadata: true, partitionValues: { p: 'b' }, size: 5 } },
  { txn: { appId: 'app', version: 3, lastUpdated: 2 } },
  { domainMetadata: { domain: 'd', configuration: '{}', removed: false } },
  { cdc: { path: '_change_data/c.parquet', partitionValues: {}, size: 1, dataChange: false } },
];

const ODD_VALUES: unknown[] = [null, 0, -1, 1.5, 2 ** 53, -(2 ** 63), '', 'x', 'deletionVectors', '../../etc', true, false, [], [1, 'a'], {}, { a: null }, '\u0000', 'é'.repeat(50)];

function pick<T>(r: () => number, xs: readonly T[]): T {
  return xs[Math.floor(r() * xs.length)]!;
}

/** Replace, delete or retype a random nested field. */
function mutateValue(r: () => number, v: unknown, depth = 0): unknown {
  if (depth > 0 && r() < 0.3) return pick(r, ODD_VALUES);
  if (Array.isArray(v)) {
    if (v.length === 0 || r() < 0.2) return [...v, pick(r, ODD_VALUES)];
    const i = Math.floor(r() * v.length);
    return v.map((x, j) => (j === i ? mutateValue(r, x, depth + 1) : x));
  }
  if (v !== null && typeof v === 'object') {
    const o = { ...(v as Record<string, unknown>) };
    const keys = Object.keys(o);
    if (keys.length === 0 || r() < 0.1) {
      o[pick(r, ['path', 'size', 'id', 'schemaString', 'readerFeatures', 'deletionVector', 'x'])] = pick(r, ODD_VALUES);
      return o;
    }
    const k = pick(r, keys);
    if (r() < 0.25) delete o[k];
    else o[k] = mutateValue(r, o[k], depth + 1);
    return o;
  }
  if (typeof v === 'string' && r() < 0.5) {
    // Keep JSON-in-JSON (schemaString, stats) interesting: mutate the inner document.
    try {
      return JSON.stringify(mutateValue(r, JSON.parse(v) as unknown, depth + 1));
    } catch {
      return v.slice(0, Math.floor(r() * v.length));
    }
  }
  return pick(r, ODD_VALUES);
}

function mutateText(r: () => number, text: string): string {
  const i = Math.floor(r() * text.length);
  switch (Math.floor(r() * 4)) {
    case 0:
      return text.slice(0, i);
    case 1:
      return text.slice(0, i) + String.fromCharCode(Math.floor(r() * 128)) + text.slice(i + 1);
    case 2:
      return text.slice(0, i) + pick(r, ['{', '}', '"', ',', ':', '[', ']', '\\', 'null', '\n']) + text.slice(i);
    default:
      return text + '\n' + text;
  }
}

function commitBytes(r: () => number, actions: unknown[]): Uint8Array {
  const lines = actions.map((a) => JSON.stringify(a));
  const n = 1 + Math.floor(r() * 3);
  for (let m = 0; m < n; m++) {
    const li = Math.floor(r() * lines.length);
    let parsed: unknown;
    try {
      parsed = JSON.parse(lines[li]!);
    } catch {
      parsed = undefined; // already mangled text
    }
    if (parsed !== undefined && r() < 0.7) lines[li] = JSON.stringify(mutateValue(r, parsed));
    else lines[li] = mutateText(r, lines[li]!);
    if (r() < 0.1) lines.push(lines[li]!);
  }
  return new TextEncoder().encode(lines.join('\n') + '\n');
}

const enc = (actions: unknown[]): Uint8Array => new TextEncoder().encode(actions.map((a) => JSON.stringify(a)).join('\n') + '\n');

describe('log fuzzing', () => {
  it('3000 seeded mutations of commit files: only DeltaErrors come out of load, replay and history', async () => {
    const ITERATIONS = 3000;
    const r = rng(Number(process.env.DELTATS_FUZZ_SEED ?? 0x5eed));
    let loaded = 0;
    let refused = 0;
    for (let it = 0; it < ITERATIONS; it++) {
      const store = new MemoryStore();
      const target = r() < 0.3 ? 0 : 1;
      await store.put('_delta_log/00000000000000000000.json', target === 0 ? commitBytes(r, commit0) : enc(commit0));
      await store.put('_delta_log/00000000000000000001.json', target === 1 ? commitBytes(r, commit1) : enc(commit1));
      try {
        const s = await Snapshot.load(store);
        // Exercise what a reader touches next.
        for (const a of s.activeFiles()) void a.path.length;
        void s.tombstones().length;
        void s.txns().size;
        void s.domainMetadata().size;
        void Object.keys(s.properties).length;
        // Pruning reads stats and partition values of every file.
        void new Scan(s, { filter: "id > 0 AND p = 'a' AND s.x < 3.5" }).files().length;
        await readHistory(store);
        loaded++;
      } catch (e) {
        if (!(e instanceof DeltaError)) {
          throw new Error(`iteration ${it}: non-Delta error ${String(e)}\n--- commit ${target}:\n${new TextDecoder().decode(await store.get(`_delta_log/0000000000000000000${target}.json`))}`, { cause: e });
        }
        refused++;
      }
    }
    expect(loaded + refused).toBe(ITERATIONS);
    // Both outcomes happen: the mutations are neither all harmless nor all fatal.
    expect(loaded).toBeGreaterThan(100);
    expect(refused).toBeGreaterThan(100);
  });
});
