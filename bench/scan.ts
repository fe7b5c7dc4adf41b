// Scan benchmark (issue 15): a 10M-row x 5-column table in 10 files (snappy, written by deltats), generated once
// into a cache folder under the OS temp dir and reused. DuckDB read_parquet on the same files in the same run is
// the baseline: point filter, full scan of 2 columns, full scan of all columns (medians), and the peak RSS of a
// batch-by-batch full scan measured in a child process (bench/scan_child.mjs) so DuckDB's memory is not counted.
// The child runs the built package (dist/, built first when missing or older than src/) with plain node, as a user
// runs it; DELTATS_BENCH_SCAN_CHILD=src runs it from source under tsx instead (tsx then loads into every worker).
// DELTATS_BENCH_SCAN_BIG=1 (or `npm run bench -- scan 100m`) also generates a 100M-row table by one streamed
// append (~2.4 GB in the temp dir, cached) and prints its peak RSS beside the 10M table's.
// Size: DELTATS_BENCH_SCAN_ROWS (default 10,000,000), DELTATS_BENCH_SCAN_FILES (10), DELTATS_BENCH_SCAN_RG
// (rows per row group; default: the writer's default), BENCH_REPS (3).
import { existsSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { loadavg, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { DuckDBInstance } from '@duckdb/node-api';
import { DeltaTable } from '../src/index.js';
import { readParquet, readParquetFooter } from '../src/storage/parquet.js';
import { DEFAULT_ROW_GROUP_ROWS } from '../src/table/writer.js';
import { benchSchema, makeBatches, median, time } from './core.js';
import type { RecordBatch, Table } from 'apache-arrow';

const ROWS = Number(process.env.DELTATS_BENCH_SCAN_ROWS ?? 10_000_000);
const FILES = Number(process.env.DELTATS_BENCH_SCAN_FILES ?? 10);
const RG = Number(process.env.DELTATS_BENCH_SCAN_RG ?? DEFAULT_ROW_GROUP_ROWS);
const REPS = Number(process.env.BENCH_REPS ?? 3);
const fmt = (n: number, d = 1) => n.toFixed(d);

const BIG_ROWS = 100_000_000;
const BIG = process.env.DELTATS_BENCH_SCAN_BIG === '1' || process.argv.slice(2).includes('100m');
const REPO = join(dirname(fileURLToPath(import.meta.url)), '..');

/** A cached table under the OS temp dir, made by `generate` into a scratch folder on first use. */
async function cachedTable(name: string, what: string, generate: (dir: string) => Promise<void>): Promise<string> {
  const dir = join(tmpdir(), name);
  if (existsSync(join(dir, '.complete'))) return dir;
  const tmp = `${dir}.partial-${process.pid}`;
  rmSync(tmp, { recursive: true, force: true });
  console.log(`generating ${what} into ${dir} ...`);
  await generate(tmp);
  rmSync(dir, { recursive: true, force: true });
  renameSync(tmp, dir);
  writeFileSync(join(dir, '.complete'), '');
  return dir;
}

/** The cached table (generated on first use): one append per file. */
export function scanBenchTable(): Promise<string> {
  const what = `${ROWS.toLocaleString()} rows in ${FILES} files (row groups of ${RG.toLocaleString()} rows)`;
  return cachedTable(`deltats-bench-scan-${ROWS}x${FILES}-rg${RG}`, what, async (dir) => {
    const table = await DeltaTable.create(dir, { schema: benchSchema });
    const perFile = Math.ceil(ROWS / FILES);
    for (let s = 0; s < ROWS; s += perFile) {
      await table.append(makeBatches(Math.min(perFile, ROWS - s), 64 * 1024, s), { rowGroupSize: RG });
    }
  });
}

/**
 * The cached 100M-row table: one append of a stream of 64Ki-row tables (never all rows in memory), files cut at a
 * target size that gives files of about the 10M table's rows (1M rows, ~24 MB of Parquet).
 */
function bigScanTable(): Promise<string> {
  const what = `${BIG_ROWS.toLocaleString()} rows by one streamed append (row groups of ${RG.toLocaleString()} rows)`;
  return cachedTable(`deltats-bench-scan-${BIG_ROWS}-stream-rg${RG}`, what, async (dir) => {
    const table = await DeltaTable.create(dir, { schema: benchSchema });
    async function* rows(): AsyncGenerator<Table> {
      for (let s = 0; s < BIG_ROWS; s += 64 * 1024) yield makeBatches(Math.min(64 * 1024, BIG_ROWS - s), 64 * 1024, s);
    }
    const bytesPerRow = makeBatches(64 * 1024, 64 * 1024).batches.reduce((n, b) => n + arrowBytes(b), 0) / (64 * 1024);
    await table.append(rows(), { rowGroupSize: RG, targetFileSize: Math.round(bytesPerRow * (ROWS / FILES)) });
  });
}

/** Bytes of a batch's Arrow buffers. */
function arrowBytes(b: RecordBatch): number {
  return b.data.children.reduce((n, c) => n + (c.values?.byteLength ?? 0) + (c.valueOffsets?.byteLength ?? 0) + (c.nullBitmap?.byteLength ?? 0), 0);
}

/** Newest modification time (ms) of the files under `dir`. */
function newest(dir: string): number {
  let t = 0;
  for (const e of readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (e.isFile()) t = Math.max(t, statSync(join(e.parentPath ?? e.path, e.name)).mtimeMs);
  }
  return t;
}

/**
 * How the peak-RSS child imports deltats: the built package with plain node (built here when dist/ is missing or
 * older than src/), or from source under tsx (DELTATS_BENCH_SCAN_CHILD=src, or when the build fails).
 */
function childRuntime(): { args: string[]; what: string } {
  const dist = join(REPO, 'dist', 'index.js');
  const source = {
    args: ['--import', 'tsx', join(REPO, 'bench', 'scan_child.mjs'), pathToFileURL(join(REPO, 'src', 'index.ts')).href],
    what: 'from source under tsx (every worker thread loads tsx too: more memory than a user pays)',
  };
  if (process.env.DELTATS_BENCH_SCAN_CHILD === 'src') return source;
  if (!existsSync(dist) || statSync(dist).mtimeMs < newest(join(REPO, 'src'))) {
    console.log('building dist/ (npm run build) for the peak-RSS child ...');
    try {
      execFileSync('npm', ['run', 'build', '--silent'], { cwd: REPO, stdio: 'inherit' });
    } catch {
      console.log('build failed: the child runs from source');
      return source;
    }
  }
  return { args: [join(REPO, 'bench', 'scan_child.mjs'), pathToFileURL(dist).href], what: 'the built package (dist/) with plain node, as a user runs it' };
}

/** Median peak RSS and time of REPS batch-by-batch full scans of `dir` in fresh child processes. */
function childScan(runtime: { args: string[] }, dir: string, rows: number, threads: number | undefined): { peak: number; ms: number } {
  const results: Array<{ ms: number; peakMb: number; rows: number }> = [];
  for (let r = 0; r < REPS; r++) {
    const args = [...runtime.args, dir, ...(threads === undefined ? [] : [String(threads)])];
    const out = execFileSync(process.execPath, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
    results.push(JSON.parse(out.trim().split('\n').pop()!) as { ms: number; peakMb: number; rows: number });
  }
  if (results.some((x) => x.rows !== rows)) throw new Error(`batch-by-batch scan read ${results.map((x) => x.rows).join('/')} rows, expected ${rows}`);
  return { peak: median(results.map((x) => x.peakMb)), ms: median(results.map((x) => x.ms)) };
}

export async function run(): Promise<void> {
  const dir = await scanBenchTable();
  const table = await DeltaTable.open(dir);
  const paths = table.files().map((a) => join(dir, decodeURIComponent(a.path)));
  const footer = readParquetFooter(readFileSync(paths[0]!));
  const sizeMb = paths.reduce((n, p) => n + readFileSync(p).byteLength, 0) / 2 ** 20 / paths.length;
  console.log(
    `table: ${ROWS.toLocaleString()} rows x 5 columns, ${paths.length} files of ~${fmt(sizeMb)} MB (snappy), ` +
      `${footer.rowGroups.length} row group(s) of ${footer.rowGroups[0]?.numRows.toLocaleString()} rows per file; load ${loadavg().map((l) => fmt(l, 2)).join(' ')}`,
  );
  const db = await DuckDBInstance.create(':memory:');
  const conn = await db.connect();
  const files = `[${paths.map((p) => `'${p}'`).join(',')}]`;
  const lo = Math.floor(ROWS / 2);
  const filter = `id >= ${lo} and id < ${lo + 100}`;
  // Ours is timed twice: DeltaTable.open (log replay) + scan, and the scan alone of a table opened before.
  const queries: Array<{ name: string; sql: string; ours: (t: DeltaTable) => Promise<number> }> = [
    {
      name: `point filter ${filter}`,
      sql: `select * from read_parquet(${files}) where ${filter}`,
      ours: async (t) => (await t.scan({ filter }).toArrow()).numRows,
    },
    {
      name: `point filter, page index off (row groups decoded whole)`,
      sql: `select * from read_parquet(${files}) where ${filter}`,
      ours: async (t) => (await t.scan({ filter, pageIndex: false }).toArrow()).numRows,
    },
    {
      name: 'full scan of 2 columns (id, value)',
      sql: `select id, value from read_parquet(${files})`,
      ours: async (t) => (await t.scan({ columns: ['id', 'value'] }).toArrow()).numRows,
    },
    {
      name: 'full scan of all columns',
      sql: `select * from read_parquet(${files})`,
      ours: async (t) => (await t.scan().toArrow()).numRows,
    },
  ];
  const probe = (await DeltaTable.open(dir)).scan({ filter });
  await probe.toArrow();
  console.log(`point filter reads: ${JSON.stringify(probe.metrics)}`);
  for (const q of queries) {
    const duck: number[] = [];
    const ours: number[] = [];
    const scanOnly: number[] = [];
    for (let r = 0; r < REPS; r++) {
      const [duckRows, duckMs] = await time(async () => (await conn.runAndReadAll(q.sql)).currentRowCount);
      const [ourRows, ourMs] = await time(async () => q.ours(await DeltaTable.open(dir)));
      const opened = await DeltaTable.open(dir);
      const [, scanMs] = await time(() => q.ours(opened));
      if (duckRows !== ourRows) throw new Error(`${q.name}: row count mismatch: ours ${ourRows}, DuckDB ${duckRows}`);
      duck.push(duckMs);
      ours.push(ourMs);
      scanOnly.push(scanMs);
    }
    const d = median(duck);
    const o = median(ours);
    const so = median(scanOnly);
    console.log(
      `${q.name}: DuckDB ${fmt(d)} ms   deltats open+scan ${fmt(o)} ms: ratio ours/DuckDB ${fmt(o / d, 2)}x (speed ${fmt(d / o, 2)}x)   ` +
        `scan of an opened table ${fmt(so)} ms: ${fmt(so / d, 2)}x (speed ${fmt(d / so, 2)}x)   [median of ${REPS}]`,
    );
  }
  conn.closeSync();
  db.closeSync();

  // What the decoder alone costs: parquet-wasm decoding every whole file (no Delta, no casts).
  const raw: number[] = [];
  for (let r = 0; r < REPS; r++) {
    const [, ms] = await time(() => {
      for (const p of paths) readParquet(readFileSync(p), { batchSize: RG });
    });
    raw.push(ms);
  }
  console.log(`raw parquet-wasm decode of all files (main thread, no scan): ${fmt(median(raw))} ms`);

  // Peak RSS of a batch-by-batch full scan, in a fresh process (no DuckDB, no cached table in memory).
  const runtime = childRuntime();
  const big = BIG ? await bigScanTable() : null;
  const bigFiles = big ? (await DeltaTable.open(big)).files().length : 0;
  console.log(`peak RSS of a batch-by-batch full scan of all columns in a child process running ${runtime.what}:`);
  for (const threads of [undefined, 0]) {
    const how = threads === undefined ? 'decode in the worker pool (default)' : 'decode on the main thread (threads: 0)';
    const small = childScan(runtime, dir, ROWS, threads);
    let line = `  ${how}: ${ROWS.toLocaleString()} rows x ${paths.length} files: ${fmt(small.peak, 0)} MB (goal < 300), ${fmt(small.ms)} ms`;
    if (big) {
      const b = childScan(runtime, big, BIG_ROWS, threads);
      line += `   ${BIG_ROWS.toLocaleString()} rows x ${bigFiles} files: ${fmt(b.peak, 0)} MB, ${fmt(b.ms)} ms (ratio ${fmt(b.peak / small.peak, 2)}x)`;
    }
    console.log(`${line}   [median of ${REPS}]`);
  }
  console.log(`(load ${loadavg().map((l) => fmt(l, 2)).join(' ')})`);
}
