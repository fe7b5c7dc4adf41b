// runStream end to end on real tables: triggers, recovery after SIGKILL (child processes), two runners on one
// checkpoint (in set interleavings).
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

interface WorkerResult {
  code: number | null;
  signal: string | null;
  stdout: string;
  stderr: string;
}

/**
 * Start the worker with stdin open. With a pause argument, `paused` resolves once it has stopped (it printed
 * "paused ...") and `resume` lets it go on; `exit` resolves with its whole output once it has exited.
 */
function startWorker(args: string[]): { paused: Promise<void>; resume: () => void; exit: Promise<WorkerResult> } {
  const child = spawn(process.execPath, ['--import', 'tsx', WORKER, ...args], { stdio: ['pipe', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  let onPaused: () => void = () => {};
  const paused = new Promise<void>((resolve) => (onPaused = resolve));
  child.stdout.on('data', (d: Buffer) => {
    stdout += d.toString();
    if (/^paused /m.test(stdout)) onPaused();
  });
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const exit = new Promise<WorkerResult>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr }));
  });
  const pausedOrFailed = Promise.race([
    paused,
    exit.then((r) => Promise.reject(new Error(`the worker exited (${r.code}) before it paused: ${r.stderr}`))),
  ]);
  pausedOrFailed.catch(() => {}); // a worker run without a pause exits without pausing: only an await of `paused` fails
  return { paused: pausedOrFailed, resume: () => child.stdin.end('go\n'), exit };
}

/** The progress lines a worker printed (without pause and done lines). */
function progress(stdout: string): Array<{ batchId: number; rows: number; skipped: boolean; recovered: boolean }> {
  return stdout
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as { batchId: number; rows: number; skipped: boolean; recovered: boolean });
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
    for (let runs = 0; kills < 20 && runs < 100; runs++) {
      // Keep a backlog so that each run is still streaming when the kill comes (a run that drains its backlog
      // before the kill exits cleanly and is not counted: 4 commits a run let a fast runner finish 42 of 60 runs).
      for (let c = 0; c < 8; c++, commits++) await src.next();
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

  // Two runners on one checkpoint, in set interleavings: runner A stops at a chosen point (the worker waits on
  // stdin), runner B runs the query to the end, then A resumes. No timing involved.
  async function twoRunners(pause: string): Promise<{ a: WorkerResult; b: WorkerResult; sinkUri: string; args: string[] }> {
    const src = await sourceTable(30, 2);
    const sinkUri = tempDir('stream-sink-');
    const args = [src.uri, sinkUri, tempDir('stream-ckpt-'), 'q-two', '1'];
    const first = startWorker([...args, pause]);
    await first.paused;
    const b = await startWorker(args).exit;
    first.resume();
    return { a: await first.exit, b, sinkUri, args };
  }

  /** Each source row once in the sink, each of the 30 batches in exactly one sink commit; a rerun has nothing to do. */
  async function expectExactlyOnce(sinkUri: string, args: string[]): Promise<void> {
    expect(await sortedIds(sinkUri)).toEqual(Array.from({ length: 60 }, (_, i) => i));
    expect(await txnVersions(sinkUri, 'q-two')).toEqual(Array.from({ length: 30 }, (_, i) => i));
    const again = await startWorker(args).exit;
    expect(again.code, again.stderr).toBe(0);
    expect(again.stdout).toBe('done 0\n');
  }

  it('two runners on one checkpoint: one stopped between batches fails on its next batch; no batch is committed twice', async () => {
    // A has committed batches 0-2 and is about to plan batch 3 when B starts.
    const { a, b, sinkUri, args } = await twoRunners('latestOffset:4');
    expect(b.code, b.stderr).toBe(0);
    expect(progress(b.stdout)).toEqual(Array.from({ length: 27 }, (_, i) => ({ batchId: i + 3, rows: 2, skipped: false, recovered: false })));
    expect(a.code).toBe(1);
    expect(progress(a.stdout).map((p) => p.batchId)).toEqual([0, 1, 2]);
    expect(a.stderr).toMatch(/^StreamCheckpointError: batch 3 was already planned at .*: another query is running with this checkpoint location\n$/);
    await expectExactlyOnce(sinkUri, args);
  });

  it('two runners on one checkpoint: the second recovers the batch the first planned; the first then skips it and fails on the next', async () => {
    // A has logged the offsets of batch 3 and not committed it to the sink when B starts.
    const { a, b, sinkUri, args } = await twoRunners('getBatch:4');
    expect(b.code, b.stderr).toBe(0);
    expect(progress(b.stdout)).toEqual(
      Array.from({ length: 27 }, (_, i) => ({ batchId: i + 3, rows: 2, skipped: false, recovered: i === 0 })),
    );
    expect(a.code).toBe(1);
    // A reads batch 3, finds it in the sink (the txn of q-two is past it) and does not commit it again.
    expect(progress(a.stdout).slice(3)).toEqual([{ batchId: 3, rows: 2, skipped: true, recovered: false }]);
    expect(a.stderr).toMatch(/^StreamCheckpointError: batch 4 was already planned at .*: another query is running with this checkpoint location\n$/);
    await expectExactlyOnce(sinkUri, args);
  });
});
