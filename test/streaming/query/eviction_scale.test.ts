// State stays bounded by the watermark at scale (issue 14): after 1M events over 100k windows, the checkpoint's live
// state (its snapshot and deltas) holds only the windows the watermark has not closed, every other window is in the
// sink exactly once, and old state versions are gone.
import { afterAll, describe, expect, it } from 'vitest';
import { readdirSync } from 'node:fs';
import * as path from 'node:path';
import * as arrow from 'apache-arrow';
import { DeltaTable, count, tumblingWindow, type StreamProgress, type StructType } from '../../../src/index.js';
import { StreamCheckpoint } from '../../../src/streaming/checkpoint.js';
import { SNAPSHOT_EVERY, mergeVersions } from '../../../src/streaming/query/aggregation.js';
import { StateStore } from '../../../src/streaming/query/state_store.js';
import { cleanupTempDirs, tempDir } from '../../helpers/tmp.js';

afterAll(cleanupTempDirs);

const schema: StructType = {
  type: 'struct',
  fields: [
    { name: 'ts', type: 'timestamp', nullable: false, metadata: {} },
    { name: 'key', type: 'string', nullable: false, metadata: {} },
  ],
};
const EVENTS = 1_000_000;
const PER_COMMIT = 50_000;
const BASE_US = Date.UTC(2026, 0, 1) * 1000;
/** Event i: every 100 ms of event time (10 per 1 s window: 100k windows), keys a/b, every 97th 3 s late. */
const tsOf = (i: number): number => BASE_US + i * 100_000 - (i % 97 === 0 ? 3_000_000 : 0);

describe('state eviction at scale', () => {
  it('after 1M events over 100k windows the live state holds only windows the watermark has not closed', async () => {
    const bronze = await DeltaTable.create(tempDir('bronze-'), { schema });
    for (let s = 0; s < EVENTS; s += PER_COMMIT) {
      const ts = new BigInt64Array(PER_COMMIT);
      const keys: string[] = [];
      for (let i = 0; i < PER_COMMIT; i++) {
        ts[i] = BigInt(tsOf(s + i));
        keys.push((s + i) % 2 ? 'b' : 'a');
      }
      await bronze.append(
        new arrow.Table({
          ts: arrow.makeVector({ type: new arrow.TimestampMicrosecond('UTC'), data: ts }) as arrow.Vector,
          key: arrow.vectorFromArray(keys, new arrow.Utf8()),
        }),
      );
    }
    const ckptDir = tempDir('ckpt-');
    const sinkDir = tempDir('silver-');
    const progress: StreamProgress[] = [];
    await bronze
      .stream({ startingVersion: 0, maxFilesPerTrigger: 1 })
      .withWatermark('ts', '5 seconds')
      .groupBy(tumblingWindow('ts', '1 second'), 'key')
      .agg({ n: count() })
      .writeTo(sinkDir, { checkpointLocation: ckptDir, trigger: { availableNow: true }, onProgress: (p) => progress.push(p) });

    const last = progress.at(-1)!;
    expect(progress.reduce((a, p) => a + p.numInputRows, 0)).toBe(EVENTS);
    expect(progress.every((p) => p.numRowsDroppedByWatermark === 0)).toBe(true);
    // Bounded while running: a batch's windows are evicted by the next batch (the watermark moves between batches),
    // so at most one batch's windows (5,000 x 2 keys) plus the delay's are held, though 200k groups pass through.
    expect(Math.max(...progress.map((p) => p.numStateRows ?? 0))).toBeLessThan((2 * PER_COMMIT) / 10 + 100);

    // Live state = newest snapshot + the deltas after it; nothing older is left.
    const files = readdirSync(path.join(ckptDir, 'state')).sort((a, b) => parseInt(a) - parseInt(b));
    const snap = last.batchId - (last.batchId % SNAPSHOT_EVERY);
    expect(files).toEqual([`${snap}.snapshot`, ...Array.from({ length: last.batchId - snap }, (_, i) => `${snap + 1 + i}.delta`)]);
    const state = mergeVersions(await new StateStore(await StreamCheckpoint.open(ckptDir)).load(last.batchId));
    const wm = state.watermarkUs!;
    expect(wm).toBe(tsOf(EVENTS - 1) - 5_000_000);

    // The model: every (window, key) with events; open = not closed by the final watermark.
    const counts = new Map<string, number>();
    for (let i = 0; i < EVENTS; i++) {
      const start = Math.floor(tsOf(i) / 1_000_000) * 1_000_000;
      const k = `${start}|${i % 2 ? 'b' : 'a'}`;
      counts.set(k, (counts.get(k) ?? 0) + 1);
    }
    expect(counts.size).toBeGreaterThan(199_000);
    const open = [...counts.keys()].filter((k) => Number(k.split('|')[0]) + 1_000_000 > wm).sort();
    expect(open.length).toBeGreaterThan(0);
    expect(open.length).toBeLessThan(20);
    const held = state.groups.map((g) => `${g[0]}|${String(g[3][0])}`).sort();
    expect(held).toEqual(open);
    expect(state.groups.every((g) => g[2]! > wm)).toBe(true);
    expect(last.numStateRows).toBe(open.length);
    for (const g of state.groups) expect(g[4][0]).toBe(counts.get(`${g[0]}|${String(g[3][0])}`));

    // Every closed window is in the sink once, with its count.
    const out = await (await DeltaTable.open(sinkDir)).scan().toArrow();
    expect(out.numRows).toBe(counts.size - open.length);
    const start = out.getChild('window_start')!.toArray() as BigInt64Array;
    const key = out.getChild('key')!.toArray() as string[];
    const n = out.getChild('n')!.toArray() as BigInt64Array;
    const emitted = new Set<string>();
    for (let r = 0; r < out.numRows; r++) {
      const k = `${start[r]}|${key[r]}`;
      expect(emitted.has(k)).toBe(false);
      emitted.add(k);
      if (Number(n[r]) !== counts.get(k)) expect(`${k}: ${n[r]}`).toBe(`${k}: ${counts.get(k)}`);
    }
  }, 180_000);
});
