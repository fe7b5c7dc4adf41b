// Streaming benchmark: commit-to-sink latency with the low-latency trigger, and the throughput of a
// filter+project streaming job against the same job done as one batch scan + append. Prints ratios and absolutes.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import * as arrow from 'apache-arrow';
import { DeltaTable } from '../src/delta_table.js';
import { DeltaSource } from '../src/streaming/source.js';
import { DeltaSink } from '../src/streaming/sink.js';
import { runStream } from '../src/streaming/runner.js';
import { filterRows } from '../src/schema/access/take.js';
import type { StructType } from '../src/schema/types.js';

const LATENCY_COMMITS = Number(process.env.DELTATS_BENCH_LATENCY_COMMITS ?? 1000);
const THROUGHPUT_FILES = Number(process.env.DELTATS_BENCH_STREAM_FILES ?? 100);
const ROWS_PER_FILE = Number(process.env.DELTATS_BENCH_STREAM_ROWS_PER_FILE ?? 20_000);

const schema: StructType = {
  type: 'struct',
  fields: [
    { name: 'id', type: 'long', nullable: false, metadata: {} },
    { name: 'grp', type: 'string', nullable: true, metadata: {} },
    { name: 'value', type: 'double', nullable: true, metadata: {} },
  ],
};

function chunk(start: number, n: number): arrow.Table {
  const id = new BigInt64Array(n);
  const value = new Float64Array(n);
  const grp: string[] = new Array(n);
  for (let i = 0; i < n; i++) {
    id[i] = BigInt(start + i);
    value[i] = ((start + i) * 7919) % 1000;
    grp[i] = `g${(start + i) % 17}`;
  }
  return new arrow.Table({
    id: arrow.makeVector(id),
    grp: arrow.vectorFromArray(grp, new arrow.Utf8()),
    value: arrow.makeVector(value),
  });
}

/** The job's user code: keep value < 500, project (id, value). Works batch by batch (no chunked lookups). */
function filterProject(t: arrow.Table): arrow.Table {
  const out: arrow.RecordBatch[] = [];
  for (const b of t.batches) {
    const col = b.getChild('value')!;
    const d = col.data[0]!;
    const vals = d.values as Float64Array;
    const mask = new Uint8Array(b.numRows);
    if (d.nullCount === 0) for (let i = 0; i < b.numRows; i++) mask[i] = vals[d.offset + i]! < 500 ? 1 : 0;
    else for (let i = 0; i < b.numRows; i++) mask[i] = ((col.get(i) as number | null) ?? 500) < 500 ? 1 : 0;
    out.push(...filterRows(new arrow.Table([b]).select(['id', 'value']), mask).batches);
  }
  return out.length ? new arrow.Table(out) : t.select(['id', 'value']);
}

function pct(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))]!;
}

