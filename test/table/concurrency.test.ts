// Real OS processes writing one table at once; a writer killed mid-write. Local disk.
import { afterAll, describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { DeltaTable } from '../../src/index.js';
import { cleanupTempDirs, tempDir } from '../helpers/tmp.js';
import { appendWorkerSchema } from '../helpers/append_schema.js';

afterAll(cleanupTempDirs);

const schema = appendWorkerSchema;

const WORKER = join(import.meta.dirname, '..', 'helpers', 'append_worker.ts');

function runWorker(uri: string, writer: number, count: number, env: Record<string, string> = {}) {
  const child = spawn(process.execPath, ['--import', 'tsx', WORKER, uri, String(writer), String(count)], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (d) => (stderr += d));
  const done = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return { child, done, stderr: () => stderr };
}

describe('concurrent writers (real processes)', () => {
  it('4 processes x 25 appends -> version 100, every row exactly once', async () => {
    const dir = tempDir();
    await DeltaTable.create(dir, { schema, properties: { 'delta.checkpointInterval': '10' } });
    const workers = [0, 1, 2, 3].map((w) => runWorker(dir, w, 25));
    const codes = await Promise.all(workers.map((w) => w.done));
    expect(codes, workers.map((w) => w.stderr()).join('\n')).toEqual([0, 0, 0, 0]);
    const t = await DeltaTable.open(dir);
    expect(t.version).toBe(100);
    const rows = await t.scan().toArray();
    expect(rows).toHaveLength(100);
    const keys = rows.map((r) => `${r.writer}:${r.seq}`).sort();
    const expected = [0, 1, 2, 3].flatMap((w) => Array.from({ length: 25 }, (_, s) => `${w}:${s}`)).sort();
    expect(keys).toEqual(expected);
    // Every version 1..100 is one append commit; checkpoints were written every 10 commits.
    const log = readdirSync(join(dir, '_delta_log'));
    expect(log.filter((f) => /^\d{20}\.json$/.test(f))).toHaveLength(101);
    expect(log.filter((f) => f.endsWith('.checkpoint.parquet')).length).toBeGreaterThanOrEqual(9);
    const history = await t.history();
    expect(history.filter((h) => h.operation === 'WRITE')).toHaveLength(100);
  });

  it('a writer killed with SIGKILL mid-write leaves a table that reads exactly the committed versions', async () => {
    const dir = tempDir();
    await DeltaTable.create(dir, { schema });
    for (let round = 0; round < 3; round++) {
      const w = runWorker(dir, round, 1000, { DELTATS_WORKER_PROGRESS: '1' });
      // Kill it after a few commits, at a moment unrelated to its progress.
      await new Promise<void>((resolve) => {
        let seen = 0;
        w.child.stdout.on('data', (d: Buffer) => {
          seen += String(d).split('\n').filter(Boolean).length;
          if (seen >= 3 + round * 2) {
            setTimeout(() => w.child.kill('SIGKILL'), Math.random() * 20);
            resolve();
          }
        });
      });
      await w.done;
    }
    const t = await DeltaTable.open(dir);
    const rows = await t.scan().toArray();
    // Every committed version's rows are readable, exactly once; nothing uncommitted is visible.
    expect(rows).toHaveLength(t.version);
    const perWriter = new Map<number, bigint[]>();
    for (const r of rows) perWriter.set(r.writer as number, [...(perWriter.get(r.writer as number) ?? []), r.seq as bigint]);
    for (const seqs of perWriter.values()) {
      seqs.sort((a, b) => Number(a - b));
      expect(seqs).toEqual(seqs.map((_, i) => BigInt(i)));
    }
    for (let v = 0; v <= t.version; v++) {
      expect((await (await DeltaTable.open(dir, { version: v })).scan().toArray()).length).toBe(v);
    }
    // No temp file of an interrupted commit is visible as a log entry.
    const log = readdirSync(join(dir, '_delta_log')).filter((f) => f.endsWith('.json'));
    expect(log).toHaveLength(t.version + 1);
    // And the table still accepts writes.
    await t.append([{ writer: 9, seq: 0n, payload: 'after' }]);
    expect((await t.scan().toArray()).length).toBe(t.version);
  });
});
