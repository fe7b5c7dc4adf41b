// Snapshot / segment / replay / history on small hand-written tables in temp folders (and corpus copies).
import { cpSync, existsSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { ProtocolError, TableNotFoundError, UnsupportedFeatureError, VersionNotFoundError } from '../../src/errors.js';
import { readHistory, resolveTimestampToVersion } from '../../src/log/history.js';
import { commitPath } from '../../src/log/paths.js';
import { LogReplay } from '../../src/log/replay.js';
import { buildLogSegment } from '../../src/log/segment.js';
import { Snapshot } from '../../src/log/snapshot.js';
import { LocalStore } from '../../src/storage/local.js';
import { cleanupTempDirs, tempDir } from '../helpers/tmp.js';
import {
  RecordingStore,
  add,
  commitInfo,
  metaData,
  newTable,
  protocol,
  remove,
  setCommitMtime,
  writeCommit,
  writeRaw,
} from './log_helpers.js';

afterAll(cleanupTempDirs);

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const corpus = resolve(repoRoot, process.env.DELTATS_CONFORMANCE_DIR ?? '../shared/conformance');
const hasCorpus = existsSync(join(corpus, 'cases.json'));
if (!hasCorpus) console.warn(`conformance corpus not found at ${corpus} (set DELTATS_CONFORMANCE_DIR): skipping corpus copies`);

function copyCorpusTable(name: string): { dir: string; store: LocalStore } {
  const dir = tempDir('deltats-log-copy-');
  cpSync(join(corpus, 'tables', name), dir, { recursive: true });
  return { dir, store: new LocalStore(dir) };
}

async function threeCommits(): Promise<{ dir: string; store: LocalStore }> {
  const t = newTable();
  await writeCommit(t.store, 0, [commitInfo('CREATE TABLE'), protocol(), metaData()]);
  await writeCommit(t.store, 1, [commitInfo('WRITE', { readVersion: 0, isBlindAppend: true }), add('a'), add('b')]);
  await writeCommit(t.store, 2, [commitInfo('DELETE', { readVersion: 1 }), remove('a'), add('c')]);
  return t;
}

describe('LogReplay', () => {
  it('reconciles adds, removes, re-adds, deletion-vector keys, txns and domains', () => {
    const dv = { storageType: 'u', pathOrInlineDv: 'ab', sizeInBytes: 1, cardinality: 1 };
    const r = new LogReplay().apply([
      protocol(),
      metaData(),
      add('a'),
      add('b'),
      { txn: { appId: 'app', version: 1 } },
      { domainMetadata: { domain: 'd1', configuration: '{}', removed: false } },
      { domainMetadata: { domain: 'd2', configuration: '{}', removed: false } },
    ]);
    const before = r.clone();
    r.apply([
      remove('a'),
      add('b', { deletionVector: dv }), // same path, new DV: a different key, the old key stays until removed
      remove('b'),
      add('a', { size: 99 }),
      { txn: { appId: 'app', version: 2 } },
      { domainMetadata: { domain: 'd1', configuration: '', removed: true } },
    ]);
    expect(r.activeFiles().map((f) => [f.path, f.size, !!f.deletionVector])).toEqual([
      ['b', 10, true],
      ['a', 99, false],
    ]);
    expect(r.tombstones().map((t) => t.path)).toEqual(['b']); // 'a' was re-added
    expect(r.txns.get('app')?.version).toBe(2);
    expect([...r.domains.keys()]).toEqual(['d2']);
    expect(before.activeFiles().map((f) => f.path)).toEqual(['a', 'b']);
    expect(before.txns.get('app')?.version).toBe(1);
  });
});

describe('Snapshot.load on temp tables', () => {
  it('loads latest and earlier versions', async () => {
    const { store } = await threeCommits();
    const s = await Snapshot.load(store);
    expect(s.version).toBe(2);
    expect(s.activeFiles().map((f) => f.path).sort()).toEqual(['b', 'c']);
    expect(s.tombstones().map((f) => f.path)).toEqual(['a']);
    expect(s.schema.fields.map((f) => f.name)).toEqual(['id', 'p']);
    const s1 = await Snapshot.load(store, { version: 1 });
    expect(s1.activeFiles().map((f) => f.path).sort()).toEqual(['a', 'b']);
  });

  it('errors: no table, version beyond latest, missing commit in the middle', async () => {
    const empty = newTable();
    await expect(Snapshot.load(empty.store)).rejects.toBeInstanceOf(TableNotFoundError);
    const { store } = await threeCommits();
    const e1 = await Snapshot.load(store, { version: 5 }).catch((e: unknown) => e);
    expect(e1).toBeInstanceOf(VersionNotFoundError);
    expect((e1 as Error).message).toMatch(/version 5 does not exist: the latest version .* is 2/);
    await store.delete(commitPath(1));
    const e2 = await Snapshot.load(store).catch((e: unknown) => e);
    expect(e2).toBeInstanceOf(ProtocolError);
    expect((e2 as Error).message).toMatch(/missing commit 1 \(_delta_log\/00000000000000000001\.json\) needed to reconstruct version 2/);
  });

  it('a malformed line fails the load naming file and line', async () => {
    const { store } = await threeCommits();
    await writeRaw(store, commitPath(3), `${JSON.stringify(commitInfo('WRITE'))}\n{"add": oops}\n`);
    await expect(Snapshot.load(store)).rejects.toThrow(/\(_delta_log\/00000000000000000003\.json, line 2\)/);
    expect((await Snapshot.load(store, { version: 2 })).version).toBe(2);
  });

  it('requires protocol and metaData', async () => {
    const t = newTable();
    await writeCommit(t.store, 0, [protocol(), add('a')]);
    await expect(Snapshot.load(t.store)).rejects.toThrow(/no metaData action/);
    const u = newTable();
    await writeCommit(u.store, 0, [metaData()]);
    await expect(Snapshot.load(u.store)).rejects.toThrow(/no protocol action/);
  });

  it('refuses unsupported reader features but not unknown writer-only features', async () => {
    const t = newTable();
    await writeCommit(t.store, 0, [
      protocol({ minReaderVersion: 3, minWriterVersion: 7, readerFeatures: ['variantType'], writerFeatures: ['variantType'] }),
      metaData(),
    ]);
    const err = await Snapshot.load(t.store).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UnsupportedFeatureError);
    expect((err as UnsupportedFeatureError).feature).toBe('variantType');
    const u = newTable();
    await writeCommit(u.store, 0, [protocol({ minReaderVersion: 1, minWriterVersion: 7, writerFeatures: ['someFutureWriterThing'] }), metaData()]);
    expect((await Snapshot.load(u.store)).version).toBe(0);
  });

  it('tolerates a garbage or stale _last_checkpoint', async () => {
    const { store } = await threeCommits();
    await writeRaw(store, '_delta_log/_last_checkpoint', '{not json');
    expect((await Snapshot.load(store)).version).toBe(2);
    await writeRaw(store, '_delta_log/_last_checkpoint', '{"version":100,"size":3}');
    const s = await Snapshot.load(store);
    expect(s.version).toBe(2);
    expect(s.logSegment.checkpoint).toBeUndefined();
    await writeRaw(store, '_delta_log/_last_checkpoint', '{"version":1,"size":3}'); // no checkpoint file at 1
    expect((await Snapshot.load(store)).activeFiles()).toHaveLength(2);
  });

  it('update() reads only newer commits; applyCommit() builds the next snapshot in memory', async () => {
    const { store } = await threeCommits();
    const rec = new RecordingStore(store);
    const s2 = await Snapshot.load(rec);
    rec.lists.length = 0;
    rec.gets.length = 0;
    expect(await s2.update()).toBe(s2);
    await writeCommit(store, 3, [commitInfo('WRITE'), add('d'), { txn: { appId: 'x', version: 7 } }]);
    await writeCommit(store, 4, [commitInfo('WRITE'), remove('b')]);
    const s4 = await s2.update();
    expect(s4.version).toBe(4);
    expect(s4.activeFiles().map((f) => f.path).sort()).toEqual(['c', 'd']);
    expect(s4.txnVersion('x')).toBe(7);
    expect(s2.activeFiles().map((f) => f.path).sort()).toEqual(['b', 'c']);
    expect(rec.lists.every((l) => l.options?.startAfter === commitPath(2))).toBe(true);
    // Commit 2 is read again only to check it is still the one s2 ended at (lineage.ts), then 3 and 4 are applied.
    expect(rec.gets.filter((g) => g.endsWith('.json')).sort()).toEqual([commitPath(2), commitPath(3), commitPath(4)]);
    expect(s4.logSegment.commits.map((c) => c.version)).toEqual([0, 1, 2, 3, 4]);

    const s5 = s4.applyCommit(5, [add('e'), remove('c')], 12345);
    expect(s5.version).toBe(5);
    expect(s5.timestamp).toBe(12345);
    expect(s5.activeFiles().map((f) => f.path).sort()).toEqual(['d', 'e']);
    expect(s4.activeFiles().map((f) => f.path).sort()).toEqual(['c', 'd']);
    expect(() => s4.applyCommit(7, [], 1)).toThrow(/does not follow snapshot version 4/);
  });

  it('ignoreCheckpoints replays JSON only', async () => {
    const { store } = await threeCommits();
    const s = await Snapshot.load(store, { ignoreCheckpoints: true });
    expect(s.logSegment.commits).toHaveLength(3);
    const seg = await buildLogSegment(store, { version: 1 });
    expect(seg).toEqual({ version: 1, commits: [expect.objectContaining({ version: 0 }), expect.objectContaining({ version: 1 })] });
  });
});

