// DML benchmark (issue 13): DELETE 1% of rows by predicate and MERGE a source with 50% matches, deletion vectors vs
// copy-on-write, in the same run. Each operation runs in a child process of its own on a copy of a freshly written
// table, which prints its wall time and its peak RSS (process.resourceUsage().maxRSS: the whole process, Parquet
// worker threads and the 10%-sized source table included), after the same operation on another full-size copy
// (warm-up: the steady state of a long-running process, code compiled and workers started, for both modes alike);
// the median time of DELTATS_BENCH_DML_REPEAT runs (default 5 up to 2M rows, else 1), the largest peak RSS.
// Size: `npm run bench -- dml 10000000` or DELTATS_BENCH_DML_ROWS target rows (default 1,000,000; the figure is
// 10,000,000), source = 10% of it, half matching existing ids (spread over the first half of the files), half new.
import { execFileSync } from 'node:child_process';
import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import * as arrow from 'apache-arrow';
import { DeltaTable, type StructType } from '../src/index.js';

const ROWS = Number((process.argv[2] === 'dml' ? process.argv[3] : undefined) ?? process.env.DELTATS_BENCH_DML_ROWS ?? 1_000_000);
const PER_FILE = 100_000;
/** Runs of each operation (fresh copies, fresh processes); the median is reported. Default 5 up to 2M rows, else 1. */
const REPEAT = Number(process.env.DELTATS_BENCH_DML_REPEAT ?? (ROWS <= 2_000_000 ? 5 : 1));

const schema: StructType = {
  type: 'struct',
  fields: [
    { name: 'id', type: 'long', nullable: false, metadata: {} },
    { name: 'temp', type: 'double', nullable: true, metadata: {} },
    { name: 'sensor', type: 'string', nullable: true, metadata: {} },
  ],
};

function rows(ids: BigInt64Array): arrow.Table {
  const temp = new Float64Array(ids.length);
  const sensor: string[] = new Array(ids.length);
  for (let i = 0; i < ids.length; i++) {
    temp[i] = Number(ids[i]! % 1000n) / 10;
    sensor[i] = `s${ids[i]! % 100n}`;
  }
  return new arrow.Table({ id: arrow.makeVector(ids), temp: arrow.makeVector(temp), sensor: arrow.vectorFromArray(sensor, new arrow.Utf8()) });
}

async function table(dir: string, dv: boolean, n: number): Promise<void> {
  const t = await DeltaTable.create(dir, { schema, properties: dv ? { 'delta.enableDeletionVectors': 'true' } : {} });
  for (let s = 0; s < n; s += PER_FILE) {
    const k = Math.min(PER_FILE, n - s);
    await t.append(rows(BigInt64Array.from({ length: k }, (_, i) => BigInt(s + i))));
  }
}

/** The operation on the table at `dir` of `n` rows. */
function operation(op: 'delete' | 'merge', t: DeltaTable, n: number): () => Promise<unknown> {
  if (op === 'delete') return () => t.delete('id % 100 = 0');
  const k = Math.floor(n / 10);
  const ids = BigInt64Array.from({ length: k }, (_, i) => (i % 2 === 0 ? BigInt(i * 5) : BigInt(n + i)));
  const source = rows(ids);
  return () =>
    t.merge(source, { on: 't.id = s.id', targetAlias: 't', sourceAlias: 's' }).whenMatchedUpdate({ set: { temp: 's.temp + 1' } }).whenNotMatchedInsertAll().execute();
}

/**
 * The measured operation, in this (child) process: prints `{ ms, peakMb }`. First (not measured) the same operation
 * on another copy of the same table (`warm`), as a long-running process would have run it before: the Parquet worker
 * threads are started and the code paths compiled (a small warm-up table left the first full-size run 2-4x slower,
 * with hot loops not yet optimized). Peak RSS therefore covers two runs of the operation, as a long-running process's does.
 */
async function child(op: 'delete' | 'merge', dir: string, n: number, warm: string): Promise<void> {
  await operation(op, await DeltaTable.open(warm), n)();
  const run = operation(op, await DeltaTable.open(dir), n);
  const t0 = performance.now();
  const res = (await run()) as { metrics: { scanTimeMs: number; rewriteTimeMs: number } };
  const ms = performance.now() - t0;
  console.log(JSON.stringify({ ms, peakMb: process.resourceUsage().maxRSS / 1024, scanMs: res.metrics.scanTimeMs, rewriteMs: res.metrics.rewriteTimeMs }));
}

export async function run(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'deltats-bench-dml-'));
  const self = fileURLToPath(import.meta.url);
  try {
    const results: Record<string, { ms: number; minMs: number; peakMb: number }> = {};
    const setup0 = performance.now();
    for (const mode of ['cow', 'dv']) {
      await table(join(dir, `base-${mode}`), mode === 'dv', ROWS);
    }
    const setupMs = performance.now() - setup0;
    for (const op of ['delete', 'merge'] as const) {
      for (const mode of ['cow', 'dv']) {
        const runs: { ms: number; peakMb: number }[] = [];
        for (let r = 0; r < REPEAT; r++) {
          const copy = join(dir, `${op}-${mode}`);
          const warm = join(dir, `${op}-${mode}-warm`);
          cpSync(join(dir, `base-${mode}`), copy, { recursive: true });
          cpSync(join(dir, `base-${mode}`), warm, { recursive: true });
          const out = execFileSync(process.execPath, ['--import', 'tsx', self, '--child', op, copy, String(ROWS), warm], { encoding: 'utf8' });
          runs.push(JSON.parse(out.trim().split('\n').at(-1)!) as { ms: number; peakMb: number });
          rmSync(copy, { recursive: true, force: true });
          rmSync(warm, { recursive: true, force: true });
        }
        const mid = Math.floor(runs.length / 2);
        const sorted = runs.map((x) => x.ms).sort((a, b) => a - b);
        results[`${op}-${mode}`] = { ms: sorted[mid]!, minMs: sorted[0]!, peakMb: Math.max(...runs.map((x) => x.peakMb)) };
      }
    }
    const line = (k: string) =>
      `${k.padEnd(12)} ${results[k]!.ms.toFixed(0).padStart(8)} ms (min ${results[k]!.minMs.toFixed(0).padStart(6)} ms)   peak RSS ${results[k]!.peakMb.toFixed(0).padStart(6)} MB`;
    const ratio = (a: string, b: string) =>
      `${(results[a]!.ms / results[b]!.ms).toFixed(2)}x (of the minima ${(results[a]!.minMs / results[b]!.minMs).toFixed(2)}x)`;
    console.log(
      `DML on ${ROWS.toLocaleString('en')} rows (${Math.ceil(ROWS / PER_FILE)} files), source ${Math.floor(ROWS / 10).toLocaleString('en')} rows (50% matches); ` +
        `tables written in ${(setupMs / 1000).toFixed(0)} s; each operation in a process of its own, after a warm-up; ` +
        `median (and min) of ${REPEAT} run(s), peak RSS the largest`,
    );
    for (const k of ['delete-cow', 'delete-dv', 'merge-cow', 'merge-dv']) console.log(line(k));
    console.log(`delete 1%: copy-on-write / deletion vectors = ${ratio('delete-cow', 'delete-dv')}`);
    console.log(`merge:     copy-on-write / deletion vectors = ${ratio('merge-cow', 'merge-dv')}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (process.argv.includes('--child')) {
  const i = process.argv.indexOf('--child');
  await child(process.argv[i + 1] as 'delete' | 'merge', process.argv[i + 2]!, Number(process.argv[i + 3]), process.argv[i + 4]!);
} else if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) await run();
