// The README's streaming demo: a generator appends synthetic sensor events (some out of order, some late) to a
// bronze table while a perpetual query writes 1-minute averages per sensor to silver; silver is printed as it grows.
// Run: npm run demo:stream [-- <folder>]   (default ./.demo-stream, recreated each run). Event time runs 60x faster
// than the wall clock so that windows close every second.
import { rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { DeltaTable, avg, count, max, tumblingWindow, type StructType } from '../src/index.js';

const dir = resolve(process.argv[2] ?? '.demo-stream');
rmSync(dir, { recursive: true, force: true });
const schema: StructType = {
  type: 'struct',
  fields: [
    { name: 'ts', type: 'timestamp', nullable: false, metadata: {} },
    { name: 'sensor', type: 'string', nullable: false, metadata: {} },
    { name: 'temp', type: 'double', nullable: true, metadata: {} },
  ],
};
const bronze = await DeltaTable.create(join(dir, 'bronze'), { schema });
const silverUri = join(dir, 'silver');

// The generator: every 100 ms, 5 seconds of event time for 3 sensors; 10% out of order, 3% late by minutes.
const start = Date.UTC(2026, 0, 1, 8, 0, 0);
let clock = start;
let late = 0;
const gen = setInterval(() => {
  const rows = [];
  for (let i = 0; i < 15; i++) {
    clock += 333;
    const r = Math.random();
    const ts = r < 0.03 && clock - start > 240_000 ? clock - 180_000 : r < 0.13 ? clock - Math.floor(Math.random() * 20_000) : clock;
    if (r < 0.03 && clock - start > 240_000) late++;
    rows.push({ ts, sensor: `sensor-${1 + Math.floor(Math.random() * 3)}`, temp: Math.round((15 + 10 * Math.random()) * 10) / 10 });
  }
  void bronze.append(rows);
}, 100);

const abort = new AbortController();
let shown = 0;
const query = bronze
  .stream({ startingVersion: 0 })
  .withWatermark('ts', '30 seconds')
  .where('temp > -50')
  .withColumn('temp_f', 'temp * 9 / 5 + 32')
  .groupBy(tumblingWindow('ts', '1 minute'), 'sensor')
  .agg({ n: count(), avg_temp: avg('temp'), max_f: max('temp_f') });
const run = query.writeTo(silverUri, {
  checkpointLocation: join(dir, 'ckpt'),
  outputMode: 'append',
  trigger: { processingTime: 500 },
  signal: abort.signal,
  onProgress: (p) => {
    if (p.numOutputRows === 0) return;
    void (async () => {
      const silver = await DeltaTable.open(silverUri);
      const rows = await silver.scan().toArray();
      console.log(
        `batch ${p.batchId}: ${p.numInputRows} events in, ${p.numOutputRows} window rows out, watermark ${p.watermark}, ` +
          `${p.numStateRows} open windows, ${p.numRowsDroppedByWatermark} late rows dropped; silver has ${rows.length} rows`,
      );
      for (const r of rows.slice(shown)) {
        const w = new Date(r.window_start as Date).toISOString().slice(11, 16);
        console.log(`  ${w}  ${String(r.sensor)}  n=${String(r.n).padStart(3)}  avg ${(r.avg_temp as number).toFixed(2)} °C  max ${(r.max_f as number).toFixed(1)} °F`);
      }
      shown = rows.length;
    })();
  },
});
setTimeout(() => {
  clearInterval(gen);
  setTimeout(() => abort.abort(), 1500);
}, 8000);
const res = await run;
console.log(`\nstopped after ${res.batches} batches (${late} events were generated late); run: npx deltats cat ${silverUri}`);
