// Core benchmarks (issue: core): append vs raw parquet-wasm, full scan vs DuckDB, snapshot load at 10k commits,
// small commits per second. Figures are printed as ratios against a baseline run in the same process.
import { mkdtempSync, readFileSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { Table, makeData, RecordBatch, Schema, Field, Int64, Float64, Utf8, TimestampMicrosecond, Struct, vectorFromArray } from 'apache-arrow';
import { DuckDBInstance } from '@duckdb/node-api';
import { DeltaTable, LocalStore, Snapshot, Transaction, type StructType } from '../src/index.js';
import type { ListOptions, ObjectMeta, ObjectStore } from '../src/storage/store.js';
import { readParquet, writeParquet } from '../src/storage/parquet.js';

const fmt = (n: number, d = 1) => n.toFixed(d);

/** `rows` rows of the bench schema in batches of `batchRows`; ids (and the values derived from them) start at `start`. */
export function makeBatches(rows: number, batchRows: number, start0 = 0): Table {
  const schema = new Schema([
    new Field('id', new Int64(), true),
    new Field('ts', new TimestampMicrosecond('UTC'), true),
    new Field('name', new Utf8(), true),
    new Field('value', new Float64(), true),
    new Field('category', new Utf8(), true),
  ]);
  const batches: RecordBatch[] = [];
  const cats = ['alpha', 'beta', 'gamma', 'delta', 'epsilon'];
  for (let start = start0; start < start0 + rows; start += batchRows) {
    const n = Math.min(batchRows, start0 + rows - start);
    const id = new BigInt64Array(n);
    const ts = new BigInt64Array(n);
    const value = new Float64Array(n);
    const names: string[] = new Array(n);
    const cat: string[] = new Array(n);
    for (let i = 0; i < n; i++) {
      const g = start + i;
      id[i] = BigInt(g);
      ts[i] = 1_700_000_000_000_000n + BigInt(g) * 1000n;
      value[i] = g * 0.5;
      names[i] = `name-${g % 100_000}`;
      cat[i] = cats[g % cats.length];
    }
    const cols = [
      makeData({ type: new Int64(), length: n, data: id }),
      makeData({ type: new TimestampMicrosecond('UTC'), length: n, data: ts }),
      vectorFromArray(names, new Utf8()).data[0],
      makeData({ type: new Float64(), length: n, data: value }),
      vectorFromArray(cat, new Utf8()).data[0],
    ];
    batches.push(new RecordBatch(schema, makeData({ type: new Struct(schema.fields), length: n, children: cols })));
  }
  return new Table(batches);
}

export const benchSchema: StructType = {
  type: 'struct',
  fields: [
    { name: 'id', type: 'long', nullable: true, metadata: {} },
    { name: 'ts', type: 'timestamp', nullable: true, metadata: {} },
    { name: 'name', type: 'string', nullable: true, metadata: {} },
    { name: 'value', type: 'double', nullable: true, metadata: {} },
    { name: 'category', type: 'string', nullable: true, metadata: {} },
  ],
};

export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

export async function time<T>(f: () => Promise<T> | T): Promise<[T, number]> {
  const t0 = performance.now();
  const r = await f();
  return [r, performance.now() - t0];
}

/** A table at `dir` of `commits` one-file append commits after its creation, checkpoint interval 100. */
export async function buildCommitHistory(dir: string, commits: number): Promise<void> {
  const table = await DeltaTable.create(dir, { schema: benchSchema, properties: { 'delta.checkpointInterval': '100' } });
  let snap = table.snapshot;
  const store = new LocalStore(dir);
  for (let v = 1; v <= commits; v++) {
    const res = await new Transaction(store, snap, { operation: 'WRITE', operationParameters: { mode: 'Append' } })
      .addActions([{ add: { path: `f-${v}.parquet`, partitionValues: {}, size: 100, modificationTime: Date.now(), dataChange: true } }])
      .commit();
    snap = res.snapshot;
  }
}

/**
 * A store whose list() lists (and stats) the whole folder however early the caller stops or wherever it starts, as
 * the log listing did before it listed from a checkpoint: the baseline of the time travel figures.
 */
class WholeListingStore implements ObjectStore {
  constructor(private readonly inner: ObjectStore) {}
  get uri(): string {
    return this.inner.uri;
  }
  get = (p: string) => this.inner.get(p);
  getRange = (p: string, s: number, e: number) => this.inner.getRange(p, s, e);
  head = (p: string) => this.inner.head(p);
  put = (p: string, d: Uint8Array) => this.inner.put(p, d);
  putIfAbsent = (p: string, d: Uint8Array) => this.inner.putIfAbsent(p, d);
  delete = (p: string) => this.inner.delete(p);
  deleteMany = (p: string[]) => this.inner.deleteMany(p);
  async *list(prefix: string, options: ListOptions = {}): AsyncIterable<ObjectMeta> {
    const all: ObjectMeta[] = [];
    for await (const m of this.inner.list(prefix, { recursive: options.recursive })) all.push(m);
    for (const m of all) if (options.startAfter === undefined || m.path > options.startAfter) yield m;
  }
}

export async function run(): Promise<void> {
  const root = mkdtempSync(join(tmpdir(), 'deltats-bench-'));
  try {
    const ROWS = Number(process.env.BENCH_ROWS ?? 1_000_000);
    const data = makeBatches(ROWS, 64 * 1024);
    console.log(`\n== append ${ROWS.toLocaleString()} rows x 5 columns (int64, timestamp, string, double, string)`);
    // Each side runs REPS times, alternating, and the median is reported (the first runs include JIT warm-up).
    const REPS = Number(process.env.BENCH_REPS ?? 3);
    const rawTimes: number[] = [];
    const oursTimes: number[] = [];
    let tableDir = '';
    let table: DeltaTable | undefined;
    for (let r = 0; r < REPS; r++) {
      const [, rawMs] = await time(() => {
        const bytes = writeParquet(data, { compression: 'snappy', rowGroupSize: 1024 * 1024 });
        mkdirSync(join(root, `raw-${r}`), { recursive: true });
        writeFileSync(join(root, `raw-${r}`, 'data.parquet'), bytes);
      });
      rawTimes.push(rawMs);
      tableDir = join(root, `append-${r}`);
      table = await DeltaTable.create(tableDir, { schema: benchSchema });
      const t = table;
      const [, oursMs] = await time(() => t.append(data));
      oursTimes.push(oursMs);
    }
    const rawMs = median(rawTimes);
    const oursMs = median(oursTimes);
    console.log(`raw parquet-wasm: ${fmt(rawMs)} ms   deltats append: ${fmt(oursMs)} ms   ratio (raw/ours, goal >= 0.85): ${fmt(rawMs / oursMs, 2)}x   (median of ${REPS})`);
    console.log(`deltats: ${fmt(ROWS / (oursMs / 1000) / 1e6, 2)} M rows/s, ${table!.files().length} file(s)`);

    console.log(`\n== full scan of the same table vs DuckDB reading the same files`);
    const db = await DuckDBInstance.create(':memory:');
    const conn = await db.connect();
    const files = table!.files().map((a) => `'${join(tableDir, decodeURIComponent(a.path))}'`).join(',');
    const duckTimes: number[] = [];
    const scanTimes: number[] = [];
    for (let r = 0; r < REPS; r++) {
      const [duckRows, duckMs] = await time(async () => {
        const res = await conn.runAndReadAll(`select * from read_parquet([${files}])`);
        return res.currentRowCount;
      });
      const [scanRows, scanMs] = await time(async () => (await (await DeltaTable.open(tableDir)).scan().toArrow()).numRows);
      if (scanRows !== duckRows) throw new Error(`row count mismatch: ours ${scanRows}, duckdb ${duckRows}`);
      duckTimes.push(duckMs);
      scanTimes.push(scanMs);
    }
    // Second baseline: raw parquet-wasm decoding the same files (what the scan costs beyond the decoder).
    const rawReadTimes: number[] = [];
    for (let r = 0; r < REPS; r++) {
      const [, ms] = await time(() => {
        for (const a of table!.files()) readParquet(readFileSync(join(tableDir, decodeURIComponent(a.path))));
      });
      rawReadTimes.push(ms);
    }
    const duckMs = median(duckTimes);
    const scanMs = median(scanTimes);
    console.log(`raw parquet-wasm read: ${fmt(median(rawReadTimes))} ms   ratio (raw read/ours): ${fmt(median(rawReadTimes) / scanMs, 2)}x`);
    console.log(`DuckDB: ${fmt(duckMs)} ms   deltats scan: ${fmt(scanMs)} ms   ratio (duckdb/ours, goal >= 0.5): ${fmt(duckMs / scanMs, 2)}x   (${ROWS.toLocaleString()} rows, median of ${REPS})`);

    console.log(`\n== small commits per second, one writer (1-row appends)`);
    const small = await DeltaTable.create(join(root, 'small'), { schema: benchSchema });
    const N = Number(process.env.BENCH_SMALL_COMMITS ?? 300);
    const row = [{ id: 1n, ts: new Date(), name: 'x', value: 1, category: 'c' }];
    const [, smallMs] = await time(async () => {
      for (let i = 0; i < N; i++) await small.append(row);
    });
    const perSec = N / (smallMs / 1000);
    console.log(`${N} commits in ${fmt(smallMs)} ms: ${fmt(perSec)} commits/s (goal >= 200/s), ${fmt(smallMs / N, 2)} ms/commit`);

    console.log(`\n== snapshot load at 10,000 commits with checkpoints (interval 100)`);
    const COMMITS = Number(process.env.BENCH_COMMITS ?? 10_000);
    const bigDir = join(root, 'many');
    const store = new LocalStore(bigDir);
    const [, buildMs] = await time(() => buildCommitHistory(bigDir, COMMITS));
    const loads: number[] = [];
    for (let i = 0; i < 5; i++) {
      const [s, ms] = await time(() => Snapshot.load(store));
      if (s.version !== COMMITS || s.activeFiles().length !== COMMITS) throw new Error('snapshot mismatch');
      loads.push(ms);
    }
    const [, jsonMs] = await time(() => Snapshot.load(store, { ignoreCheckpoints: true }));
    loads.sort((a, b) => a - b);
    console.log(`built ${COMMITS} commits in ${fmt(buildMs / 1000)} s (${fmt(COMMITS / (buildMs / 1000))} commits/s via Transaction)`);
    console.log(`snapshot load (median of 5): ${fmt(loads[2])} ms (goal < 100 ms)   JSON-only replay of all commits: ${fmt(jsonMs)} ms   ratio: ${fmt(jsonMs / loads[2], 1)}x faster with checkpoints`);

    // Time travel below the latest checkpoint lists from the checkpoint <= the version to the version only; the
    // baseline lists the whole log (WholeListingStore), as every such load did before. Alternating, median of 5.
    console.log(`\n== time travel at ${COMMITS.toLocaleString()} commits (versions below the latest checkpoint), vs listing the whole log`);
    const whole = new WholeListingStore(store);
    for (const target of [COMMITS - 50, Math.floor(COMMITS / 20) + 50]) {
      const ours: number[] = [];
      const base: number[] = [];
      for (let i = 0; i < 5; i++) {
        const [s, ms] = await time(() => Snapshot.load(store, { version: target }));
        const [b, bms] = await time(() => Snapshot.load(whole, { version: target }));
        if (s.version !== target || s.activeFiles().length !== target || b.activeFiles().length !== target) throw new Error('time travel mismatch');
        ours.push(ms);
        base.push(bms);
      }
      console.log(
        `version ${target}: ${fmt(median(ours))} ms   whole-log listing: ${fmt(median(base))} ms   ratio (whole/ours): ${fmt(median(base) / median(ours), 2)}x   ` +
          `latest version: ${fmt(loads[2])} ms`,
      );
    }
    const at = (await Snapshot.load(store, { version: COMMITS - 50 })).timestamp;
    const byTime: number[] = [];
    for (let i = 0; i < 5; i++) byTime.push((await time(() => Snapshot.load(store, { timestamp: at })))[1]);
    console.log(`time travel by timestamp (to about version ${COMMITS - 50}; lists every commit's time): ${fmt(median(byTime))} ms`);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}
