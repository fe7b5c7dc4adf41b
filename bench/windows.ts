// Windows benchmark (issue 14): a tumbling 1-minute count/avg over 1,000 keys, source table -> query -> sink table.
// Prints events/s end to end next to a baseline measured in the same run (reading the same source files through the
// stream source, no query, no sink), RSS after 1M events and at the end, the state size, and the windowed latency
// (source commit -> sink commit) of a live phase: a writer appends while the query runs on a continuous trigger.
// Size: `npm run bench -- windows 10000000` or DELTATS_BENCH_WINDOW_EVENTS (default 1,000,000; the figure
// is 10,000,000, about a minute on a quiet 2-core machine, most of it writing the source table).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import * as arrow from 'apache-arrow';
import { DeltaSource, DeltaTable, avg, count, tumblingWindow, type StreamProgress, type StructType, type Trigger } from '../src/index.js';

const EVENTS = Number((process.argv[2] === 'windows' ? process.argv[3] : undefined) ?? process.env.DELTATS_BENCH_WINDOW_EVENTS ?? 1_000_000);
const PER_FILE = 250_000;
const KEYS = 1000;
const LIVE_BATCHES = 8;

const schema: StructType = {
  type: 'struct',
  fields: [
    { name: 'ts', type: 'timestamp', nullable: false, metadata: {} },
    { name: 'key', type: 'string', nullable: false, metadata: {} },
    { name: 'value', type: 'double', nullable: true, metadata: {} },
  ],
};

/** `n` events from event `start`: 1,000 events per second of event time, keys round-robin, 1% out of order. */
function chunk(start: number, n: number): arrow.Table {
  const t0 = Date.UTC(2026, 0, 1) * 1000;
  const ts = new BigInt64Array(n);
  const value = new Float64Array(n);
  const names = Array.from({ length: KEYS }, (_, k) => `k${k}`);
  const keys: string[] = new Array(n);
  for (let i = 0; i < n; i++) {
    const e = start + i;
    ts[i] = BigInt(t0 + e * 1000 - (e % 100 === 0 ? 5_000_000 : 0));
    value[i] = (e * 7919) % 1000;
    keys[i] = names[e % KEYS]!;
  }
  return new arrow.Table({
    ts: arrow.makeVector({ type: new arrow.TimestampMicrosecond('UTC'), data: ts }) as arrow.Vector,
    key: arrow.vectorFromArray(keys, new arrow.Utf8()),
    value: arrow.makeVector(value),
  });
}

const mb = (b: number | undefined): string => (b === undefined ? 'n/a' : `${Math.round(b / 2 ** 20)} MB`);
const rate = (n: number, secs: number): string => `${Math.round(n / secs).toLocaleString()} events/s`;

export async function run(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'deltats-bench-windows-'));
  try {
    const source = await DeltaTable.create(join(dir, 'bronze'), { schema });
    for (let s = 0; s < EVENTS; s += PER_FILE) await source.append(chunk(s, Math.min(PER_FILE, EVENTS - s)));

    // Baseline: the same files read through the stream source (the read path alone).
    const b0 = performance.now();
    const src = new DeltaSource(join(dir, 'bronze'), { startingVersion: 0, maxFilesPerTrigger: 1 });
    let read = 0;
    for (let start = await src.initialOffset(); ; ) {
      const end = await src.latestOffset(start, { maxFiles: 1 });
      if (end === null || JSON.stringify(end) === JSON.stringify(start)) break;
      read += (await src.getBatch(start, end)).numRows;
      start = end;
    }
    const baseSecs = (performance.now() - b0) / 1000;

    let seen = 0;
    let rssAt1M: number | undefined;
    let peak = 0;
    let maxState = 0;
    const write = (trigger: Trigger, onProgress: (p: StreamProgress) => void, signal?: AbortSignal) =>
      source
        .stream({ startingVersion: 0, maxFilesPerTrigger: 1 })
        .withWatermark('ts', '10 seconds')
        .groupBy(tumblingWindow('ts', '1 minute'), 'key')
        .agg({ n: count(), avg_value: avg('value') })
        .writeTo(join(dir, 'silver'), { checkpointLocation: join(dir, 'ckpt'), trigger, onProgress, signal });
    const t0 = performance.now();
    await write({ availableNow: true }, (p) => {
      seen += p.numInputRows;
      const rss = process.memoryUsage().rss;
      peak = Math.max(peak, rss);
      maxState = Math.max(maxState, p.numStateRows ?? 0);
      if (rssAt1M === undefined && seen >= 1_000_000) rssAt1M = rss;
    });
    const secs = (performance.now() - t0) / 1000;
    const rssEnd = process.memoryUsage().rss;
    const out = await (await DeltaTable.open(join(dir, 'silver'))).scan().toArrow();

    // Live phase: append a file, wait for the query to commit it, repeat; latency = sink commit - source commit.
    const latencies: number[] = [];
    const stop = new AbortController();
    let waiting: (() => void) | undefined;
    const running = write(
      { continuous: true },
      (p) => {
        if (p.numInputRows > 0 && p.latencyMs !== undefined) latencies.push(p.latencyMs);
        if (p.numInputRows > 0) waiting?.();
      },
      stop.signal,
    );
    for (let i = 0; i < LIVE_BATCHES; i++) {
      const done = new Promise<void>((resolve) => (waiting = resolve));
      await source.append(chunk(EVENTS + i * PER_FILE, PER_FILE));
      await done;
    }
    stop.abort();
    await running;
    latencies.sort((a, b) => a - b);

    console.log(`windows: ${EVENTS.toLocaleString()} events, ${KEYS} keys, tumbling 1 minute count+avg, append mode, files of ${PER_FILE.toLocaleString()} events`);
    console.log(`  query, source table -> sink table: ${rate(EVENTS, secs)} (${secs.toFixed(1)} s), ${out.numRows.toLocaleString()} window rows written`);
    console.log(`  baseline, reading the source alone: ${rate(read, baseSecs)} (${baseSecs.toFixed(1)} s); query/baseline time ${(secs / baseSecs).toFixed(2)}x`);
    console.log(`  RSS after 1M events ${mb(rssAt1M)}, after ${EVENTS.toLocaleString()} ${mb(rssEnd)} (peak ${mb(peak)}); state at most ${maxState.toLocaleString()} groups`);
    const q = (f: number): number => Math.round(latencies[Math.min(latencies.length - 1, Math.floor(f * latencies.length))]!);
    if (latencies.length) console.log(`  live: source commit -> sink commit latency median ${q(0.5)} ms, max ${q(1)} ms (${latencies.length} batches of ${PER_FILE.toLocaleString()} events)`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (import.meta.url === pathToFileURL(process.argv[1]!).href) await run();