describe('timestamp time travel', () => {
  const T0 = Date.UTC(2024, 0, 1, 0, 0, 0);

  it('picks the latest version committed at or before the timestamp', async () => {
    const { dir, store } = await threeCommits();
    setCommitMtime(dir, 0, T0);
    setCommitMtime(dir, 1, T0 + 60_000);
    setCommitMtime(dir, 2, T0 + 120_000);
    expect((await Snapshot.load(store, { timestamp: T0 })).version).toBe(0);
    expect((await Snapshot.load(store, { timestamp: T0 + 59_999 })).version).toBe(0);
    expect((await Snapshot.load(store, { timestamp: T0 + 60_000 })).version).toBe(1);
    const s = await Snapshot.load(store, { timestamp: T0 + 90_000 });
    expect(s.version).toBe(1);
    expect(s.timestamp).toBe(T0 + 60_000);
    expect((await Snapshot.load(store, { timestamp: T0 + 10 ** 9 })).version).toBe(2);
    const err = await Snapshot.load(store, { timestamp: T0 - 1 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(VersionNotFoundError);
    expect((err as Error).message).toContain('earliest available commit (version 0 at 2024-01-01T00:00:00.000Z)');
    expect(await s.commitTimestamp(2)).toBe(T0 + 120_000);
    await expect(Snapshot.load(store, { version: 1, timestamp: T0 })).rejects.toThrow(/either a version or a timestamp/);
  });

  it('makes out-of-order modification times monotonic like Delta', async () => {
    const { dir, store } = await threeCommits();
    setCommitMtime(dir, 0, T0 + 10_000);
    setCommitMtime(dir, 1, T0); // clock skew: earlier than commit 0 -> treated as T0 + 10_001
    setCommitMtime(dir, 2, T0 + 20_000);
    expect(await resolveTimestampToVersion(store, T0 + 10_000)).toBe(0);
    expect(await resolveTimestampToVersion(store, T0 + 10_001)).toBe(1);
    expect(await resolveTimestampToVersion(store, T0 + 19_999)).toBe(1);
    const h = await readHistory(store);
    expect(h.map((e) => [e.version, e.timestamp])).toEqual([
      [2, T0 + 20_000],
      [1, T0 + 10_001],
      [0, T0 + 10_000],
    ]);
  });

  it('uses inCommitTimestamp when the table enables it', async () => {
    const t = newTable();
    const conf = { 'delta.enableInCommitTimestamps': 'true', 'delta.inCommitTimestampEnablementVersion': '0' };
    const p = protocol({ minReaderVersion: 1, minWriterVersion: 7, writerFeatures: ['inCommitTimestamp'] });
    await writeCommit(t.store, 0, [commitInfo('CREATE TABLE', { inCommitTimestamp: 1000 }), p, metaData({ configuration: conf })]);
    await writeCommit(t.store, 1, [commitInfo('WRITE', { inCommitTimestamp: 2000 }), add('a')]);
    await writeCommit(t.store, 2, [commitInfo('WRITE', { inCommitTimestamp: 3000 }), add('b')]);
    for (const v of [0, 1, 2]) setCommitMtime(t.dir, v, T0 + v); // mtimes are unrelated to the ICTs
    expect((await Snapshot.load(t.store)).timestamp).toBe(3000);
    expect((await Snapshot.load(t.store, { version: 1 })).timestamp).toBe(2000);
    expect((await Snapshot.load(t.store, { timestamp: 2500 })).version).toBe(1);
    expect((await Snapshot.load(t.store, { timestamp: 3000 })).version).toBe(2);
    await expect(Snapshot.load(t.store, { timestamp: 999 })).rejects.toBeInstanceOf(VersionNotFoundError);
    expect((await readHistory(t.store, { limit: 1 }))[0]).toMatchObject({ version: 2, timestamp: 3000 });
  });
});

describe('history', () => {
  it('returns commitInfo newest first with limit', async () => {
    const { store } = await threeCommits();
    const h = await readHistory(store);
    expect(h.map((e) => [e.version, e.operation, e.readVersion])).toEqual([
      [2, 'DELETE', 1],
      [1, 'WRITE', 0],
      [0, 'CREATE TABLE', undefined],
    ]);
    expect(h[1]!.isBlindAppend).toBe(true);
    expect(h[1]!.commitInfo.operation).toBe('WRITE');
    expect((await readHistory(store, { limit: 2 })).map((e) => e.version)).toEqual([2, 1]);
  });

  it.skipIf(!hasCorpus)('omits versions whose commit file was cleaned up and reads no data or checkpoint files', async () => {
    const rec = new RecordingStore(new LocalStore(join(corpus, 'tables', 'rs-checkpoints_vacuumed')));
    const h = await readHistory(rec);
    expect(h.map((e) => e.version)).toEqual([12, 11, 10, 9, 8, 7, 6, 5]);
    expect(h.every((e) => typeof e.operation === 'string' && e.timestamp > 0)).toBe(true);
    expect(rec.gets.every((g) => /^_delta_log\/\d{20}\.json$/.test(g))).toBe(true);
  });
});

describe.skipIf(!hasCorpus)('checkpoint selection on corpus copies', () => {
  it('lists only from the _last_checkpoint hint on', async () => {
    const rec = new RecordingStore(new LocalStore(join(corpus, 'tables', 'spark-checkpoint')));
    const s = await Snapshot.load(rec);
    expect(s.version).toBe(14);
    expect(rec.lists).toEqual([{ prefix: '_delta_log/', options: { startAfter: '_delta_log/00000000000000000010', recursive: false } }]);
    expect(rec.gets.filter((g) => g.endsWith('.json')).sort()).toEqual([11, 12, 13, 14].map(commitPath));
  });

  it('at the version of a checkpoint: the commit time comes from the listing (no HEAD), the checkpoint is read once', async () => {
    const dir = join(corpus, 'tables', 'spark-checkpoint');
    const rec = new RecordingStore(new LocalStore(dir));
    const s = await Snapshot.load(rec, { version: 10 });
    expect(s.logSegment.commits).toEqual([]);
    expect(s.logSegment.checkpoint?.version).toBe(10);
    expect(s.timestamp).toBe((await new LocalStore(dir).head(commitPath(10)))!.lastModified.getTime());
    expect(rec.heads).toEqual([]);
    expect(rec.gets.filter((g) => g.endsWith('.parquet'))).toEqual(['_delta_log/00000000000000000010.checkpoint.parquet']);
    expect(s.activeFiles()).toHaveLength((await Snapshot.load(new LocalStore(dir), { version: 10, ignoreCheckpoints: true })).activeFiles().length);
  });

  it('skips an incomplete multi-part checkpoint and falls back to JSON commits', async () => {
    const { dir, store } = copyCorpusTable('spark-multi-part-checkpoint');
    rmSync(join(dir, '_delta_log', '00000000000000000001.checkpoint.0000000002.0000000002.parquet'));
    const s = await Snapshot.load(store);
    expect(s.logSegment.checkpoint).toBeUndefined();
    expect(s.version).toBe(1);
    expect(s.activeFiles()).toHaveLength(10);
  });

  it('finds a checkpoint without _last_checkpoint and uses the newest one <= target', async () => {
    const { store } = copyCorpusTable('spark-checkpoint');
    await store.delete('_delta_log/_last_checkpoint');
    const s = await Snapshot.load(store);
    expect(s.logSegment.checkpoint?.version).toBe(10);
    const s9 = await Snapshot.load(store, { version: 9 });
    expect(s9.logSegment.checkpoint).toBeUndefined();
    expect(s9.logSegment.commits).toHaveLength(10);
  });

  it('a commit missing after the checkpoint is a clear error', async () => {
    const { store } = copyCorpusTable('spark-checkpoint');
    await store.delete(commitPath(12));
    await expect(Snapshot.load(store)).rejects.toThrow(/missing commit 12 .* after checkpoint 10/);
    expect((await Snapshot.load(store, { version: 11 })).version).toBe(11);
  });

  it('skips an unreadable checkpoint for an older one, or reports it when nothing older works', async () => {
    const a = copyCorpusTable('spark-checkpoint');
    writeFileSync(join(a.dir, '_delta_log', '00000000000000000010.checkpoint.parquet'), 'PAR1 truncated');
    const s = await Snapshot.load(a.store);
    expect(s.version).toBe(14);
    expect(s.logSegment.checkpoint).toBeUndefined();
    expect(s.activeFiles()).toHaveLength(1);

    const b = copyCorpusTable('rs-checkpoints_vacuumed');
    writeFileSync(join(b.dir, '_delta_log', '00000000000000000010.checkpoint.parquet'), 'garbage');
    const t = await Snapshot.load(b.store);
    expect(t.logSegment.checkpoint?.version).toBe(5);
    expect(t.activeFiles()).toHaveLength(12);
    writeFileSync(join(b.dir, '_delta_log', '00000000000000000005.checkpoint.parquet'), 'garbage');
    await expect(Snapshot.load(b.store)).rejects.toThrow(/cannot read checkpoint Parquet.*00000000000000000010\.checkpoint\.parquet/);
  });
});
