// stream({ readChangeFeed: true }): the change data feed as a micro-batch source, exactly once across restarts
// (runStream + DeltaSink), from a starting version or from the snapshot (as inserts) on.
import { afterAll, describe, expect, it } from 'vitest';
import { DeltaSink, DeltaTable, ExpressionError, count, runStream, sum } from '../../src/index.js';
import { cleanupTempDirs, tempDir } from '../helpers/tmp.js';
import { SCHEMA } from '../table/dml/model.js';

afterAll(cleanupTempDirs);

const key = (r: Record<string, unknown>): string => `${r._change_type}:${r.id}:${r.v}:${r._commit_version}`;

describe('stream({ readChangeFeed: true })', () => {
  it.each([false, true])('emits every change exactly once across restarts (deletion vectors %s)', async (dv) => {
    const dir = tempDir('cdf-src-');
    const out = tempDir('cdf-out-');
    const ckpt = tempDir('cdf-ckpt-');
    const properties: Record<string, string> = { 'delta.enableChangeDataFeed': 'true' };
    if (dv) properties['delta.enableDeletionVectors'] = 'true';
    const t = await DeltaTable.create(dir, { schema: SCHEMA, properties });
    await t.append([{ id: 1n, v: 1 }, { id: 2n, v: 2 }, { id: 3n, v: 3 }]);
    const run = () =>
      runStream({
        source: t.stream({ readChangeFeed: true, startingVersion: 1, maxVersionsPerTrigger: 2 }),
        sink: new DeltaSink(out, { queryId: 'cdf-q' }),
        checkpointLocation: ckpt,
        trigger: { availableNow: true },
      });
    await run();
    await t.delete('id = 2');
    await t.update({ where: 'id = 3', set: { v: 'v + 10' } });
    await t.merge([{ id: 4n, v: 4 }, { id: 1n, v: 0 }], { on: 't.id = s.id', targetAlias: 't', sourceAlias: 's' }).whenMatchedDelete().whenNotMatchedInsert({ values: { id: 's.id', v: 's.v' } }).execute();
    const second = await run();
    expect(second.batches).toBe(2); // 3 versions, 2 per batch
    await run(); // nothing new: no duplicate
    const got = (await (await DeltaTable.open(out)).scan().toArray()).map(key).sort();
    const expected = (await t.changes({ startingVersion: 1 }).toArray()).map(key).sort();
    expect(got).toEqual(expected);
    expect(got).toEqual(
      ['insert:1:1:1', 'insert:2:2:1', 'insert:3:3:1', 'delete:2:2:2', 'update_preimage:3:3:3', 'update_postimage:3:13:3', 'delete:1:1:4', 'insert:4:4:4'].sort(),
    );
  });

  it('without startingVersion: the current snapshot as inserts, then the changes after it', async () => {
    const dir = tempDir('cdf-src-');
    const t = await DeltaTable.create(dir, { schema: SCHEMA, properties: { 'delta.enableChangeDataFeed': 'true' } });
    await t.append([{ id: 1n, v: 1 }]);
    await t.append([{ id: 2n, v: 2 }]);
    const src = t.stream({ readChangeFeed: true });
    const o0 = await src.initialOffset();
    const o1 = (await src.latestOffset(o0))!;
    expect((await src.getBatch(o0, o1)).toArray().map((r) => key(r.toJSON())).sort()).toEqual(['insert:1:1:2', 'insert:2:2:2']);
    expect(await src.latestOffset(o1)).toEqual(o1);
    await t.delete('id = 1');
    const o2 = (await src.latestOffset(o1))!;
    expect((await src.getBatch(o1, o2)).toArray().map((r) => key(r.toJSON()))).toEqual(['delete:1:1:3']);
  });

  describe('query builder on the change feed (as on the ordinary stream)', () => {
    async function changedTable(dv: boolean): Promise<DeltaTable> {
      const properties: Record<string, string> = { 'delta.enableChangeDataFeed': 'true' };
      if (dv) properties['delta.enableDeletionVectors'] = 'true';
      const t = await DeltaTable.create(tempDir('cdf-q-src-'), { schema: SCHEMA, properties });
      await t.append([{ id: 1n, v: 1 }, { id: 2n, v: 2 }, { id: 3n, v: 3 }, { id: 4n, v: 4 }]);
      await t.delete('id = 2 OR id = 4');
      await t.update({ where: 'id = 3', set: { v: 'v + 10' } });
      return t;
    }
    const rowsOf = async (uri: string) => (await DeltaTable.open(uri)).scan().toArray();

    it.each([false, true])("where(\"_change_type = 'delete'\"), select and withColumn (deletion vectors %s)", async (dv) => {
      const t = await changedTable(dv);
      const out = tempDir('cdf-q-out-');
      const ckpt = tempDir('cdf-q-ckpt-');
      const run = () =>
        t
          .stream({ readChangeFeed: true, startingVersion: 1, maxVersionsPerTrigger: 1 })
          .where("_change_type = 'delete'")
          .withColumn('v2', 'v * 2')
          .select('id', 'v2', { version: '_commit_version' })
          .writeTo(out, { checkpointLocation: ckpt, trigger: { availableNow: true } });
      await run();
      await t.delete('id = 1');
      const second = await run();
      expect(second.batches).toBe(1);
      await run(); // nothing new: exactly once
      const got = (await rowsOf(out)).map((r) => `${r.id}:${r.v2}:${r.version}`).sort();
      expect(got).toEqual(['2:4:2', '4:8:2', '1:2:4'].sort());
      expect(Object.keys((await rowsOf(out))[0]!).sort()).toEqual(['id', 'v2', 'version']);
      // The same rows as the batch change feed, filtered.
      const batch = (await t.changes({ startingVersion: 1 }).toArray()).filter((r) => r._change_type === 'delete');
      expect(batch.map((r) => `${r.id}:${Number(r.v) * 2}:${r._commit_version}`).sort()).toEqual(got);
    });

    it('groupBy(_change_type).agg() in complete mode counts the changes by type', async () => {
      const t = await changedTable(false);
      const out = tempDir('cdf-q-out-');
      await t
        .stream({ readChangeFeed: true, startingVersion: 1 })
        .groupBy('_change_type')
        .agg({ n: count(), total: sum('v') })
        .writeTo(out, { checkpointLocation: tempDir('cdf-q-ckpt-'), outputMode: 'complete', trigger: { availableNow: true } });
      const got = (await rowsOf(out)).map((r) => `${r._change_type}:${r.n}:${r.total}`).sort();
      expect(got).toEqual(['insert:4:10', 'delete:2:6', 'update_postimage:1:13', 'update_preimage:1:3'].sort());
    });

    it('from the snapshot on (no startingVersion): the snapshot rows are inserts the query sees', async () => {
      const t = await changedTable(true);
      const out = tempDir('cdf-q-out-');
      await t
        .stream({ readChangeFeed: true })
        .where("_change_type = 'insert' AND v > 2")
        .writeTo(out, { checkpointLocation: tempDir('cdf-q-ckpt-'), trigger: { availableNow: true } });
      expect((await rowsOf(out)).map((r) => `${r._change_type}:${r.id}:${r.v}`)).toEqual(['insert:3:13']);
    });

    it('stages are checked against the change feed schema before any batch runs', async () => {
      const t = await changedTable(false);
      const opts = { checkpointLocation: tempDir('cdf-q-ckpt-'), trigger: { availableNow: true } as const };
      await expect(t.stream({ readChangeFeed: true }).where('nope = 1').writeTo(tempDir('cdf-q-out-'), opts)).rejects.toThrow(ExpressionError);
      expect(await t.stream({ readChangeFeed: true }).select('id', '_commit_timestamp').schema()).toMatchObject({
        fields: [{ name: 'id', type: 'long' }, { name: '_commit_timestamp', type: 'timestamp' }],
      });
    });
  });
});
