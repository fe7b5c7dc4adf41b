// `npm run bench -- parallel`: the Parquet worker pool and streamed appends, as ratios against a baseline run in the
// same process. (1) raw parquet-wasm decode of a 1M-row file on the main thread vs through a pool of 1 and 2 workers,
// one file and four at once; (2) append throughput with encode on the main thread (threads 0) vs in the pool, for a
// whole table written as several files and for a streamed append; (3) with BENCH_HUGE=1 (minutes): a streamed append
// of 100M rows from a generator and a full batch-by-batch scan of it against the same scan of a 10M-row table, each
// in its own process so that its peak RSS (maxRSS, worker threads included) is its own.
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { promisify } from 'node:util';
import { Int64, makeData, RecordBatch, Struct, tableFromIPC } from 'apache-arrow';
import { DeltaTable } from '../src/index.js';
import { readParquet, writeParquet } from '../src/storage/parquet.js';
import { ParquetWorkerPool } from '../src/storage/parquet_pool.js';
import { benchSchema, makeBatches } from './core.js';

const run = promisify(execFile);
const REPS = Number(process.env.BENCH_REPS ?? 3);

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

async function timed(f: () => Promise<unknown> | unknown): Promise<number> {
  const t0 = performance.now();
  await f();
  return performance.now() - t0;
}

/** Median ms of each variant, run REPS times interleaved (so load drifts hit every variant alike). */
async function compare(variants: Record<string, () => Promise<unknown> | unknown>): Promise<Record<string, number>> {
  const times: Record<string, number[]> = {};
  for (let r = 0; r < REPS; r++) {
    for (const [name, f] of Object.entries(variants)) (times[name] ??= []).push(await timed(f));
  }
  return Object.fromEntries(Object.entries(times).map(([k, v]) => [k, median(v)]));
}

function print(title: string, res: Record<string, number>, base: string, unit?: (ms: number) => string): void {
  console.log(title);
  for (const [k, ms] of Object.entries(res)) {
    const ratio = res[base]! / ms;
    console.log(`  ${k.padEnd(34)} ${ms.toFixed(0).padStart(7)} ms  ${ratio.toFixed(2)}x${unit ? `  ${unit(ms)}` : ''}`);
  }
}

const load = (): string => loadavg().map((l) => l.toFixed(2)).join(' ');

/**
 * Rows of the 5-column bench schema, `batchRows` at a time, generated on demand (never held): fresh ids per batch,
 * the other columns shared with one template batch, so that the generator costs little next to the writer.
 */
async function* generate(rows: number, batchRows: number): AsyncGenerator<RecordBatch> {
  const template = makeBatches(batchRows, batchRows).batches[0]!;
  for (let start = 0; start < rows; start += batchRows) {
    const n = Math.min(batchRows, rows - start);
    const ids = new BigInt64Array(n);
    for (let i = 0; i < n; i++) ids[i] = BigInt(start + i);
    const children = template.data.children.map((c, i) => (i === 0 ? makeData({ type: new Int64(), length: n, data: ids }) : c.slice(0, n)));
    yield new RecordBatch(template.schema, makeData({ type: new Struct(template.schema.fields), length: n, children }));
  }
}

async function decodeBench(): Promise<void> {
  const file = writeParquet(makeBatches(1_000_000, 64 * 1024), { compression: 'snappy' });
  console.log(`\n== raw decode of a 1M-row x 5-column file (${(file.length / 1e6).toFixed(1)} MB, 1 row group), ${availableParallelism()} cores, load ${load()}`);
  const pools = { 1: new ParquetWorkerPool(1), 2: new ParquetWorkerPool(2) };
  try {
    // Start the workers before timing (a pool starts them lazily on first use; measured separately below).
    const startMs = await timed(() => pools[1].decode({ bytes: file }, {}));
    await Promise.all([pools[2].decode({ bytes: file }, {}), pools[2].decode({ bytes: file }, {})]);
    console.log(`  first task of a new pool (worker start + WASM load + decode): ${startMs.toFixed(0)} ms`);
    const viaPool = async (pool: ParquetWorkerPool): Promise<number> =>
      tableFromIPC(await pool.decode({ bytes: file.slice(), transfer: true }, { batchSize: 1 << 20 })).numRows;
    print('one file', await compare({
      'main thread (readParquet)': () => readParquet(file, { batchSize: 1 << 20 }),
      'pool of 1 worker': () => viaPool(pools[1]),
      'pool of 2 workers': () => viaPool(pools[2]),
    }), 'main thread (readParquet)');
    const four = (pool: ParquetWorkerPool) => () => Promise.all([0, 1, 2, 3].map(() => viaPool(pool)));
    print('four files at once (as a scan with concurrency 4)', await compare({
      'main thread, one after another': () => [0, 1, 2, 3].forEach(() => readParquet(file, { batchSize: 1 << 20 })),
      'pool of 1 worker': four(pools[1]),
      'pool of 2 workers': four(pools[2]),
    }), 'main thread, one after another');
  } finally {
    await Promise.all(Object.values(pools).map((p) => p.close()));
  }
}

