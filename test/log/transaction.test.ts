// Optimistic concurrency: two transactions read the same snapshot and race for the same version on a real store.
import { afterAll, describe, expect, it } from 'vitest';
import {
  ConcurrentAppendError,
  ConcurrentDeleteDeleteError,
  ConcurrentDeleteReadError,
  ConcurrentTransactionError,
  DeltaTable,
  LocalStore,
  MetadataChangedError,
  Snapshot,
  Transaction,
  type Add,
  type StructType,
} from '../../src/index.js';
import { cleanupTempDirs, tempDir } from '../helpers/tmp.js';

afterAll(cleanupTempDirs);

const schema: StructType = {
  type: 'struct',
  fields: [
    { name: 'p', type: 'string', nullable: true, metadata: {} },
    { name: 'v', type: 'long', nullable: true, metadata: {} },
  ],
};

function add(path: string, p: string): Add {
  return { path, partitionValues: { p }, size: 1, modificationTime: Date.now(), dataChange: true };
}

async function setup() {
  const dir = tempDir();
  const t = await DeltaTable.create(dir, { schema, partitionBy: ['p'] });
  await t.append([{ p: 'a', v: 1n }, { p: 'b', v: 2n }]);
  const store = new LocalStore(dir);
  return { dir, store, snap: await Snapshot.load(store) };
}

describe('Transaction conflicts', () => {
  it('blind appends from the same snapshot both commit (rebase), in two consecutive versions', async () => {
    const { store, snap } = await setup();
    const [r1, r2] = await Promise.all([
      new Transaction(store, snap, { operation: 'WRITE' }).addActions([{ add: add('p=a/x1.parquet', 'a') }]).commit(),
      new Transaction(store, snap, { operation: 'WRITE' }).addActions([{ add: add('p=a/x2.parquet', 'a') }]).commit(),
    ]);
    expect([r1.version, r2.version].sort()).toEqual([2, 3]);
    expect(r1.retries + r2.retries).toBe(1);
    const latest = await Snapshot.load(store);
    expect(latest.activeFiles().map((a) => a.path)).toEqual(expect.arrayContaining(['p=a/x1.parquet', 'p=a/x2.parquet']));
  });

  it('a read-dependent write conflicts with a winner adding files that match its predicate, not with others', async () => {
    const { store, snap } = await setup();
    await new Transaction(store, snap, { operation: 'WRITE' }).addActions([{ add: add('p=b/new.parquet', 'b') }]).commit();
    const readsA = (a: Add) => a.partitionValues.p === 'a';
    const ok = await new Transaction(store, snap, { operation: 'WRITE', readPredicate: readsA })
      .addActions([{ add: add('p=a/y.parquet', 'a') }])
      .commit();
    expect(ok.version).toBe(3);
    const readsB = (a: Add) => a.partitionValues.p === 'b';
    await expect(
      new Transaction(store, snap, { operation: 'WRITE', readPredicate: readsB }).addActions([{ add: add('p=b/z.parquet', 'b') }]).commit(),
    ).rejects.toThrow(ConcurrentAppendError);
    expect((await Snapshot.load(store)).version).toBe(3);
  });

  it('removing a file a winner removed, a metadata change, and the same txn appId are conflicts', async () => {
    const { store, snap } = await setup();
    const victim = snap.activeFiles()[0];
    const rm = { remove: { path: victim.path, deletionTimestamp: Date.now(), dataChange: true } };
    await new Transaction(store, snap, { operation: 'DELETE' }).addActions([rm]).commit();
    await expect(new Transaction(store, snap, { operation: 'DELETE' }).addActions([rm]).commit()).rejects.toThrow(ConcurrentDeleteDeleteError);
    // A file this transaction only read (or rewrites without a data change) that a winner removed: delete-read.
    await expect(
      new Transaction(store, snap, { operation: 'OPTIMIZE', readFiles: [victim] }).addActions([{ remove: { ...rm.remove, dataChange: false } }]).commit(),
    ).rejects.toThrow(ConcurrentDeleteReadError);

    const snap2 = await Snapshot.load(store);
    await new Transaction(store, snap2, { operation: 'SET TBLPROPERTIES' })
      .addActions([{ metaData: { ...snap2.metadata, configuration: { 'delta.appendOnly': 'false' } } }])
      .commit();
    await expect(
      new Transaction(store, snap2, { operation: 'WRITE' }).addActions([{ add: add('p=a/q.parquet', 'a') }]).commit(),
    ).rejects.toThrow(MetadataChangedError);

    const snap3 = await Snapshot.load(store);
    const txn = { txn: { appId: 'stream-1', version: 7 } };
    await new Transaction(store, snap3, { operation: 'STREAMING UPDATE' }).addActions([txn, { add: add('p=a/s1.parquet', 'a') }]).commit();
    await expect(
      new Transaction(store, snap3, { operation: 'STREAMING UPDATE' }).addActions([txn, { add: add('p=a/s2.parquet', 'a') }]).commit(),
    ).rejects.toThrow(ConcurrentTransactionError);
    const final = await Snapshot.load(store);
    expect(final.txnVersion('stream-1')).toBe(7);
    expect(final.activeFiles().some((a) => a.path === 'p=a/s2.parquet')).toBe(false);
  });

  it('refuses removes on an append-only table', async () => {
    const dir = tempDir();
    const t = await DeltaTable.create(dir, { schema, properties: { 'delta.appendOnly': 'true' } });
    await t.append([{ p: 'a', v: 1n }]);
    await expect(t.overwrite([{ p: 'a', v: 2n }])).rejects.toThrow(/append-only/);
    expect((await DeltaTable.open(dir)).version).toBe(1);
  });
});
