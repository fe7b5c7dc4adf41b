// DML benchmark (issue 13): DELETE 1% of rows by predicate and MERGE a source with 50% matches, deletion vectors vs
// copy-on-write, in the same run. Prints times, the DV/CoW ratio and peak RSS sampled during each operation.
// Size: DELTATS_BENCH_DML_ROWS target rows (default 1,000,000; the figure is 10,000,000), source = 10%.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import * as arrow from 'apache-arrow';
import { DeltaTable, type StructType } from '../src/index.js';

const ROWS = Number(process.env.DELTATS_BENCH_DML_ROWS ?? 1_000_000);
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

async function table(dir: string, dv: boolean): Promise<DeltaTable> {
  const t = await DeltaTable.create(dir, { schema, properties: dv ? { 'delta.enableDeletionVectors': 'true' } : {} });
  for (let s = 0; s < ROWS; s += PER_FILE) {
    const n = Math.min(PER_FILE, ROWS - s);
    await t.append(rows(BigInt64Array.from({ length: n }, (_, i) => BigInt(s + i))));
  }
  return t;
}

/** Wall time and peak RSS (sampled every 20 ms) of `f`. */
async function measure(f: () => Promise<unknown>): Promise<{ ms: number; peakMb: number }> {
  global.gc?.();
  let peak = process.memoryUsage().rss;
  const timer = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 20);
  const t0 = performance.now();
  await f();
  const ms = performance.now() - t0;
  clearInterval(timer);
  peak = Math.max(peak, process.memoryUsage().rss);
  return { ms, peakMb: peak / 2 ** 20 };
}

export async function run(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'deltats-bench-dml-'));
  try {
    const results: Record<string, { ms: number; peakMb: number }> = {};
    for (const dv of [false, true]) {
      const mode = dv ? 'dv' : 'cow';
      const t = await table(join(dir, `delete-${mode}`), dv);
      results[`delete-${mode}`] = await measure(() => t.delete('id % 100 = 0'));
      const m = await table(join(dir, `merge-${mode}`), dv);
      // Source: 10% of the target size, half of it matching existing ids (spread over every file), half new.
      const n = Math.floor(ROWS / 10);
      const ids = BigInt64Array.from({ length: n }, (_, i) => (i % 2 === 0 ? BigInt(i * 5) : BigInt(ROWS + i)));
      const source = rows(ids);
      results[`merge-${mode}`] = await measure(() =>
        m.merge(source, { on: 't.id = s.id', targetAlias: 't', sourceAlias: 's' }).whenMatchedUpdate({ set: { temp: 's.temp + 1' } }).whenNotMatchedInsertAll().execute(),
      );
    }
    const line = (k: string) => `${k.padEnd(12)} ${results[k]!.ms.toFixed(0).padStart(8)} ms   peak RSS ${results[k]!.peakMb.toFixed(0).padStart(6)} MB`;
    console.log(`DML on ${ROWS.toLocaleString('en')} rows (${Math.ceil(ROWS / PER_FILE)} files), source ${Math.floor(ROWS / 10).toLocaleString('en')} rows (50% matches)`);
    for (const k of ['delete-cow', 'delete-dv', 'merge-cow', 'merge-dv']) console.log(line(k));
    console.log(`delete 1%: copy-on-write / deletion vectors = ${(results['delete-cow']!.ms / results['delete-dv']!.ms).toFixed(2)}x`);
    console.log(`merge:     copy-on-write / deletion vectors = ${(results['merge-cow']!.ms / results['merge-dv']!.ms).toFixed(2)}x`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) await run();