async function appendBench(root: string): Promise<void> {
  const ROWS = Number(process.env.BENCH_APPEND_ROWS ?? 4_000_000);
  const target = 32 * 1024 * 1024;
  console.log(`\n== append ${ROWS.toLocaleString()} rows x 5 columns as several files (target ${target >> 20} MiB), load ${load()}`);
  const data = makeBatches(ROWS, 64 * 1024);
  let n = 0;
  const fresh = async (): Promise<DeltaTable> => DeltaTable.create(join(root, `append-${n++}`), { schema: benchSchema });
  const rate = (ms: number): string => `${((ROWS / ms) * 1000 / 1e6).toFixed(2)} M rows/s`;
  let files = 0;
  const whole = (threads: number) => async () => {
    files = (await (await fresh()).append(data, { targetFileSize: target, threads })).addedFiles.length;
  };
  const streamed = (threads: number) => async () => {
    files = (await (await fresh()).append(generate(ROWS, 64 * 1024), { targetFileSize: target, threads })).addedFiles.length;
  };
  print('whole table', await compare({ 'encode on the main thread (threads 0)': whole(0), 'encode in 2 workers (threads 2)': whole(2) }), 'encode on the main thread (threads 0)', rate);
  print('streamed from a generator (64k-row batches)', await compare({ 'encode on the main thread (threads 0)': streamed(0), 'encode in 2 workers (threads 2)': streamed(2) }), 'encode on the main thread (threads 0)', rate);
  console.log(`  (${files} files per append)`);
}

/** Phases run in a child process each: their maxRSS is their own. */
async function phase(name: string, dir: string, rows: number): Promise<Record<string, number>> {
  const t0 = performance.now();
  let out: Record<string, number> = {};
  if (name.startsWith('append')) {
    const table = await DeltaTable.create(dir, { schema: benchSchema });
    const res = await table.append(generate(rows, 64 * 1024), { threads: name === 'append-main-thread' ? 0 : undefined });
    out = { files: res.addedFiles.length };
  } else {
    let n = 0;
    let batches = 0;
    const threads = name === 'scan-main-thread' ? 0 : undefined;
    for await (const b of (await DeltaTable.open(dir)).scan({ threads })) {
      n += b.numRows;
      batches++;
    }
    if (n !== rows) throw new Error(`scan read ${n} rows, expected ${rows}`);
    out = { batches };
  }
  const ms = performance.now() - t0;
  return { ...out, ms, rowsPerSec: (rows / ms) * 1000, maxRssMb: process.resourceUsage().maxRSS / 1024 };
}

async function inChild(name: string, dir: string, rows: number): Promise<Record<string, number>> {
  const { stdout } = await run(process.execPath, [...process.execArgv, import.meta.filename, '--phase', name, dir, String(rows)], {
    maxBuffer: 1 << 20,
    timeout: 3_600_000,
  });
  return JSON.parse(stdout.trim().split('\n').at(-1)!) as Record<string, number>;
}

async function hugeBench(root: string): Promise<void> {
  const HUGE = Number(process.env.BENCH_HUGE_ROWS ?? 100_000_000);
  const BASE = 10_000_000;
  console.log(`\n== streamed append of ${HUGE.toLocaleString()} rows from a generator, then full scans (each in its own process), load ${load()}`);
  const line = (what: string, r: Record<string, number>): void =>
    console.log(`  ${what.padEnd(36)} ${(r.ms! / 1000).toFixed(1).padStart(7)} s  ${(r.rowsPerSec! / 1e6).toFixed(2)} M rows/s  peak RSS ${r.maxRssMb!.toFixed(0)} MB${r.files ? `  ${r.files} files` : ''}`);
  for (const rows of [BASE, HUGE].filter((r) => r > 0)) {
    const dir = join(root, `t${rows}`);
    line(`append ${rows.toLocaleString()} rows`, await inChild('append', dir, rows));
    line(`scan ${rows.toLocaleString()} rows batch by batch`, await inChild('scan', dir, rows));
    // The same scan decoding on the main thread: what the worker pool adds to the peak.
    if (rows === BASE) {
      line(`  same, threads 0 (no workers)`, await inChild('scan-main-thread', dir, rows));
      const again = join(root, 'again');
      line(`  append again, threads 0 (no workers)`, await inChild('append-main-thread', again, rows));
      rmSync(again, { recursive: true, force: true });
    }
    rmSync(dir, { recursive: true, force: true });
  }
  console.log(`  load after: ${load()}`);
}

export async function run_(): Promise<void> {
  const root = mkdtempSync(join(tmpdir(), 'deltats-bench-par-'));
  try {
    // BENCH_PARALLEL=decode,append,huge picks sections (default decode,append; BENCH_HUGE=1 adds huge).
    const parts = new Set((process.env.BENCH_PARALLEL ?? 'decode,append').split(','));
    if (process.env.BENCH_HUGE === '1') parts.add('huge');
    if (parts.has('decode')) await decodeBench();
    if (parts.has('append')) await appendBench(root);
    if (parts.has('huge')) await hugeBench(root);
    else console.log('\n(set BENCH_HUGE=1 for the 100M-row streamed append and scan: several minutes)');
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}
export { run_ as run };

if (process.argv[2] === '--phase') {
  const [, , , name, dir, rows] = process.argv;
  console.log(JSON.stringify(await phase(name!, dir!, Number(rows))));
}
