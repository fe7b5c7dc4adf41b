// In-Commit Timestamps (PROTOCOL.md "In-Commit Timestamps"): time travel by timestamp, a stream's startingTimestamp
// and history apply one commit-time rule, also when commit file modification times disagree with the ICTs.
import { afterAll, describe, expect, it } from 'vitest';
import { VersionNotFoundError } from '../../src/errors.js';
import { DeltaTable } from '../../src/delta_table.js';
import { cleanupTempDirs } from '../helpers/tmp.js';
import { add, commitInfo, metaData, newTable, protocol, setCommitMtime, writeCommit } from '../log/log_helpers.js';

afterAll(cleanupTempDirs);

const T0 = Date.UTC(2025, 0, 1);

/**
 * v0, v1 before In-Commit Timestamps (timed by file mtime); v2 enables them (Spark's enablement commit: protocol +
 * metaData with the enablement version/timestamp); v3, v4 carry ICTs. The mtimes of v2..v4 are wrong on purpose
 * (a copy or restore of the log rewrote them): far later, then earlier than every ICT.
 */
async function ictTable(): Promise<string> {
  const t = newTable();
  await writeCommit(t.store, 0, [commitInfo('CREATE TABLE', { timestamp: T0 }), protocol(), metaData()]);
  await writeCommit(t.store, 1, [commitInfo('WRITE', { timestamp: T0 + 1000 }), add('a.parquet')]);
  const enabled = {
    'delta.enableInCommitTimestamps': 'true',
    'delta.inCommitTimestampEnablementVersion': '2',
    'delta.inCommitTimestampEnablementTimestamp': String(T0 + 5000),
  };
  await writeCommit(t.store, 2, [
    commitInfo('SET TBLPROPERTIES', { timestamp: T0 + 5000, inCommitTimestamp: T0 + 5000 }),
    protocol({ minReaderVersion: 1, minWriterVersion: 7, writerFeatures: ['appendOnly', 'invariants', 'inCommitTimestamp'] }),
    metaData({ configuration: enabled }),
  ]);
  await writeCommit(t.store, 3, [commitInfo('WRITE', { timestamp: T0 + 6000, inCommitTimestamp: T0 + 6000 }), add('b.parquet')]);
  await writeCommit(t.store, 4, [commitInfo('WRITE', { timestamp: T0 + 7000, inCommitTimestamp: T0 + 7000 }), add('c.parquet')]);
  setCommitMtime(t.dir, 0, T0);
  setCommitMtime(t.dir, 1, T0 + 1000);
  setCommitMtime(t.dir, 2, T0 + 900_000);
  setCommitMtime(t.dir, 3, T0 + 100);
  setCommitMtime(t.dir, 4, T0 + 50);
  return t.dir;
}

async function openAt(uri: string, ts: number): Promise<number> {
  return (await DeltaTable.open(uri, { timestamp: ts })).version;
}

async function streamStart(uri: string, ts: number): Promise<number> {
  const table = await DeltaTable.open(uri);
  return (await table.stream({ startingTimestamp: ts }).initialOffset()).reservoirVersion;
}

describe('In-Commit Timestamps', () => {
  it('open({timestamp}) and stream({startingTimestamp}) resolve a commit time to the same version', async () => {
    const uri = await ictTable();
    // Each version's commit time: mtime before the enablement version, inCommitTimestamp from it on.
    const times = [T0, T0 + 1000, T0 + 5000, T0 + 6000, T0 + 7000];
    for (const [v, ts] of times.entries()) {
      expect(await openAt(uri, ts), `open at ${ts}`).toBe(v);
      expect(await streamStart(uri, ts), `stream at ${ts}`).toBe(v);
    }
    expect((await DeltaTable.open(uri, { timestamp: new Date(T0 + 6000) })).snapshot.timestamp).toBe(T0 + 6000);
  });

  it('between commits: time travel takes the version before, the stream the version after', async () => {
    const uri = await ictTable();
    for (const [ts, before] of [
      [T0 + 500, 0],
      [T0 + 3000, 1], // before the enablement timestamp: only versions < 2 are considered for time travel
      [T0 + 6500, 3],
      [T0 + 10 ** 9, 4], // v2's mtime is far later, but it is timed by its ICT
    ] as const) {
      expect(await openAt(uri, ts), `open at ${ts}`).toBe(before);
      expect(await streamStart(uri, ts), `stream at ${ts}`).toBe(before + 1);
    }
    await expect(openAt(uri, T0 - 1)).rejects.toBeInstanceOf(VersionNotFoundError);
    expect(await streamStart(uri, T0 - 1)).toBe(0);
  });

  it('history and the snapshot report the same commit times', async () => {
    const uri = await ictTable();
    const t = await DeltaTable.open(uri);
    expect(t.snapshot.timestamp).toBe(T0 + 7000);
    expect((await t.history()).map((h) => [h.version, h.timestamp])).toEqual([
      [4, T0 + 7000],
      [3, T0 + 6000],
      [2, T0 + 5000],
      [1, T0 + 1000],
      [0, T0],
    ]);
    expect(await t.snapshot.commitTimestamp(3)).toBe(T0 + 6000);
    expect(await t.snapshot.commitTimestamp(1)).toBe(T0 + 1000);
  });
});
