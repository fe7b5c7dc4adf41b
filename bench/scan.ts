// Scan benchmark (issue 15): a 10M-row x 5-column table in 10 files (snappy, written by deltats), generated once
// into a cache folder under the OS temp dir and reused. DuckDB read_parquet on the same files in the same run is
// the baseline: point filter, full scan of 2 columns, full scan of all columns (medians), and the peak RSS of a
// batch-by-batch full scan measured in a child process (bench/scan_child.ts) so DuckDB's memory is not counted.
// Size: DELTATS_BENCH_SCAN_ROWS (default 10,000,000), DELTATS_BENCH_SCAN_FILES (10), DELTATS_BENCH_SCAN_RG
// (rows per row group; default: the writer's default), BENCH_REPS (3).
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { loadavg, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DuckDBInstance } from '@duckdb/node-api';
import { DeltaTable } from '../src/index.js';
import { readParquet, readParquetFooter } from '../src/storage/parquet.js';
import { DEFAULT_ROW_GROUP_ROWS } from '../src/table/writer.js';
import { benchSchema, makeBatches, median, time } from './core.js';

const ROWS = Number(process.env.DELTATS_BENCH_SCAN_ROWS ?? 10_000_000);
const FILES = Number(process.env.DELTATS_BENCH_SCAN_FILES ?? 10);
const RG = Number(process.env.DELTATS_BENCH_SCAN_RG ?? DEFAULT_ROW_GROUP_ROWS);
const REPS = Number(process.env.BENCH_REPS ?? 3);
const fmt = (n: number, d = 1) => n.toFixed(d);

/** The cached table (generated on first use): one append per file. */
export async function scanBenchTable(): Promise<string> {
  const dir = join(tmpdir(), `deltats-bench-scan-${ROWS}x${FILES}-rg${RG}`);
  if (existsSync(join(dir, '.complete'))) return dir;
  const tmp = `${dir}.partial-${process.pid}`;
  rmSync(tmp, { recursive: true, force: true });
  console.log(`generating ${ROWS.toLocaleString()} rows in ${FILES} files (row groups of ${RG.toLocaleString()} rows) into ${dir} ...`);
  const table = await DeltaTable.create(tmp, { schema: benchSchema });
  const perFile = Math.ceil(ROWS / FILES);
  for (let s = 0; s < ROWS; s += perFile) {
    await table.append(makeBatches(Math.min(perFile, ROWS - s), 64 * 1024, s), { rowGroupSize: RG });
  }
  rmSync(dir, { recursive: true, force: true });
  renameSync(tmp, dir);
  writeFileSync(join(dir, '.complete'), '');
  return dir;
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
  const child = join(dirname(fileURLToPath(import.meta.url)), 'scan_child.ts');
  for (const threads of [undefined, 0]) {
    const results: Array<{ ms: number; peakMb: number; rows: number }> = [];
    for (let r = 0; r < REPS; r++) {
      const args = ['--import', 'tsx', child, dir, ...(threads === undefined ? [] : [String(threads)])];
      const out = execFileSync(process.execPath, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
      results.push(JSON.parse(out.trim().split('\n').pop()!) as { ms: number; peakMb: number; rows: number });
    }
    if (results.some((x) => x.rows !== ROWS)) throw new Error(`batch-by-batch scan read ${results.map((x) => x.rows).join('/')} rows, expected ${ROWS}`);
    const peak = median(results.map((x) => x.peakMb));
    const ms = median(results.map((x) => x.ms));
    const how = threads === undefined ? 'decode in the worker pool (default)' : 'decode on the main thread (threads: 0)';
    console.log(`batch-by-batch full scan of all columns, ${how}, child process: peak RSS ${fmt(peak, 0)} MB (goal < 300), ${fmt(ms)} ms   [median of ${REPS}]`);
  }
  console.log(`(the child runs from source under tsx, which every worker thread loads too; load ${loadavg().map((l) => fmt(l, 2)).join(' ')})`);
}
