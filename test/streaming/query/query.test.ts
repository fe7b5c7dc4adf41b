// The query builder's contract beyond window results: bad input refused before anything runs, stateless queries,
// exact aggregates (overflow), running aggregates, late-arrival 'adjust', state eviction, sliced multi-chunk input.
import { afterAll, describe, expect, it } from 'vitest';
import { existsSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import * as arrow from 'apache-arrow';
import {
  ArithmeticOverflowError,
  DeltaTable,
  ExpressionError,
  InvalidArgumentError,
  StreamCheckpointError,
  avg,
  col,
  count,
  countDistinct,
  hoppingWindow,
  sessionWindow,
  max,
  sum,
  tumblingWindow,
  type StreamProgress,
} from '../../../src/index.js';
import { fromArrowSchema, toArrowSchema } from '../../../src/schema/arrow.js';
import { objectsToArrow } from '../../../src/schema/objects.js';
import { StreamCheckpoint } from '../../../src/streaming/checkpoint.js';
import { SNAPSHOT_EVERY, StreamingAggregation, mergeVersions } from '../../../src/streaming/query/aggregation.js';
import { compilePipeline } from '../../../src/streaming/query/stages.js';
import { StateStore, encodeState } from '../../../src/streaming/query/state_store.js';
import { cleanupTempDirs, tempDir } from '../../helpers/tmp.js';
import { appendResult, makeEvents, survivors, windows as modelWindows } from './model.js';
import { bronze, eventSchema, sinkRows, sortRows } from './helpers.js';

afterAll(cleanupTempDirs);

const T0 = Date.UTC(2026, 0, 1, 12, 0, 0);

describe('bad input is refused before the query starts', () => {
  it('names the problem, and writes neither a checkpoint nor a sink', async () => {
    const src = await bronze();
    await src.add([{ ts: T0, sensor: 'a', temp: 1 }]);
    const s = () => src.table.stream({ startingVersion: 0 });
    const dir = tempDir('bad-');
    const opts = { checkpointLocation: path.join(dir, 'ckpt'), trigger: { availableNow: true } as const };
    const refused: [() => Promise<unknown>, RegExp, new (...args: never[]) => Error][] = [
      [() => s().where('nope > 1').writeTo(path.join(dir, 'out'), opts), /where: .*nope/i, ExpressionError],
      [() => s().withColumn('x', 'temp + nope').writeTo(path.join(dir, 'out'), opts), /withColumn 'x'.*nope/, ExpressionError],
      [() => s().select('nope').writeTo(path.join(dir, 'out'), opts), /select: unknown column 'nope'/, ExpressionError],
      [() => s().withWatermark('sensor', '1 minute').writeTo(path.join(dir, 'out'), opts), /event-time column 'sensor' must be a timestamp/, InvalidArgumentError],
      [() => s().withWatermark('nope', '1 minute').writeTo(path.join(dir, 'out'), opts), /withWatermark: unknown column 'nope'/, ExpressionError],
      [
        () => s().withWatermark('ts', '1 minute').groupBy(tumblingWindow('temp', '1 minute')).agg({ n: count() }).writeTo(path.join(dir, 'out'), opts),
        /event-time column 'temp' must be a timestamp/,
        InvalidArgumentError,
      ],
      [
        () => s().withWatermark('ts', '1 minute').groupBy(tumblingWindow('ts', '1 minute'), 'nope').agg({ n: count() }).writeTo(path.join(dir, 'out'), opts),
        /groupBy: .*nope/,
        ExpressionError,
      ],
      [
        () => s().withWatermark('ts', '1 minute').groupBy(tumblingWindow('ts', '1 minute')).agg({ x: sum('sensor') }).writeTo(path.join(dir, 'out'), opts),
        /aggregate 'x': sum\(\) needs a numeric input, but its input is string/,
        InvalidArgumentError,
      ],
      [
        () => s().withWatermark('ts', '1 minute').groupBy(tumblingWindow('ts', '1 minute')).agg({ x: avg('nope') }).writeTo(path.join(dir, 'out'), opts),
        /aggregate 'x'.*nope/,
        ExpressionError,
      ],
      [
        () => s().groupBy(tumblingWindow('ts', '1 minute')).agg({ n: count() }).writeTo(path.join(dir, 'out'), { ...opts, outputMode: 'append' }),
        /append output mode is not supported for a streaming aggregation without a watermark/,
        InvalidArgumentError,
      ],
      [() => s().where('temp > 0').writeTo(path.join(dir, 'out'), { ...opts, outputMode: 'complete' }), /'complete' needs an aggregation/, InvalidArgumentError],
      [
        () => s().withWatermark('ts', '1 minute').groupBy(sessionWindow('ts', '1 minute')).agg({ n: count() }).writeTo(path.join(dir, 'out'), { ...opts, outputMode: 'update' }),
        /'update' is not supported with session windows/,
        InvalidArgumentError,
      ],
      [
        () => s().groupBy().agg({ n: count() }).writeTo(path.join(dir, 'out'), { ...opts, outputMode: 'update' }),
        /'update' needs a window or group keys/,
        InvalidArgumentError,
      ],
    ];
    for (const [run, msg, Err] of refused) {
      const e = await run().then(
        () => null,
        (x: unknown) => x,
      );
      expect(e, String(msg)).toBeInstanceOf(Err);
      expect((e as Error).message).toMatch(msg);
    }
    expect(() => hoppingWindow('ts', '1 minute', '2 minutes')).toThrow(/slide \(120000 ms\) must not be larger than the size \(60000 ms\)/);
    expect(() => tumblingWindow('ts', '1 fortnight')).toThrow(/'1 fortnight' is not a duration/);
    expect(() => tumblingWindow('ts', 0)).toThrow(InvalidArgumentError);
    expect(existsSync(path.join(dir, 'out'))).toBe(false);
    expect(existsSync(path.join(dir, 'ckpt'))).toBe(false);
  });
});

describe('queries', () => {
  it('stateless where / withColumn / select append each source row once', async () => {
    const src = await bronze();
    const batches = makeEvents(11, 3, 30, 500);
    for (const b of batches) await src.add(b);
    const out = tempDir('silver-');
    const ckpt = tempDir('ckpt-');
    const run = () =>
      src.table
        .stream({ startingVersion: 0 })
        .where(col('temp').gt(0))
        .withColumn('temp_f', 'temp * 9 / 5 + 32')
        .select('sensor', 'temp_f', { hot: 'temp > 100' })
        .writeTo(out, { checkpointLocation: ckpt, trigger: { availableNow: true } });
    await run();
    await src.add([{ ts: T0, sensor: 'z', temp: 200 }]);
    await run();
    const all = [...batches.flat(), { ts: T0, sensor: 'z', temp: 200 }];
    const want = all.filter((e) => e.temp !== null && e.temp > 0).map((e) => ({ sensor: e.sensor, temp_f: (e.temp! * 9) / 5 + 32, hot: e.temp! > 100 }));
    expect(await sinkRows(out)).toEqual(sortRows(want));
  });

  it('sum of long overflowing is an ArithmeticOverflowError, not a wrapped value', async () => {
    const uri = tempDir('bronze-');
    const t = await DeltaTable.create(uri, { schema: eventSchema });
    await t.append([{ ts: T0, sensor: 'a', temp: 2n ** 62n }, { ts: T0 + 1, sensor: 'a', temp: 2n ** 62n }]);
    const e = await t
      .stream({ startingVersion: 0 })
      .groupBy('sensor')
      .agg({ s: sum('temp') })
      .writeTo(tempDir('out-'), { checkpointLocation: tempDir('ckpt-'), outputMode: 'complete', trigger: { availableNow: true } })
      .catch((x: unknown) => x);
    expect(e).toBeInstanceOf(ArithmeticOverflowError);
    expect((e as Error).message).toMatch(/sum overflows the long type/);
  });

  it('a running aggregate without a window (complete mode) is rewritten each batch and survives a restart', async () => {
    const src = await bronze();
    const batches = makeEvents(5, 4, 20, 500);
    const out = tempDir('gold-');
    const ckpt = tempDir('ckpt-');
    for (const b of batches) {
      await src.add(b);
      await src.table
        .stream({ startingVersion: 0 })
        .groupBy('sensor')
        .agg({ n: count(), s: sum('temp'), hi: max('temp') })
        .writeTo(out, { checkpointLocation: ckpt, outputMode: 'complete', trigger: { availableNow: true } });
    }
    const by = new Map<string, { sensor: string; n: number; s: number | null; hi: number | null }>();
    for (const e of batches.flat()) {
      const r = by.get(e.sensor) ?? { sensor: e.sensor, n: 0, s: null, hi: null };
      r.n++;
      if (e.temp !== null) {
        r.s = (r.s ?? 0) + e.temp;
        r.hi = Math.max(r.hi ?? -Infinity, e.temp);
      }
      by.set(e.sensor, r);
    }
    expect(await sinkRows(out)).toEqual(sortRows([...by.values()]));
    // Another aggregation cannot resume from this state.
    await src.add(batches[0]!);
    const e = await src.table
      .stream({ startingVersion: 0 })
      .groupBy('sensor')
      .agg({ n: count(), s: avg('temp') })
      .writeTo(out, { checkpointLocation: ckpt, outputMode: 'complete', trigger: { availableNow: true } })
      .catch((x: unknown) => x);
    expect(e).toBeInstanceOf(StreamCheckpointError);
    expect((e as Error).message).toMatch(/written by a different query/);
  });

  it('resumes from a checkpoint whose state is one full file per batch (state/<id>, as earlier versions wrote it)', async () => {
    const src = await bronze();
    const batches = makeEvents(17, 6, 120, 700);
    const run = (out: string, ckpt: string) =>
      src.table
        .stream({ startingVersion: 0, maxFilesPerTrigger: 1 })
        .withWatermark('ts', '3 seconds')
        .groupBy(tumblingWindow('ts', '2 seconds'), 'sensor')
        .agg({ n: count(), s: sum('temp'), d: countDistinct('temp') })
        .writeTo(out, { checkpointLocation: ckpt, trigger: { availableNow: true } });
    for (const b of batches.slice(0, 3)) await src.add(b);
    const out = tempDir('silver-');
    const ckpt = tempDir('ckpt-');
    const first = await run(out, ckpt);
    // Rewrite the state as the old layout: the live state of the last batch in `state/<id>`, nothing else.
    const dir = path.join(ckpt, 'state');
    const state = mergeVersions(await new StateStore(await StreamCheckpoint.open(ckpt)).load(first.lastBatchId));
    expect(state.groups.length).toBeGreaterThan(0);
    for (const f of readdirSync(dir)) rmSync(path.join(dir, f));
    writeFileSync(path.join(dir, String(first.lastBatchId)), encodeState(state));
    for (const b of batches.slice(3)) await src.add(b);
    const second = await run(out, ckpt);
    // The same sink as one uninterrupted run over all the data.
    const whole = tempDir('silver-');
    await run(whole, tempDir('ckpt-'));
    expect(await sinkRows(out)).toEqual(await sinkRows(whole));
    expect((await sinkRows(whole)).length).toBeGreaterThan(10);
    // The old file stays the base of the deltas written after it until the next snapshot.
    const L = first.lastBatchId;
    expect(second.lastBatchId).toBeLessThan(SNAPSHOT_EVERY);
    expect(readdirSync(dir).sort((a, b) => parseInt(a) - parseInt(b))).toEqual([String(L), ...Array.from({ length: second.lastBatchId - L }, (_, i) => `${L + 1 + i}.delta`)]);
  });

  it("lateArrivalPolicy 'adjust' counts late rows at the watermark", async () => {
    const src = await bronze();
    const batches = makeEvents(77, 8, 25, 700);
    for (const b of batches) await src.add(b);
    const out = tempDir('silver-');
    const progress: StreamProgress[] = [];
    await src.table
      .stream({ startingVersion: 0, maxFilesPerTrigger: 1 })
      .withWatermark('ts', '5 seconds', { lateArrivalPolicy: 'adjust' })
      .groupBy(tumblingWindow('ts', '10 seconds'), 'sensor')
      .agg({ n: count() })
      .writeTo(out, { checkpointLocation: tempDir('ckpt-'), trigger: { availableNow: true }, onProgress: (p) => progress.push(p) });
    const q = { window: { kind: 'tumbling', size: 10_000 } as const, delay: 5000, keep: () => true, policy: 'adjust' as const };
    const want = appendResult(batches, q).map((r) => ({ window_start: r.start, window_end: r.end, sensor: r.sensor, n: r.n }));
    expect(await sinkRows(out)).toEqual(sortRows(want));
    expect(progress.every((p) => p.numRowsDroppedByWatermark === 0)).toBe(true);
    // The rows moved to the watermark are in the result: more rows counted than with 'drop'.
    const dropped = survivors(batches, { ...q, policy: 'drop' }, true).dropped;
    expect(dropped).toBeGreaterThan(0);
  });

  it('state is evicted when the watermark closes windows: the checkpoint keeps one state version with only open windows', async () => {
    const src = await bronze();
    // Many small windows (1 s) over 4 keys, arriving in 14 commits (a snapshot, then deltas).
    const batches = makeEvents(99, 14, 300, 400);
    for (const b of batches) await src.add(b);
    const ckptDir = tempDir('ckpt-');
    const progress: StreamProgress[] = [];
    await src.table
      .stream({ startingVersion: 0, maxFilesPerTrigger: 1 })
      .withWatermark('ts', '5 seconds')
      .groupBy(tumblingWindow('ts', '1 second'), 'sensor')
      .agg({ n: count() })
      .writeTo(tempDir('silver-'), { checkpointLocation: ckptDir, trigger: { availableNow: true }, onProgress: (p) => progress.push(p) });
    const stateFiles = readdirSync(path.join(ckptDir, 'state')).sort((a, b) => parseInt(a) - parseInt(b));
    const last = progress.at(-1)!;
    // Old versions are cleaned: the newest snapshot at or before the last batch, then one delta per batch after it.
    const snap = last.batchId - (last.batchId % SNAPSHOT_EVERY);
    expect(last.batchId).toBeGreaterThan(SNAPSHOT_EVERY);
    expect(stateFiles).toEqual([`${snap}.snapshot`, ...Array.from({ length: last.batchId - snap }, (_, i) => `${snap + 1 + i}.delta`)]);
    const { kept, watermark } = survivors(batches, { window: { kind: 'tumbling', size: 1000 }, delay: 5000, keep: () => true }, true);
    const all = modelWindows(kept, { kind: 'tumbling', size: 1000 });
    const open = all.filter((w) => w.closeAt > watermark!);
    expect(all.length).toBeGreaterThan(1000);
    expect(open.length).toBeLessThan(30);
    const ckpt = await StreamCheckpoint.open(ckptDir);
    const state = mergeVersions(await new StateStore(ckpt).load(last.batchId));
    const held = state.groups.map((g) => `${g[0] / 1000}|${String(g[3][0])}`).sort();
    expect(held).toEqual(open.map((w) => `${w.row.start}|${w.row.sensor}`).sort());
    expect(last.numStateRows).toBe(open.length);
    expect(Math.max(...progress.map((p) => p.numStateRows ?? 0))).toBeLessThan(200);
  });

  it('reads sliced and multi-chunk Arrow input exactly like one contiguous batch', async () => {
    const rows = makeEvents(3, 1, 200, 300)[0]!.map((e) => ({ ts: e.ts, sensor: e.sensor, temp: e.temp === null ? null : BigInt(e.temp) }));
    const whole = objectsToArrow(rows, eventSchema);
    // Three chunks, each a slice (non-zero offset) of a larger batch.
    const big = objectsToArrow([...rows, ...rows], eventSchema).batches[0]!;
    const chunked = new arrow.Table(toArrowSchema(eventSchema), [big.slice(0, 70), big.slice(70, 130), big.slice(330, 400)]);
    expect(chunked.numRows).toBe(200);
    const result = async (t: arrow.Table): Promise<unknown[]> => {
      const schema = fromArrowSchema(whole.schema);
      const pipeline = compilePipeline(schema, [{ kind: 'watermark', column: 'ts', delayMs: 1000 }, { kind: 'withColumn', name: 't2', expr: 'temp * 2' }]);
      const agg = new StreamingAggregation(
        pipeline,
        schema,
        { window: hoppingWindow('ts', '4 seconds', '2 seconds'), keys: ['sensor'], aggs: { n: count(), s: sum('t2'), a: avg('temp') } },
        'complete',
        new StateStore(await StreamCheckpoint.open(tempDir('ckpt-'))),
      );
      await agg.restore(-1);
      return (await agg.process(t, 0)).toArray().map((r) => JSON.stringify(r, (_k, v: unknown) => (typeof v === 'bigint' ? String(v) : v)));
    };
    const a = await result(whole);
    expect(a.length).toBeGreaterThan(20);
    expect(await result(chunked)).toEqual(a);
  });
});
