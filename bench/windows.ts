// Windows benchmark (issue 14): a tumbling 1-minute count/avg over 1,000 keys, source table -> query -> sink table.
// Prints events/s end to end, RSS after 1M events and at the end, and source-commit-to-sink-commit latency.
// Size: DELTATS_BENCH_WINDOW_EVENTS (default 2,000,000; the figure is 10,000,000).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import * as arrow from 'apache-arrow';
import { DeltaTable, avg, count, tumblingWindow, type StreamProgress, type StructType } from '../src/index.js';

const EVENTS = Number(process.env.DELTATS_BENCH_WINDOW_EVENTS ?? 2_000_000);
const PER_FILE = 250_000;
const KEYS = 1000;

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
  const keys: string[] = new Array(n);
  for (let i = 0; i < n; i++) {
    const e = start + i;
    ts[i] = BigInt(t0 + e * 1000 - (e % 100 === 0 ? 5_000_000 : 0));
    value[i] = (e * 7919) % 1000;
    keys[i] = `k${e % KEYS}`;
  }
  return new arrow.Table({
    ts: arrow.makeVector({ type: new arrow.TimestampMicrosecond('UTC'), data: ts }) as arrow.Vector,
    key: arrow.vectorFromArray(keys, new arrow.Utf8()),
    value: arrow.makeVector(value),
  });
}

export async function run(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'deltats-bench-windows-'));
  try {
    const source = await DeltaTable.create(join(dir, 'bronze'), { schema });
    for (let s = 0; s < EVENTS; s += PER_FILE) await source.append(chunk(s, Math.min(PER_FILE, EVENTS - s)));
    let seen = 0;
    let rssAt1M: number | undefined;
    let peak = 0;
    const latencies: number[] = [];
    const t0 = performance.now();
    await source
      .stream({ startingVersion: 0, maxFilesPerTrigger: 1 })
      .withWatermark('ts', '10 seconds')
      .groupBy(tumblingWindow('ts', '1 minute'), 'key')
      .agg({ n: count(), avg_value: avg('value') })
      .writeTo(join(dir, 'silver'), {
        checkpointLocation: join(dir, 'ckpt'),
        trigger: { availableNow: true },
        onProgress: (p: StreamProgress) => {
          seen += p.numInputRows;
          const rss = process.memoryUsage().rss;
          peak = Math.max(peak, rss);
          if (rssAt1M === undefined && seen >= 1_000_000) rssAt1M = rss;
          if (p.latencyMs !== undefined && !p.noData) latencies.push(p.latencyMs);
        },
      });
    const secs = (performance.now() - t0) / 1000;
    const out = await (await DeltaTable.open(join(dir, 'silver'))).scan().toArrow();
    const mb = (b: number | undefined): string => (b === undefined ? 'n/a' : `${Math.round(b / 2 ** 20)} MB`);
    latencies.sort((a, b) => a - b);
    console.log(`windows: ${EVENTS.toLocaleString()} events, ${KEYS} keys, tumbling 1 minute count+avg, append mode`);
    console.log(`  ${Math.round(EVENTS / secs).toLocaleString()} events/s end to end (${secs.toFixed(1)} s), ${out.numRows} window rows written`);
    console.log(`  RSS after 1M events ${mb(rssAt1M)}, peak ${mb(peak)}, at the end ${mb(process.memoryUsage().rss)}`);
    if (latencies.length) console.log(`  source commit -> sink commit latency: median ${Math.round(latencies[latencies.length >> 1]!)} ms (batches of ${PER_FILE.toLocaleString()} events)`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (import.meta.url === pathToFileURL(process.argv[1]!).href) await run();
