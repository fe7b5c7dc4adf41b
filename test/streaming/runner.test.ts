// runStream end to end on real tables: triggers, recovery after SIGKILL (child processes), two runners on one checkpoint.
import { afterAll, describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import * as path from 'node:path';
import { DeltaTable } from '../../src/delta_table.js';
import { DeltaSource } from '../../src/streaming/source.js';
import { DeltaSink } from '../../src/streaming/sink.js';
import { runStream, type StreamProgress } from '../../src/streaming/runner.js';
import { StreamCheckpoint } from '../../src/streaming/checkpoint.js';
import { readCommit } from '../../src/log/codec.js';
import { LocalStore } from '../../src/storage/local.js';
import { SchemaMismatchError } from '../../src/errors.js';
import type { StructType } from '../../src/schema/types.js';
import { cleanupTempDirs, tempDir } from '../helpers/tmp.js';

afterAll(cleanupTempDirs);

const schema: StructType = {
  type: 'struct',
  fields: [
    { name: 'id', type: 'long', nullable: false, metadata: {} },
    { name: 'grp', type: 'string', nullable: true, metadata: {} },
  ],
};

const WORKER = path.join(import.meta.dirname, 'runner_worker.ts');

/**
 * Run the worker. `killAfterMs`: SIGKILL that many ms after the worker reported its first batch (so the kill
 * lands while it is streaming: planning, reading, committing to the sink or writing the checkpoint).
 */
function runWorker(args: string[], killAfterMs?: number): Promise<{ code: number | null; signal: string | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', WORKER, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    let timer: NodeJS.Timeout | undefined;
    child.stdout.on('data', (d: Buffer) => {
      stdout += d.toString();
      if (killAfterMs !== undefined && timer === undefined && stdout.includes('batchId')) {
        timer = setTimeout(() => child.kill('SIGKILL'), killAfterMs);
      }
    });
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('exit', (code, signal) => {
      if (timer) clearTimeout(timer);
      resolve({ code, signal, stdout, stderr });
    });
  });
}

async function sourceTable(commits: number, perCommit: number): Promise<{ uri: string; table: DeltaTable; next: () => Promise<void> }> {
  const uri = tempDir('stream-src-');
  const table = await DeltaTable.create(uri, { schema });
  let id = 0;
  const next = async (): Promise<void> => {
    await table.append(Array.from({ length: perCommit }, () => ({ id: BigInt(id), grp: `g${id++ % 3}` })));
  };
  for (let c = 0; c < commits; c++) await next();
  return { uri, table, next };
}

async function sortedIds(uri: string): Promise<number[]> {
  const t = await DeltaTable.open(uri);
  const out = await t.scan().toArrow();
  return out.toArray().map((r) => Number((r as { id: bigint }).id)).sort((a, b) => a - b);
}

/** txn versions of `appId` in each commit of the sink table, in commit order. */
async function txnVersions(uri: string, appId: string): Promise<number[]> {
  const store = new LocalStore(uri);
  const t = await DeltaTable.open(uri);
  const out: number[] = [];
  for (let v = 0; v <= t.version; v++) {
    for (const a of await readCommit(store, v)) if ('txn' in a && a.txn.appId === appId) out.push(a.txn.version);
  }
  return out;
}

