// DeltaSink outputMode 'update': each micro-batch is MERGEd by key in one commit carrying the batch's txn, so a
// replayed batch is skipped and keys (NULL included) are upserted, never duplicated.
import { tableFromArrays } from 'apache-arrow';
import { afterAll, describe, expect, it } from 'vitest';
import { DeltaSink, DeltaTable, InvalidArgumentError, MergeCardinalityError } from '../../src/index.js';
import { cleanupTempDirs, tempDir } from '../helpers/tmp.js';

afterAll(cleanupTempDirs);

const batch = (k: (string | null)[], w: number[], n: number[]) =>
  tableFromArrays({ k, w: BigInt64Array.from(w.map(BigInt)), n: BigInt64Array.from(n.map(BigInt)) });

describe("DeltaSink outputMode 'update'", () => {
  it('upserts each batch by the key columns, exactly once per batch id', async () => {
    const dir = tempDir('sink-upsert-');
    const sink = new DeltaSink(dir, { queryId: 'q1', outputMode: 'update', keyColumns: ['k', 'w'] });
    expect(await sink.addBatch(0, batch(['a', 'b', null], [1, 1, 1], [1, 2, 3]))).toMatchObject({ skipped: false });
    const b1 = batch(['a', null, 'c'], [1, 1, 2], [10, 30, 5]);
    expect(await sink.addBatch(1, b1)).toMatchObject({ skipped: false });
    expect(await sink.addBatch(1, b1)).toEqual({ skipped: true });
    const t = await DeltaTable.open(dir);
    const rows = (await t.scan().toArray()).map((r) => `${r.k}|${r.w}|${r.n}`).sort();
    expect(rows).toEqual(['a|1|10', 'b|1|2', 'c|2|5', 'null|1|30']);
    const h = await t.history();
    expect(h[0]!.operation).toBe('MERGE');
    expect(t.snapshot.txnVersion('q1')).toBe(1);
    expect(await sink.lastCommittedBatch()).toBe(1);
  });

  it('an empty batch still records its txn; duplicate keys in a batch are refused with nothing written', async () => {
    const dir = tempDir('sink-upsert-');
    const sink = new DeltaSink(dir, { queryId: 'q2', outputMode: 'update', keyColumns: ['k'] });
    await sink.addBatch(0, batch(['a'], [1], [1]));
    await sink.addBatch(1, batch(['z'], [1], [1]).slice(0, 0));
    expect(await sink.lastCommittedBatch()).toBe(1);
    await expect(sink.addBatch(2, batch(['a', 'a'], [1, 2], [1, 2]))).rejects.toThrow(MergeCardinalityError);
    expect(await sink.lastCommittedBatch()).toBe(1);
  });

  it('needs keyColumns', () => {
    expect(() => new DeltaSink('/tmp/x', { queryId: 'q', outputMode: 'update' })).toThrow(InvalidArgumentError);
  });
});
