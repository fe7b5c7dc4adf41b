// Windowed streaming aggregation end to end (Delta source -> query -> Delta sink) against a plain TS batch model
// of the same query and watermark rule: every window kind, out-of-order and late events, append and complete modes.
import { afterAll, describe, expect, it } from 'vitest';
import { DeltaTable } from '../../../src/delta_table.js';
import {
  avg,
  count,
  countDistinct,
  first,
  hoppingWindow,
  last,
  max,
  min,
  sessionWindow,
  snapshotWindow,
  sum,
  tumblingWindow,
  type StreamProgress,
  type WindowSpec,
} from '../../../src/index.js';
import { cleanupTempDirs, tempDir } from '../../helpers/tmp.js';
import { appendResult, completeResult, makeEvents, survivors, updateResult, type ModelQuery, type ModelWindow } from './model.js';
import { asSink, bronze, sensorQuery, sinkRows } from './helpers.js';

afterAll(cleanupTempDirs);

const DELAY = 5000;
const cases: { name: string; spec: WindowSpec; model: ModelWindow }[] = [
  { name: 'tumbling', spec: tumblingWindow('ts', '10 seconds'), model: { kind: 'tumbling', size: 10_000 } },
  { name: 'hopping', spec: hoppingWindow('ts', '10 seconds', '4 seconds'), model: { kind: 'hopping', size: 10_000, slide: 4000 } },
  { name: 'session', spec: sessionWindow('ts', '3 seconds'), model: { kind: 'session', gap: 3000 } },
  {
    name: 'session with maxDuration',
    spec: sessionWindow('ts', 3000, { maxDuration: '8 seconds' }),
    model: { kind: 'session', gap: 3000, maxDuration: 8000 },
  },
  { name: 'snapshot', spec: snapshotWindow('ts'), model: { kind: 'snapshot' } },
];

const query = sensorQuery;

const keep = (e: { sensor: string }): boolean => e.sensor !== 's9';

describe('windowed aggregation equals the batch model', () => {
  for (const c of cases) {
    it(`${c.name}: append, complete${c.model.kind === 'session' ? '' : ' and update'} modes`, async () => {
      const batches = makeEvents(c.name.length * 7919, 12, 25, 700);
      const src = await bronze();
      for (const b of batches) await src.add(b);
      const q: ModelQuery = { window: c.model, delay: DELAY, keep };

      const appendSink = tempDir('silver-');
      const progress: StreamProgress[] = [];
      const res = await query(src.table, c.spec).writeTo(appendSink, {
        checkpointLocation: tempDir('ckpt-'),
        outputMode: 'append',
        trigger: { availableNow: true },
        onProgress: (p) => progress.push(p),
      });
      expect(res.stoppedBy).toBe('availableNow');
      const got = await sinkRows(appendSink);
      const want = asSink(appendResult(batches, q));
      expect(want.length).toBeGreaterThan(5);
      expect(got).toEqual(want);
      // The drained run ended with a no-data batch that emitted what the last watermark closed.
      expect(progress.at(-1)!.noData).toBe(true);
      const dropped = progress.reduce((a, p) => a + (p.numRowsDroppedByWatermark ?? 0), 0);
      expect(dropped).toBeGreaterThan(0);
      expect(dropped).toBe(survivors(batches, q, true).dropped);
      expect(progress.at(-1)!.watermark).toMatch(/^2026-01-01T/);

      // Restarted after every batch (state rebuilt from the snapshot and deltas each time): the same sink.
      const restartSink = tempDir('silver-');
      const restartCkpt = tempDir('ckpt-');
      let runs = 0;
      while ((await query(src.table, c.spec).writeTo(restartSink, { checkpointLocation: restartCkpt, trigger: { once: true } })).batches > 0) runs++;
      expect(runs).toBe(progress.length);
      expect(await sinkRows(restartSink)).toEqual(want);

      const completeSink = tempDir('gold-');
      await query(src.table, c.spec).writeTo(completeSink, {
        checkpointLocation: tempDir('ckpt-'),
        outputMode: 'complete',
        trigger: { availableNow: true },
      });
      expect(await sinkRows(completeSink)).toEqual(asSink(completeResult(batches, q)));

      if (c.model.kind === 'session') return; // refused in update mode (query.test.ts)
      const updateSink = tempDir('upd-');
      await query(src.table, c.spec).writeTo(updateSink, {
        checkpointLocation: tempDir('ckpt-'),
        outputMode: 'update',
        trigger: { availableNow: true },
      });
      const upd = await sinkRows(updateSink);
      expect(upd).toEqual(asSink(updateResult(batches, q)));
      // Still-open windows are in the sink too (at their latest value), so it holds more than append mode's.
      expect(upd.length).toBeGreaterThan(want.length);
    });
  }
});
