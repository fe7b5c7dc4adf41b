// stream({ readChangeFeed: true }): the change data feed as a micro-batch source, exactly once across restarts
// (runStream + DeltaSink), from a starting version or from the snapshot (as inserts) on.
import { afterAll, describe, expect, it } from 'vitest';
import { DeltaSink, DeltaTable, runStream } from '../../src/index.js';
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
});
