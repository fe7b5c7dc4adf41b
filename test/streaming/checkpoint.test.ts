// StreamCheckpoint on a real folder: metadata id, offsets claimed with putIfAbsent, recovery of a pending batch.
import { afterAll, describe, expect, it } from 'vitest';
import { StreamCheckpoint } from '../../src/streaming/checkpoint.js';
import { LocalStore } from '../../src/storage/local.js';
import { listAll } from '../../src/storage/store.js';
import { StreamCheckpointError } from '../../src/errors.js';
import { cleanupTempDirs, tempDir } from '../helpers/tmp.js';

afterAll(cleanupTempDirs);

describe('StreamCheckpoint', () => {
  it('recovers: fresh, after a committed batch, and with a pending batch', async () => {
    const dir = tempDir('ckpt-');
    const cp = await StreamCheckpoint.open(dir);
    expect(await cp.recover('q')).toEqual({ queryId: 'q', nextBatchId: 0, startOffset: null });
    await cp.writeOffsets({ batchId: 0, startOffset: null, endOffset: { n: 5 }, timestamp: 1 });
    expect(await cp.recover('q')).toMatchObject({ nextBatchId: 0, startOffset: null, pending: { batchId: 0, endOffset: { n: 5 } } });
    await cp.writeCommit({ batchId: 0, skipped: false, timestamp: 2 });
    expect(await cp.recover('q')).toEqual({ queryId: 'q', nextBatchId: 1, startOffset: { n: 5 } });
    // Batch ids sort numerically (files are named 0, 1, ..., 10 without padding, as Spark does).
    for (let b = 1; b <= 10; b++) {
      await cp.writeOffsets({ batchId: b, startOffset: { n: b * 5 }, endOffset: { n: b * 5 + 5 }, timestamp: 3 });
      await cp.writeCommit({ batchId: b, skipped: false, timestamp: 3 });
    }
    expect(await cp.recover('q')).toMatchObject({ nextBatchId: 11, startOffset: { n: 55 } });
    const files = (await listAll(new LocalStore(dir), '')).map((m) => m.path);
    expect(files).toContain('metadata');
    expect(files).toContain('offsets/10');
    expect(files).toContain('commits/10');
    await cp.purge(9);
    expect(await cp.batchIds('offsets')).toEqual([9, 10]);
  });

  it('a second claim of the same batch fails: another query is running with this checkpoint location', async () => {
    const dir = tempDir('ckpt-');
    const [a, b] = await Promise.all([StreamCheckpoint.open(dir), StreamCheckpoint.open(dir)]);
    const claims = await Promise.allSettled(
      [a, b].map((cp) => cp.writeOffsets({ batchId: 0, startOffset: null, endOffset: 1, timestamp: 0 })),
    );
    expect(claims.filter((c) => c.status === 'fulfilled')).toHaveLength(1);
    const lost = claims.find((c) => c.status === 'rejected') as PromiseRejectedResult;
    expect(lost.reason).toBeInstanceOf(StreamCheckpointError);
    expect(String(lost.reason.message)).toMatch(/another query is running with this checkpoint location/);
  });

  it('keeps the query id: a new one is generated once; a different one is refused', async () => {
    const dir = tempDir('ckpt-');
    const cp = await StreamCheckpoint.open(dir);
    const id = await cp.queryId();
    expect(id).toMatch(/^[0-9a-f-]{36}$/);
    expect(await cp.queryId()).toBe(id);
    await expect(cp.queryId('other')).rejects.toThrow(/belongs to query/);
  });
});