describe('runStream', () => {
  it('availableNow drains the source in batches with a transform, then once/availableNow stop', async () => {
    const src = await sourceTable(10, 4);
    const sinkUri = tempDir('stream-sink-');
    const ckpt = tempDir('stream-ckpt-');
    const progress: StreamProgress[] = [];
    const res = await runStream({
      source: new DeltaSource(src.uri, { maxFilesPerTrigger: 3 }),
      transform: (t) => t.select(['id']),
      sink: new DeltaSink(sinkUri, { queryId: 'q-avail' }),
      checkpointLocation: ckpt,
      trigger: { availableNow: true },
      onProgress: (p) => progress.push(p),
    });
    expect(res.stoppedBy).toBe('availableNow');
    expect(res.batches).toBe(4); // 10 files, 3 per batch
    expect(progress.map((p) => p.numInputRows)).toEqual([12, 12, 12, 4]);
    expect(progress.every((p) => p.latencyMs !== undefined && p.durationMs >= 0)).toBe(true);
    expect(await sortedIds(sinkUri)).toEqual(Array.from({ length: 40 }, (_, i) => i));
    const sink = await DeltaTable.open(sinkUri);
    expect(sink.schema.fields.map((f) => f.name)).toEqual(['id']);
    expect(await txnVersions(sinkUri, 'q-avail')).toEqual([0, 1, 2, 3]);
    // The checkpoint holds offsets and commits for each batch.
    const cp = await StreamCheckpoint.open(ckpt);
    expect(await cp.batchIds('offsets')).toEqual([0, 1, 2, 3]);
    expect(await cp.batchIds('commits')).toEqual([0, 1, 2, 3]);
    // Restart with new data and trigger once: one batch, continuing from the checkpoint.
    await src.next();
    await src.next();
    const again = await runStream({
      source: new DeltaSource(src.uri, { maxFilesPerTrigger: 1 }),
      transform: (t) => t.select(['id']),
      sink: new DeltaSink(sinkUri, { queryId: 'q-avail' }),
      checkpointLocation: ckpt,
      trigger: { once: true },
    });
    expect(again).toMatchObject({ stoppedBy: 'once', batches: 1, lastBatchId: 4 });
    expect((await sortedIds(sinkUri)).length).toBe(44);
  });

  it('re-runs a planned but uncommitted batch with the same offsets; the sink skips a batch it already has', async () => {
    const src = await sourceTable(3, 2);
    const sinkUri = tempDir('stream-sink-');
    const ckpt = tempDir('stream-ckpt-');
    await runStream({
      source: new DeltaSource(src.uri, { maxFilesPerTrigger: 1 }),
      sink: new DeltaSink(sinkUri, { queryId: 'q-re' }),
      checkpointLocation: ckpt,
      trigger: { availableNow: true },
    });
    // Simulate a crash after the sink committed batch 2 but before commits/2 was written.
    const store = new LocalStore(ckpt);
    await store.delete('commits/2');
    const progress: StreamProgress[] = [];
    const res = await runStream({
      source: new DeltaSource(src.uri, { maxFilesPerTrigger: 1 }),
      sink: new DeltaSink(sinkUri, { queryId: 'q-re' }),
      checkpointLocation: ckpt,
      trigger: { availableNow: true },
      onProgress: (p) => progress.push(p),
    });
    expect(res.batches).toBe(1);
    expect(progress[0]).toMatchObject({ batchId: 2, skipped: true, recovered: true, numInputRows: 2 });
    expect(await sortedIds(sinkUri)).toEqual([0, 1, 2, 3, 4, 5]);
    // A different queryId against the same checkpoint is refused.
    await expect(
      runStream({
        source: new DeltaSource(src.uri),
        sink: new DeltaSink(sinkUri, { queryId: 'other' }),
        checkpointLocation: ckpt,
        trigger: { once: true },
      }),
    ).rejects.toThrow(/belongs to query q-re/);
  });

  it('continuous trigger picks up new commits and stops on abort', async () => {
    const src = await sourceTable(1, 1);
    const sinkUri = tempDir('stream-sink-');
    const ac = new AbortController();
    const seen: number[] = [];
    const run = runStream({
      source: new DeltaSource(src.uri),
      sink: new DeltaSink(sinkUri, { queryId: 'q-cont' }),
      checkpointLocation: tempDir('stream-ckpt-'),
      trigger: { continuous: true },
      signal: ac.signal,
      onProgress: (p) => {
        seen.push(p.numInputRows);
        if (seen.reduce((a, b) => a + b, 0) >= 6) ac.abort();
      },
    });
    for (let i = 0; i < 5; i++) {
      await new Promise((r) => setTimeout(r, 20));
      await src.next();
    }
    const res = await run;
    expect(res.stoppedBy).toBe('abort');
    expect(await sortedIds(sinkUri)).toEqual([0, 1, 2, 3, 4, 5]);
  });

  it('a record that does not fit the sink schema fails the batch; nothing is committed; the retry starts at the same offset', async () => {
    const src = await sourceTable(2, 1);
    const sinkUri = tempDir('stream-sink-');
    await DeltaTable.create(sinkUri, {
      schema: { type: 'struct', fields: [{ name: 'id', type: 'long', nullable: false, metadata: {} }] },
    });
    const ckpt = tempDir('stream-ckpt-');
    const opts = {
      source: new DeltaSource(src.uri, { maxFilesPerTrigger: 1 }),
      sink: new DeltaSink(sinkUri, { queryId: 'q-bad' }),
      checkpointLocation: ckpt,
      trigger: { availableNow: true } as const,
    };
    const err = await runStream(opts).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SchemaMismatchError);
    expect((err as Error).message).toMatch(/grp/);
    expect((await DeltaTable.open(sinkUri)).version).toBe(0);
    const cp = await StreamCheckpoint.open(ckpt);
    expect(await cp.recover('q-bad')).toMatchObject({ nextBatchId: 0, pending: { batchId: 0 } });
    // Fixed by a transform: the same batch 0 is re-run with the same offsets.
    const res = await runStream({ ...opts, source: new DeltaSource(src.uri, { maxFilesPerTrigger: 1 }), transform: (t) => t.select(['id']) });
    expect(res.batches).toBe(2);
    expect(await txnVersions(sinkUri, 'q-bad')).toEqual([0, 1]);
  });

  it('SIGKILLed 20 times at random points and restarted, the sink has every source row exactly once', async () => {
    const src = await sourceTable(40, 3);
    let commits = 40;
    const sinkUri = tempDir('stream-sink-');
    const ckpt = tempDir('stream-ckpt-');
    const args = [src.uri, sinkUri, ckpt, 'q-crash', '1'];
    let kills = 0;
    let recovered = 0;
    for (let runs = 0; kills < 20 && runs < 60; runs++) {
      // Keep a backlog so that each run is still streaming when the kill comes.
      for (let c = 0; c < 4; c++, commits++) await src.next();
      const r = await runWorker(args, Math.floor(Math.random() * 250));
      recovered += (r.stdout.match(/"recovered":true/g) ?? []).length;
      if (r.signal === 'SIGKILL') kills++;
      else expect(r.code, r.stderr).toBe(0);
    }
    expect(kills).toBe(20);
    const final = await runWorker(args);
    expect(final.code, final.stderr).toBe(0);
    expect(final.stdout).toMatch(/done \d+/);
    if (process.env.DELTATS_TEST_VERBOSE) console.log(`kills ${kills}, recovered batches ${recovered}`);
    const total = commits * 3;
    expect(await sortedIds(sinkUri)).toEqual(Array.from({ length: total }, (_, i) => i));
    const versions = await txnVersions(sinkUri, 'q-crash');
    expect(new Set(versions).size).toBe(versions.length);
  });

  it('two runners on the same checkpoint never both commit the same batch', async () => {
    const src = await sourceTable(30, 2);
    const sinkUri = tempDir('stream-sink-');
    const ckpt = tempDir('stream-ckpt-');
    const args = [src.uri, sinkUri, ckpt, 'q-two', '1'];
    const [a, b] = await Promise.all([runWorker(args), runWorker(args)]);
    for (const r of [a, b]) {
      if (r.code !== 0) expect(r.stderr).toMatch(/another query is running with this checkpoint location/);
    }
    // Whatever the interleaving, finishing the query gives each row once and each batch in one sink commit.
    const final = await runWorker(args);
    expect(final.code, final.stderr).toBe(0);
    expect(await sortedIds(sinkUri)).toEqual(Array.from({ length: 60 }, (_, i) => i));
    const versions = await txnVersions(sinkUri, 'q-two');
    expect(versions).toEqual(Array.from({ length: versions.length }, (_, i) => i));
  });
});
