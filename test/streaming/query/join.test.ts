// Stream-static join: stream rows joined with a reference Delta table, re-read when it gets a new version;
// inner and left joins, residual conditions, then windowed aggregation over the joined rows.
import { afterAll, describe, expect, it } from 'vitest';
import { DeltaTable, ExpressionError, count, max, tumblingWindow } from '../../../src/index.js';
import type { StructType } from '../../../src/schema/types.js';
import { cleanupTempDirs, tempDir } from '../../helpers/tmp.js';
import { bronze, sinkRows, sortRows } from './helpers.js';

afterAll(cleanupTempDirs);

const T0 = Date.UTC(2026, 0, 1, 12, 0, 0);
const refSchema: StructType = {
  type: 'struct',
  fields: [
    { name: 'sensor', type: 'string', nullable: true, metadata: {} },
    { name: 'name', type: 'string', nullable: true, metadata: {} },
    { name: 'limit', type: 'long', nullable: true, metadata: {} },
  ],
};

describe('stream-static join', () => {
  it('left and inner joins with a residual condition; a new reference version is picked up by the next batch', async () => {
    const src = await bronze();
    const ref = await DeltaTable.create(tempDir('ref-'), { schema: refSchema });
    await ref.append([
      { sensor: 'a', name: 'Alpha', limit: 10n },
      { sensor: 'b', name: 'Beta', limit: 50n },
      { sensor: 'b', name: 'Beta2', limit: 5n },
    ]);
    await src.add([
      { ts: T0, sensor: 'a', temp: 20 },
      { ts: T0 + 1, sensor: 'b', temp: 20 },
      { ts: T0 + 2, sensor: 'c', temp: 1 },
      { ts: T0 + 3, sensor: null as unknown as string, temp: 1 },
    ]);
    const left = tempDir('left-');
    const inner = tempDir('inner-');
    const cl = tempDir('ckpt-');
    const ci = tempDir('ckpt-');
    const run = async (): Promise<void> => {
      await src.table
        .stream({ startingVersion: 0 })
        .join(ref.uri, { on: 'e.sensor = r.sensor', type: 'left' })
        .select('sensor', 'temp', 'name')
        .writeTo(left, { checkpointLocation: cl, trigger: { availableNow: true } });
      await src.table
        .stream({ startingVersion: 0 })
        .join(ref, { on: 'e.sensor = r.sensor AND e.temp > r.limit' })
        .select('sensor', 'temp', 'name', 'r_sensor')
        .writeTo(inner, { checkpointLocation: ci, trigger: { availableNow: true } });
    };
    await run();
    expect(await sinkRows(left)).toEqual(
      sortRows([
        { sensor: 'a', temp: 20, name: 'Alpha' },
        { sensor: 'b', temp: 20, name: 'Beta' },
        { sensor: 'b', temp: 20, name: 'Beta2' },
        { sensor: 'c', temp: 1, name: null },
        { sensor: null, temp: 1, name: null },
      ]),
    );
    expect(await sinkRows(inner)).toEqual(
      sortRows([
        { sensor: 'a', temp: 20, name: 'Alpha', r_sensor: 'a' },
        { sensor: 'b', temp: 20, name: 'Beta2', r_sensor: 'b' },
      ]),
    );
    // Reference data changes: the next batch sees it; rows already written stay as they were.
    await ref.append([{ sensor: 'c', name: 'Gamma', limit: 0n }]);
    await src.add([{ ts: T0 + 4, sensor: 'c', temp: 2 }]);
    await run();
    const rows = await sinkRows(inner);
    expect(rows).toContainEqual({ sensor: 'c', temp: 2, name: 'Gamma', r_sensor: 'c' });
    expect(rows).toHaveLength(3);
  });

  it('joined rows feed a windowed aggregation; a bad join condition fails before the query starts', async () => {
    const src = await bronze();
    const ref = await DeltaTable.create(tempDir('ref-'), { schema: refSchema });
    await ref.append([
      { sensor: 'a', name: 'Alpha', limit: 10n },
      { sensor: 'b', name: 'Beta', limit: 50n },
    ]);
    await src.add(Array.from({ length: 30 }, (_, i) => ({ ts: T0 + i * 1000, sensor: i % 3 === 0 ? 'a' : 'b', temp: i })));
    const out = tempDir('silver-');
    await src.table
      .stream({ startingVersion: 0 })
      .withWatermark('ts', '0 seconds')
      .join(ref, { on: 'e.sensor = r.sensor' })
      .where('temp > limit')
      .groupBy(tumblingWindow('ts', '10 seconds'), 'name')
      .agg({ n: count(), hi: max('temp') })
      .writeTo(out, { checkpointLocation: tempDir('ckpt-'), trigger: { availableNow: true } });
    const want: Record<string, unknown>[] = [];
    for (const w of [0, 10]) {
      for (const [name, s, lim] of [['Alpha', 'a', 10], ['Beta', 'b', 50]] as const) {
        const ts = Array.from({ length: 10 }, (_, k) => w + k).filter((i) => (i % 3 === 0 ? 'a' : 'b') === s && i > lim);
        if (ts.length) want.push({ window_start: T0 + w * 1000, window_end: T0 + (w + 10) * 1000, name, n: ts.length, hi: Math.max(...ts) });
      }
    }
    expect(want.length).toBeGreaterThan(0);
    expect(await sinkRows(out)).toEqual(sortRows(want));
    const e = await src.table
      .stream({ startingVersion: 0 })
      .join(ref, { on: 'e.sensor = r.nope' })
      .writeTo(tempDir('x-'), { checkpointLocation: tempDir('ckpt-') })
      .catch((x: unknown) => x);
    expect(e).toBeInstanceOf(ExpressionError);
    expect((e as Error).message).toMatch(/join on: .*r\.nope/);
  });
});
