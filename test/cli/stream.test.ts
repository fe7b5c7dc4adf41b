// `deltats stream <job.json>` as a real child process: a windowed job drains a bronze table into a sink with JSON
// progress lines; a bad job fails with one clear line before anything is written.
import { afterAll, describe, expect, it } from 'vitest';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { DeltaTable } from '../../src/delta_table.js';
import { cleanupTempDirs, tempDir } from '../helpers/tmp.js';
import { REPO, cli } from './run.js';

afterAll(cleanupTempDirs);

const T0 = Date.UTC(2026, 0, 1, 12, 0, 0);

/** An empty bronze table of sensor readings (ts, sensor, temp) in `dir`/bronze. */
function sensorTable(dir: string): Promise<DeltaTable> {
  return DeltaTable.create(join(dir, 'bronze'), {
    schema: {
      type: 'struct',
      fields: [
        { name: 'ts', type: 'timestamp', nullable: true, metadata: {} },
        { name: 'sensor', type: 'string', nullable: true, metadata: {} },
        { name: 'temp', type: 'double', nullable: true, metadata: {} },
      ],
    },
  });
}

describe('deltats stream', () => {
  it('runs a JSON job (watermark, where, withColumn, tumbling window) and reports progress as JSON lines', async () => {
    const dir = tempDir('deltats-stream-');
    const bronze = await sensorTable(dir);
    // Two minutes of readings, one commit each, then a reading that moves the watermark past both.
    await bronze.append(Array.from({ length: 6 }, (_, i) => ({ ts: T0 + i * 10_000, sensor: i % 2 ? 'a' : 'b', temp: i })));
    await bronze.append(Array.from({ length: 6 }, (_, i) => ({ ts: T0 + 60_000 + i * 10_000, sensor: 'a', temp: i === 0 ? -99 : 10 + i })));
    await bronze.append([{ ts: T0 + 200_000, sensor: 'a', temp: 1 }]);
    const job = {
      source: './bronze',
      sourceOptions: { startingVersion: 0, maxFilesPerTrigger: 1 },
      steps: [{ withWatermark: { column: 'ts', delay: '10 seconds' } }, { where: 'temp > -50' }, { withColumn: { name: 'temp_f', expr: 'temp * 9 / 5 + 32' } }],
      groupBy: { window: { type: 'tumbling', column: 'ts', size: '1 minute' }, keys: ['sensor'] },
      agg: { n: 'count(*)', avg_temp: 'avg(temp)', max_f: 'max(temp_f)' },
      sink: './silver',
      checkpointLocation: './ckpt',
      outputMode: 'append',
    };
    writeFileSync(join(dir, 'job.json'), JSON.stringify(job));
    const r = await cli(['stream', join(dir, 'job.json'), '--available-now', '--json']);
    expect(r.code, r.stderr).toBe(0);
    const lines = r.stdout.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    const progress = lines.filter((l) => l.event === 'progress');
    expect(progress.length).toBe(4); // three data batches and the no-data batch that closes the last windows
    expect(progress.at(-1)).toMatchObject({ noData: true, watermark: new Date(T0 + 190_000).toISOString(), numStateRows: 1 });
    expect(lines.at(-1)).toMatchObject({ event: 'stopped', stoppedBy: 'availableNow', batches: 4 });
    const silver = await DeltaTable.open(join(dir, 'silver'));
    const rows = (await silver.scan().toArray()) as Record<string, unknown>[];
    const plain = rows
      .map((x) => ({ start: new Date(x.window_start as number | Date).toISOString(), sensor: x.sensor, n: Number(x.n as bigint), avg: x.avg_temp, max_f: x.max_f }))
      .sort((a, b) => (a.start + a.sensor < b.start + b.sensor ? -1 : 1));
    expect(plain).toEqual([
      { start: '2026-01-01T12:00:00.000Z', sensor: 'a', n: 3, avg: 3, max_f: 5 * 1.8 + 32 },
      { start: '2026-01-01T12:00:00.000Z', sensor: 'b', n: 3, avg: 2, max_f: 4 * 1.8 + 32 },
      { start: '2026-01-01T12:01:00.000Z', sensor: 'a', n: 5, avg: 13, max_f: 15 * 1.8 + 32 },
    ]);
  });

  it('runs a TypeScript job module (default export: a function returning the query) and a JS one (a JSON-style job)', async () => {
    const dir = tempDir('deltats-stream-');
    const bronze = await sensorTable(dir);
    await bronze.append(Array.from({ length: 6 }, (_, i) => ({ ts: T0 + i * 10_000, sensor: i % 2 ? 'a' : 'b', temp: i })));
    await bronze.append([{ ts: T0 + 200_000, sensor: 'a', temp: 1 }]);
    const api = pathToFileURL(join(REPO, 'src', 'index.ts')).href;
    // The query built with the API; sink and checkpoint relative to the job file, the source opened by the module.
    writeFileSync(
      join(dir, 'job.ts'),
      `import { DeltaTable, avg, count, defineStreamJob, tumblingWindow, type StreamJobDefinition } from ${JSON.stringify(api)};
export default defineStreamJob(async (): Promise<StreamJobDefinition> => {
  const bronze = await DeltaTable.open(new URL('./bronze', import.meta.url).pathname);
  return {
    query: bronze
      .stream({ startingVersion: 0 })
      .withWatermark('ts', '10 seconds')
      .where('temp >= 1')
      .groupBy(tumblingWindow('ts', '1 minute'), 'sensor')
      .agg({ n: count(), avg_temp: avg('temp') }),
    sink: './silver-ts',
    checkpointLocation: './ckpt-ts',
    trigger: { availableNow: true },
  };
});
`,
    );
    writeFileSync(
      join(dir, 'job.mjs'),
      `export const job = {
  source: './bronze',
  steps: [{ withWatermark: { column: 'ts', delay: '10 seconds' } }, { where: 'temp >= 1' }],
  groupBy: { window: { type: 'tumbling', column: 'ts', size: '1 minute' }, keys: ['sensor'] },
  agg: { n: 'count()', avg_temp: 'avg(temp)' },
  sink: './silver-js',
  checkpointLocation: './ckpt-js',
};
`,
    );
    const want = [
      { start: '2026-01-01T12:00:00.000Z', sensor: 'a', n: 3, avg: 3 },
      { start: '2026-01-01T12:00:00.000Z', sensor: 'b', n: 2, avg: 3 },
    ];
    for (const [file, sink] of [['job.ts', 'silver-ts'], ['job.mjs', 'silver-js']] as const) {
      const r = await cli(['stream', join(dir, file), '--available-now', '--json']);
      expect(r.code, r.stderr).toBe(0);
      expect(JSON.parse(r.stdout.trim().split('\n').at(-1)!)).toMatchObject({ event: 'stopped', stoppedBy: 'availableNow' });
      const rows = (await (await DeltaTable.open(join(dir, sink))).scan().toArray()) as Record<string, unknown>[];
      const plain = rows
        .map((x) => ({ start: new Date(x.window_start as number | Date).toISOString(), sensor: x.sensor, n: Number(x.n as bigint), avg: x.avg_temp }))
        .sort((a, b) => (a.sensor! < b.sensor! ? -1 : 1));
      expect(plain, file).toEqual(want);
    }
    // A module exporting no job: one clear line.
    writeFileSync(join(dir, 'empty.mjs'), 'export const x = 1;\n');
    const bad = await cli(['stream', join(dir, 'empty.mjs'), '--available-now']);
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toMatch(/^deltats: job module .*empty\.mjs must export .*; it exports nothing/);
  });

  it('a bad job is one clear error line, and nothing is written', async () => {
    const dir = tempDir('deltats-stream-');
    await DeltaTable.create(join(dir, 'bronze'), { schema: { type: 'struct', fields: [{ name: 'ts', type: 'timestamp', nullable: true, metadata: {} }] } });
    writeFileSync(
      join(dir, 'job.json'),
      JSON.stringify({ source: './bronze', groupBy: { window: { type: 'tumbling', column: 'ts', size: '1 minute' } }, agg: { n: 'median(ts)' }, sink: './out', checkpointLocation: './ckpt' }),
    );
    const r = await cli(['stream', join(dir, 'job.json'), '--available-now']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^deltats: job agg 'n': 'median\(ts\)' is not an aggregate/);
    expect(existsSync(join(dir, 'out'))).toBe(false);
  });
});
