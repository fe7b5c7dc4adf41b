// Streaming aggregation across crashes: the query process is SIGKILLed at random points while the source grows;
// after restarts the sink equals the batch model and an uninterrupted run, with no window emitted twice.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import * as path from 'node:path';
import { buildSync } from 'esbuild';
import { DeltaTable, tumblingWindow } from '../../../src/index.js';
import { readCommit } from '../../../src/log/codec.js';
import { LocalStore } from '../../../src/storage/local.js';
import { cleanupTempDirs, tempDir } from '../../helpers/tmp.js';
import { appendResult, makeEvents } from './model.js';
import { asSink, bronze, sensorQuery, sinkRows } from './helpers.js';

afterAll(cleanupTempDirs);

// The worker is bundled once (esbuild, which tsx ships): 20+ restarts then cost a node start, not a TS transform.
const WORKER = path.join(import.meta.dirname, '../../../node_modules/.cache/deltats-test', `query_worker-${process.pid}.mjs`);
beforeAll(() => {
  buildSync({ entryPoints: [path.join(import.meta.dirname, 'query_worker.ts')], bundle: true, platform: 'node', format: 'esm', outfile: WORKER, packages: 'external', logLevel: 'error' });
});
afterAll(async () => (await import('node:fs/promises')).rm(WORKER, { force: true }));

function runWorker(args: string[], killAfterMs?: number): Promise<{ code: number | null; signal: string | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [WORKER, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    let timer: NodeJS.Timeout | undefined;
    child.stdout.on('data', (d: Buffer) => {
      stdout += d.toString();
      if (killAfterMs !== undefined && timer === undefined && stdout.includes('batchId')) timer = setTimeout(() => child.kill('SIGKILL'), killAfterMs);
    });
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('exit', (code, signal) => {
      if (timer) clearTimeout(timer);
      resolve({ code, signal, stdout, stderr });
    });
  });
}

/** txn versions the query committed to the sink, in commit order. */
async function txnVersions(uri: string): Promise<number[]> {
  const store = new LocalStore(uri);
  const t = await DeltaTable.open(uri);
  const out: number[] = [];
  for (let v = 0; v <= t.version; v++) for (const a of await readCommit(store, v)) if ('txn' in a) out.push(a.txn.version);
  return out;
}

describe('windowed aggregation under SIGKILL', () => {
  it('killed 20 times at random points while the source grows: sink == model == uninterrupted run, no window twice', async () => {
    // Enough batches that every run has new ones (a run with nothing to do ends before the kill).
    const batches = makeEvents(4242, 200, 12, 900);
    const src = await bronze();
    let fed = 0;
    const feed = async (n: number): Promise<void> => {
      for (let i = 0; i < n && fed < batches.length; i++) await src.add(batches[fed++]!);
    };
    await feed(6);
    const silver = tempDir('silver-');
    const ckpt = tempDir('ckpt-');
    const args = [src.uri, silver, ckpt];
    let kills = 0;
    for (let runs = 0; kills < 20 && runs < 60; runs++) {
      await feed(3);
      const t0 = Date.now();
      const r = await runWorker(args, Math.floor(Math.random() * 150));
      if (process.env.DELTATS_TEST_VERBOSE) console.log(`run ${runs}: ${Date.now() - t0} ms, ${r.signal ?? r.code}, ${r.stdout.split('\n').length - 1} lines`);
      if (r.signal === 'SIGKILL') kills++;
      else expect(r.code, r.stderr).toBe(0);
    }
    expect(kills).toBe(20);
    const final = await runWorker(args);
    expect(final.code, final.stderr).toBe(0);

    const got = await sinkRows(silver);
    const keys = got.map((r) => `${String(r.window_start)}|${String(r.sensor)}`);
    expect(new Set(keys).size).toBe(keys.length);
    const versions = await txnVersions(silver);
    expect(new Set(versions).size).toBe(versions.length);
    const want = asSink(appendResult(batches.slice(0, fed), { window: { kind: 'tumbling', size: 10_000 }, delay: 5000, keep: (e) => e.sensor !== 's9' }));
    expect(want.length).toBeGreaterThan(20);
    expect(got).toEqual(want);

    // The same query run once without interruption over the same table.
    const clean = tempDir('silver-clean-');
    await sensorQuery(src.table, tumblingWindow('ts', '10 seconds'))
      .writeTo(clean, { checkpointLocation: tempDir('ckpt-clean-'), trigger: { availableNow: true } });
    expect(await sinkRows(clean)).toEqual(got);
  }, 180_000);
});