async function latency(root: string): Promise<void> {
  const srcUri = join(root, 'lat-src');
  const source = await DeltaTable.create(srcUri, { schema });
  const sinkUri = join(root, 'lat-sink');
  const ac = new AbortController();
  // Version -> resolve when the sink has committed the batch containing it.
  const waiters = new Map<number, (t: number) => void>();
  let committedThrough = -1;
  // Per batch: sink commit time minus the source commit's timestamp (commitInfo.timestamp), from progress events.
  const commitLat: number[] = [];
  const run = runStream({
    // An explicit version: 'latest' is resolved when the runner first polls, which races with the appends below.
    source: new DeltaSource(source, { startingVersion: source.version + 1 }),
    sink: new DeltaSink(sinkUri, { queryId: 'bench-latency' }),
    checkpointLocation: join(root, 'lat-ckpt'),
    trigger: { continuous: true },
    signal: ac.signal,
    onProgress: (p) => {
      const t = performance.now();
      if (p.latencyMs !== undefined && committedThrough >= 20) commitLat.push(p.latencyMs);
      committedThrough = (p.sourceEndOffset as { reservoirVersion: number }).reservoirVersion;
      for (const [v, resolve] of waiters) {
        if (v <= committedThrough) {
          waiters.delete(v);
          resolve(t);
        }
      }
    },
  });
  const lat: number[] = [];
  for (let i = 0; i < LATENCY_COMMITS + 20; i++) {
    const data = chunk(i, 1);
    const t0 = performance.now();
    const done = new Promise<number>((resolve) => waiters.set(i + 1, resolve));
    const res = await source.append(data);
    if (res.version !== i + 1) throw new Error(`unexpected source version ${res.version}`);
    const t1 = await done;
    // Including the source append itself (its Parquet file + commit).
    if (i >= 20) lat.push(t1 - t0);
  }
  ac.abort();
  await run;
  lat.sort((a, b) => a - b);
  commitLat.sort((a, b) => a - b);
  console.log(`latency source commit -> sink commit (continuous trigger, local disk, ${commitLat.length} commits)`);
  console.log(
    `  commit timestamp -> sink commit: p50 ${pct(commitLat, 0.5).toFixed(1)} ms (goal < 50)   ` +
      `p99 ${pct(commitLat, 0.99).toFixed(1)} ms (goal < 250)   max ${commitLat.at(-1)!.toFixed(1)} ms`,
  );
  console.log(
    `  append() call -> sink commit (includes writing the source file): p50 ${pct(lat, 0.5).toFixed(1)} ms   ` +
      `p99 ${pct(lat, 0.99).toFixed(1)} ms`,
  );
}

async function throughput(root: string): Promise<void> {
  const srcUri = join(root, 'tp-src');
  const source = await DeltaTable.create(srcUri, { schema });
  for (let f = 0; f < THROUGHPUT_FILES; f++) await source.append(chunk(f * ROWS_PER_FILE, ROWS_PER_FILE));
  const totalRows = THROUGHPUT_FILES * ROWS_PER_FILE;

  // Batch: scan everything, the same user code, one append.
  const tb0 = performance.now();
  const all = await (await DeltaTable.open(srcUri)).scan().toArrow();
  const tb1 = performance.now();
  const batchOut = filterProject(all);
  const tb2 = performance.now();
  const batchSink = await DeltaTable.create(join(root, 'tp-batch-sink'), { schema: batchOut.schema });
  await batchSink.append(batchOut);
  const batchMs = performance.now() - tb0;
  const phases = `scan ${(tb1 - tb0).toFixed(0)} ms, filter+project ${(tb2 - tb1).toFixed(0)} ms, append ${(performance.now() - tb2).toFixed(0)} ms`;

  // Streaming: the same data through the micro-batch runner.
  const ts0 = performance.now();
  let streamed = 0;
  let batches = 0;
  await runStream({
    source: new DeltaSource(srcUri, { maxFilesPerTrigger: 20 }),
    transform: filterProject,
    sink: new DeltaSink(join(root, 'tp-stream-sink'), { queryId: 'bench-throughput' }),
    checkpointLocation: join(root, 'tp-ckpt'),
    trigger: { availableNow: true },
    onProgress: (p) => {
      streamed += p.numInputRows;
      batches++;
    },
  });
  const streamMs = performance.now() - ts0;
  if (streamed !== totalRows) throw new Error(`streamed ${streamed} rows, expected ${totalRows}`);
  const batchRate = totalRows / (batchMs / 1000);
  const streamRate = totalRows / (streamMs / 1000);
  console.log(`throughput filter+project job, ${totalRows} rows in ${THROUGHPUT_FILES} files (local disk)`);
  console.log(`  batch (scan + append):        ${Math.round(batchRate).toLocaleString()} rows/s (${batchMs.toFixed(0)} ms: ${phases})`);
  console.log(`  streaming (${batches} micro-batches): ${Math.round(streamRate).toLocaleString()} rows/s (${streamMs.toFixed(0)} ms)`);
  console.log(`  ratio streaming / batch: ${(streamRate / batchRate).toFixed(2)}x (goal >= 0.8x)`);
}

export async function run(): Promise<void> {
  const root = mkdtempSync(join(tmpdir(), 'deltats-bench-stream-'));
  try {
    await latency(root);
    await throughput(root);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) await run();
