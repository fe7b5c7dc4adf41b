// DML benchmark (issue 13): DELETE 1% of rows by predicate and MERGE a source with 50% matches, deletion vectors vs
// copy-on-write, in the same run. Each operation runs in a child process of its own on a copy of a freshly written
// table, which prints its wall time and its peak RSS (process.resourceUsage().maxRSS: the whole process, Parquet
// worker threads and the 10%-sized source table included), after a warm-up scan of four files.
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

/** The measured operation, in this (child) process: prints `{ ms, peakMb }`. */
async function child(op: 'delete' | 'merge', dir: string, n: number): Promise<void> {
  const t = await DeltaTable.open(dir);
  let run: () => Promise<unknown>;
  if (op === 'delete') run = () => t.delete('id % 100 = 0');
  else {
    const k = Math.floor(n / 10);
    const ids = BigInt64Array.from({ length: k }, (_, i) => (i % 2 === 0 ? BigInt(i * 5) : BigInt(n + i)));
    const source = rows(ids);
    run = () =>
      t.merge(source, { on: 't.id = s.id', targetAlias: 't', sourceAlias: 's' }).whenMatchedUpdate({ set: { temp: 's.temp + 1' } }).whenNotMatchedInsertAll().execute();
  }
  // Warm-up (not measured), as a long-running process would be: a scan of four files starts both Parquet worker
  // threads and runs the read path and the predicate's kernels once.
  await t.scan({ filter: `id < ${4 * PER_FILE} AND id % 100 = 0` }).toArrow();
  const t0 = performance.now();
  await run();
  const ms = performance.now() - t0;
  console.log(JSON.stringify({ ms, peakMb: process.resourceUsage().maxRSS / 1024 }));
}

export async function run(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'deltats-bench-dml-'));
  const self = fileURLToPath(import.meta.url);
  try {
    const results: Record<string, { ms: number; peakMb: number }> = {};
    const setup0 = performance.now();
    for (const mode of ['cow', 'dv']) await table(join(dir, `base-${mode}`), mode === 'dv', ROWS);
    const setupMs = performance.now() - setup0;
    for (const op of ['delete', 'merge'] as const) {
      for (const mode of ['cow', 'dv']) {
        const copy = join(dir, `${op}-${mode}`);
        cpSync(join(dir, `base-${mode}`), copy, { recursive: true });
        const out = execFileSync(process.execPath, ['--import', 'tsx', self, '--child', op, copy, String(ROWS)], { encoding: 'utf8' });
        results[`${op}-${mode}`] = JSON.parse(out.trim().split('\n').at(-1)!) as { ms: number; peakMb: number };
        rmSync(copy, { recursive: true, force: true });
      }
    }
    const line = (k: string) => `${k.padEnd(12)} ${results[k]!.ms.toFixed(0).padStart(8)} ms   peak RSS ${results[k]!.peakMb.toFixed(0).padStart(6)} MB`;
    console.log(
      `DML on ${ROWS.toLocaleString('en')} rows (${Math.ceil(ROWS / PER_FILE)} files), source ${Math.floor(ROWS / 10).toLocaleString('en')} rows (50% matches); ` +
        `tables written in ${(setupMs / 1000).toFixed(0)} s; each operation in a process of its own`,
    );
    for (const k of ['delete-cow', 'delete-dv', 'merge-cow', 'merge-dv']) console.log(line(k));
    console.log(`delete 1%: copy-on-write / deletion vectors = ${(results['delete-cow']!.ms / results['delete-dv']!.ms).toFixed(2)}x`);
    console.log(`merge:     copy-on-write / deletion vectors = ${(results['merge-cow']!.ms / results['merge-dv']!.ms).toFixed(2)}x`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (process.argv.includes('--child')) {
  const i = process.argv.indexOf('--child');
  await child(process.argv[i + 1] as 'delete' | 'merge', process.argv[i + 2]!, Number(process.argv[i + 3]));
} else if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) await run();
