// Writing tables with In-Commit Timestamps (PROTOCOL.md "Writer Requirements for In-Commit Timestamps"): every
// commit of every operation carries commitInfo first with a strictly increasing inCommitTimestamp, also when the
// wall clock goes backwards and after lost races (real processes); enabling it on an existing table records the
// enablement version/timestamp; time travel and history cross the enablement boundary.
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';
import { spawn } from 'node:child_process';
import { readdirSync, readFileSync, utimesSync } from 'node:fs';
import { join } from 'node:path';
import { DeltaTable, DeltaSink, InvalidArgumentError, MetadataChangedError, ProtocolChangedError, VersionNotFoundError } from '../../src/index.js';
import { onlyEnablesInCommitTimestamps } from '../../src/log/in_commit_timestamp.js';
import { Snapshot } from '../../src/log/snapshot.js';
import { Transaction } from '../../src/log/transaction.js';
import { LocalStore } from '../../src/storage/local.js';
import { cleanupTempDirs, tempDir } from '../helpers/tmp.js';
import { appendWorkerSchema } from '../helpers/append_schema.js';
import { tableFromArrays } from 'apache-arrow';
import { cli, ok, okJson } from '../cli/run.js';

afterAll(cleanupTempDirs);
afterEach(() => {
  vi.restoreAllMocks();
});

const ICT = { 'delta.enableInCommitTimestamps': 'true' };

const schema = appendWorkerSchema;

const row = (writer: number, seq: number) => ({ writer, seq: BigInt(seq), payload: `w${writer}-s${seq}` });

/** Every commit file's lines, parsed, by version. */
function commits(dir: string): Array<Array<Record<string, Record<string, unknown>>>> {
  const log = join(dir, '_delta_log');
  return readdirSync(log)
    .filter((f) => /^\d{20}\.json$/.test(f))
    .sort()
    .map((f) =>
      readFileSync(join(log, f), 'utf8')
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l) as Record<string, Record<string, unknown>>),
    );
}

/** The first action of each commit must be commitInfo (requirement 2); its inCommitTimestamp (requirement 3). */
function icts(dir: string, from = 0): number[] {
  return commits(dir)
    .slice(from)
    .map((actions, i) => {
      const first = actions[0]!;
      expect(Object.keys(first), `version ${from + i}`).toEqual(['commitInfo']);
      const ict = first.commitInfo!.inCommitTimestamp;
      expect(typeof ict, `version ${from + i} inCommitTimestamp`).toBe('number');
      expect(Number.isSafeInteger(ict)).toBe(true);
      return ict as number;
    });
}

function expectStrictlyIncreasing(xs: number[]): void {
  for (let i = 1; i < xs.length; i++) expect(xs[i]!, `index ${i} of ${JSON.stringify(xs)}`).toBeGreaterThan(xs[i - 1]!);
}

/** One row as an Arrow table of the table's types. */
const batch = (writer: number, seq: bigint, payload: string) =>
  tableFromArrays({ writer: Int32Array.from([writer]), seq: BigInt64Array.from([seq]), payload: [payload] });

/** A wall clock returning `times` in turn (then the last one). */
function clockOf(times: number[]): () => number {
  let i = 0;
  return () => times[Math.min(i++, times.length - 1)]!;
}

describe('In-Commit Timestamps: writing', () => {
  it('create with the property: writer feature in the protocol, every commit of every operation timed, first', async () => {
    const dir = tempDir();
    const t = await DeltaTable.create(dir, { schema, properties: { ...ICT, 'delta.checkpointInterval': '3' } });
    expect(t.protocol).toEqual({ minReaderVersion: 1, minWriterVersion: 7, writerFeatures: ['appendOnly', 'invariants', 'inCommitTimestamp'] });
    // Created with it: no enablement properties (every version has an inCommitTimestamp).
    expect(t.properties).toEqual({ ...ICT, 'delta.checkpointInterval': '3' });
    await t.append([row(0, 0), row(0, 1)]);
    await t.append([row(0, 2)]);
    await t.overwrite([row(1, 0), row(1, 1), row(1, 2)]);
    await t.delete('seq = 0');
    await t.update({ set: { payload: "'updated'" }, where: 'seq = 1' });
    await t.merge(batch(1, 5n, 'new'), { on: 't.seq = s.seq', targetAlias: 't', sourceAlias: 's' })
      .whenNotMatchedInsertAll()
      .execute();
    await t.optimize();
    await t.restore({ version: 3 });
    await t.vacuum({ retentionHours: 0, force: true });
    await t.setProperties({ 'delta.logRetentionDuration': 'interval 60 days' });
    const sink = new DeltaSink(dir, { queryId: 'q1' });
    await sink.addBatch(0, batch(2, 0n, 'streamed'));
    await ok(['delete', dir, '--where', 'seq = 2', '--json']);
    const all = icts(dir);
    const ops = commits(dir).map((c) => c[0]!.commitInfo!.operation);
    expect(ops).toEqual([
      'CREATE TABLE', 'WRITE', 'WRITE', 'WRITE', 'DELETE', 'UPDATE', 'MERGE', 'OPTIMIZE', 'RESTORE',
      'VACUUM START', 'VACUUM END', 'SET TBLPROPERTIES', 'WRITE', 'DELETE',
    ]);
    expect(commits(dir)[12]![0]!.commitInfo).toMatchObject({ queryId: 'q1', streamingBatchId: 0, engineInfo: expect.stringMatching(/^deltats/) });
    expectStrictlyIncreasing(all);
    // Checkpoints were written (every 3 commits) and the reloaded table is timed by the last commit's ICT.
    expect(readdirSync(join(dir, '_delta_log')).filter((f) => f.endsWith('.checkpoint.parquet')).length).toBeGreaterThanOrEqual(3);
    const reopened = await DeltaTable.open(dir);
    expect(reopened.snapshot.timestamp).toBe(all.at(-1));
    expect((await reopened.history()).map((h) => h.timestamp)).toEqual([...all].reverse());
    // Time travel to each commit's ICT lands on it (3, 6 and 12 are checkpoint versions), and its snapshot is timed so.
    for (const v of [0, 3, 4, 6, 9, 12, 13]) {
      const at = await DeltaTable.open(dir, { timestamp: all[v]! });
      expect([at.version, at.snapshot.timestamp]).toEqual([v, all[v]]);
      expect((await DeltaTable.open(dir, { version: v })).snapshot.timestamp).toBe(all[v]);
    }
    expect((await reopened.scan().toArray()).map((r) => String(r.payload)).sort()).toEqual(['streamed', 'w1-s0', 'w1-s1']);
  });

  it('the wall clock going backwards: each inCommitTimestamp is one ms after the previous, commitInfo.timestamp is the clock', async () => {
    const dir = tempDir();
    const T = Date.UTC(2030, 0, 1);
    const clock = vi.spyOn(Date, 'now');
    clock.mockReturnValue(T);
    const t = await DeltaTable.create(dir, { schema, properties: ICT });
    const walls = [T - 1000, T - 3_600_000, T + 50, T + 40];
    for (const [i, w] of walls.entries()) {
      clock.mockReturnValue(w);
      await t.append([row(0, i)]);
    }
    clock.mockRestore();
    expect(icts(dir)).toEqual([T, T + 1, T + 2, T + 50, T + 51]);
    expect(commits(dir).map((c) => c[0]!.commitInfo!.timestamp)).toEqual([T, ...walls]);
    // The injected transaction clock does the same, without touching Date.now.
    const snap = await Snapshot.load(new LocalStore(dir));
    const res = await new Transaction(snap.store, snap, { operation: 'WRITE', clock: () => 0 }).addActions([]).commit();
    expect(res.snapshot.timestamp).toBe(T + 52);
    expect(icts(dir).at(-1)).toBe(T + 52);
    // The reader sees the same times (history newest first).
    expect((await (await DeltaTable.open(dir)).history()).map((h) => h.timestamp)).toEqual([T + 52, T + 51, T + 50, T + 2, T + 1, T]);
  });

  it('a lost race rebases: the inCommitTimestamp is recomputed after the winning commit, the caller cannot set it', async () => {
    const dir = tempDir();
    const T = Date.UTC(2030, 0, 1);
    await DeltaTable.create(dir, { schema, properties: ICT });
    const store = new LocalStore(dir);
    const read = await Snapshot.load(store);
    // Another writer, its clock an hour ahead, wins version 1 while ours is prepared on version 0.
    await new Transaction(store, read, { operation: 'WRITE', clock: () => T + 3_600_000 }).addActions([]).commit();
    const ours = await new Transaction(store, read, { operation: 'WRITE', clock: clockOf([T]), commitInfo: { inCommitTimestamp: 5, userMetadata: 'x' } })
      .addActions([])
      .commit();
    expect(ours.version).toBe(2);
    expect(ours.retries).toBe(1);
    const c2 = commits(dir)[2]![0]!.commitInfo!;
    expect(c2).toMatchObject({ inCommitTimestamp: T + 3_600_001, timestamp: T, userMetadata: 'x' });
    expect(Object.keys(c2)[0]).toBe('inCommitTimestamp');
  });

  it('concurrent writer processes with skewed clocks: one strictly increasing inCommitTimestamp per version, rows once', async () => {
    const dir = tempDir();
    await DeltaTable.create(dir, { schema, properties: ICT });
    const skews = [-3_600_000, 0, 3_600_000];
    const worker = join(import.meta.dirname, '..', 'helpers', 'append_worker.ts');
    const runs = skews.map((skew, w) => {
      const child = spawn(process.execPath, ['--import', 'tsx', worker, dir, String(w), '12'], {
        env: { ...process.env, DELTATS_WORKER_PROGRESS: '1', DELTATS_WORKER_CLOCK_SKEW_MS: String(skew) },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let out = '';
      let err = '';
      child.stdout.on('data', (d) => (out += d));
      child.stderr.on('data', (d) => (err += d));
      return new Promise<{ code: number | null; out: string; err: string }>((resolve) => child.on('exit', (code) => resolve({ code, out, err })));
    });
    const results = await Promise.all(runs);
    expect(results.map((r) => r.code), results.map((r) => r.err).join('\n')).toEqual([0, 0, 0]);
    expect(results.map((r) => r.out.trim().split('\n').length)).toEqual([12, 12, 12]);
    const all = icts(dir);
    expect(all).toHaveLength(37);
    expectStrictlyIncreasing(all);
    // Each commit's ICT is at least its writer's own wall clock; a rebased commit (readVersion < version - 1) came
    // after its winner. Writer 0's clock is an hour behind: after writer 2's first commit its ICTs are carried up.
    const infos = commits(dir).map((c) => c[0]!.commitInfo!);
    for (const ci of infos) expect(ci.inCommitTimestamp as number).toBeGreaterThanOrEqual(ci.timestamp as number);
    const t = await DeltaTable.open(dir);
    expect(t.version).toBe(36);
    expect((await t.scan().toArray()).map((r) => `${r.writer}:${r.seq}`).sort()).toEqual(
      [0, 1, 2].flatMap((w) => Array.from({ length: 12 }, (_, s) => `${w}:${s}`)).sort(),
    );
    // Versions won after lost races (the workers report retries per commit): timed after the commit before them.
    const rebased = results.flatMap((r) => r.out.trim().split('\n').map((l) => l.split(' ').map(Number))).filter((f) => f[3]! > 0).map((f) => f[2]!);
    expect(rebased.length, 'three processes racing must lose some races').toBeGreaterThan(0);
    for (const v of rebased) expect(all[v]!).toBeGreaterThan(all[v - 1]!);
    expect((await t.history()).map((h) => h.timestamp)).toEqual([...all].reverse());
  }, 120_000);
});

describe('In-Commit Timestamps: enabling on an existing table', () => {
  const T0 = Date.UTC(2030, 0, 1);

  /** v0..v2 without ICT, their commit files' mtimes set to T0, T0+1000, T0+2000. */
  async function plainTable(): Promise<{ dir: string; t: DeltaTable }> {
    const dir = tempDir();
    const t = await DeltaTable.create(dir, { schema });
    await t.append([row(0, 0)]);
    await t.append([row(0, 1)]);
    for (const v of [0, 1, 2]) {
      const s = (T0 + v * 1000) / 1000;
      utimesSync(join(dir, '_delta_log', `${String(v).padStart(20, '0')}.json`), s, s);
    }
    return { dir, t: await DeltaTable.open(dir) };
  }

  it('setProperties records the enablement version and timestamp and upgrades the protocol', async () => {
    const { dir, t } = await plainTable();
    vi.spyOn(Date, 'now').mockReturnValue(T0 + 5000);
    const res = await t.setProperties({ ...ICT, 'delta.checkpointInterval': '20' });
    expect(res.version).toBe(3);
    expect(res.properties).toEqual({
      ...ICT,
      'delta.checkpointInterval': '20',
      'delta.inCommitTimestampEnablementVersion': '3',
      'delta.inCommitTimestampEnablementTimestamp': String(T0 + 5000),
    });
    const c3 = commits(dir)[3]!;
    expect(c3[0]!.commitInfo).toMatchObject({ inCommitTimestamp: T0 + 5000, operation: 'SET TBLPROPERTIES' });
    expect(c3.find((a) => 'protocol' in a)!.protocol).toEqual({
      minReaderVersion: 1,
      minWriterVersion: 7,
      writerFeatures: ['appendOnly', 'invariants', 'inCommitTimestamp'],
    });
    // Commits before the enablement carry no inCommitTimestamp; from it on all do.
    expect(commits(dir).slice(0, 3).map((c) => c[0]!.commitInfo!.inCommitTimestamp)).toEqual([undefined, undefined, undefined]);
    vi.mocked(Date.now).mockReturnValue(T0 + 6000);
    await t.append([row(0, 2)]);
    expect(icts(dir, 3)).toEqual([T0 + 5000, T0 + 6000]);
    // Another property change keeps the enablement record; setting the property again does not move it.
    vi.mocked(Date.now).mockReturnValue(T0 + 7000);
    expect((await t.setProperties({ ...ICT, 'delta.appendOnly': 'false' })).properties).toMatchObject({
      'delta.inCommitTimestampEnablementVersion': '3',
      'delta.inCommitTimestampEnablementTimestamp': String(T0 + 5000),
    });
    // The writer owns the enablement properties.
    await expect(t.setProperties({ 'delta.inCommitTimestampEnablementVersion': '0' })).rejects.toThrow(InvalidArgumentError);
    await expect(t.setProperties({ 'delta.enableInCommitTimestamps': 'maybe' })).rejects.toThrow(/delta.enableInCommitTimestamps/);
    expect(t.version).toBe(5);
  });

  it('the enabling commit is timed after the previous commit file even with a clock behind it (requirement 5)', async () => {
    const { dir, t } = await plainTable();
    vi.spyOn(Date, 'now').mockReturnValue(T0 - 86_400_000);
    await t.setProperties(ICT);
    expect(icts(dir, 3)).toEqual([T0 + 2001]);
    expect(t.properties['delta.inCommitTimestampEnablementTimestamp']).toBe(String(T0 + 2001));
  });

  it('timestamp time travel and history across the enablement boundary', async () => {
    const { dir, t } = await plainTable();
    const clock = vi.spyOn(Date, 'now');
    clock.mockReturnValue(T0 + 5000);
    await t.setProperties(ICT);
    clock.mockReturnValue(T0 + 6000);
    await t.append([row(0, 2)]);
    clock.mockRestore();
    // v3 and v4's files have real (much later) mtimes: they are timed by their ICTs, the earlier ones by mtime.
    const expectations: Array<[number, number]> = [
      [T0, 0],
      [T0 + 1500, 1],
      [T0 + 2000, 2],
      [T0 + 4999, 2], // before the enablement timestamp: only versions < 3 are considered
      [T0 + 5000, 3],
      [T0 + 5999, 3],
      [T0 + 6000, 4],
      [T0 + 10 ** 10, 4],
    ];
    for (const [ts, v] of expectations) expect((await DeltaTable.open(dir, { timestamp: ts })).version, `at ${ts}`).toBe(v);
    await expect(DeltaTable.open(dir, { timestamp: T0 - 1 })).rejects.toBeInstanceOf(VersionNotFoundError);
    expect((await t.history()).map((h) => [h.version, h.timestamp])).toEqual([
      [4, T0 + 6000],
      [3, T0 + 5000],
      [2, T0 + 2000],
      [1, T0 + 1000],
      [0, T0],
    ]);
    // Restore by timestamp resolves the same way.
    expect((await t.restore({ timestamp: T0 + 4999 })).restoredVersion).toBe(2);
    expect((await t.scan().toArray()).length).toBe(2);
  });

  it('turning it off drops the enablement properties; the next commits carry no inCommitTimestamp', async () => {
    const { dir, t } = await plainTable();
    await t.setProperties(ICT);
    const off = await t.setProperties({ 'delta.enableInCommitTimestamps': 'false' });
    expect(off.properties).toEqual({ 'delta.enableInCommitTimestamps': 'false' });
    await t.append([row(0, 9)]);
    expect(commits(dir).map((c) => typeof c[0]!.commitInfo!.inCommitTimestamp)).toEqual([
      'undefined', 'undefined', 'undefined', 'number', 'undefined', 'undefined',
    ]);
    // Turned on again: a new enablement record at that version.
    expect((await t.setProperties(ICT)).properties['delta.inCommitTimestampEnablementVersion']).toBe('6');
  });

  it('the CLI turns it on (deltats set-properties) and history shows the inCommitTimestamps', async () => {
    const { dir } = await plainTable();
    const res = await okJson<{ version: number; properties: Record<string, string>; protocol: { writerFeatures: string[] } }>([
      'set-properties', dir, '--property', 'delta.enableInCommitTimestamps=true',
    ]);
    expect(res.version).toBe(3);
    expect(res.properties).toEqual({
      ...ICT,
      'delta.inCommitTimestampEnablementVersion': '3',
      'delta.inCommitTimestampEnablementTimestamp': String(icts(dir, 3)[0]),
    });
    expect(res.protocol.writerFeatures).toContain('inCommitTimestamp');
    await ok(['delete', dir, '--where', 'seq = 0']);
    const history = await okJson<Array<{ version: number; timestamp: string }>>(['history', dir]);
    expect(history.slice(0, 2).map((h) => [h.version, Date.parse(h.timestamp)])).toEqual([
      [4, icts(dir, 4)[0]],
      [3, icts(dir, 3)[0]],
    ]);
    const bad = await cli(['set-properties', dir, '--property', 'delta.inCommitTimestampEnablementVersion=0']);
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toMatch(/delta.inCommitTimestampEnablementVersion' is set by the writer/);
  });

  it('a writer that read the table before another turned it on rebases over that commit and times its own', async () => {
    const { dir } = await plainTable();
    const stale = await DeltaTable.open(dir);
    const other = await DeltaTable.open(dir);
    await other.setProperties(ICT); // v3: protocol + metaData, ICT on
    const res = await stale.append([row(7, 0)]); // read v2: lost v3 to the enablement, rebased
    expect([res.version, res.retries]).toEqual([4, 1]);
    const [enabled, ours] = icts(dir, 3);
    expect(ours!).toBeGreaterThan(enabled!);
    expect((await DeltaTable.open(dir)).properties['delta.inCommitTimestampEnablementVersion']).toBe('3');
    // Any other protocol or metaData change by the winner still conflicts.
    const stale2 = await DeltaTable.open(dir);
    await (await DeltaTable.open(dir)).setProperties({ 'delta.logRetentionDuration': 'interval 60 days' });
    await expect(stale2.append([row(7, 1)])).rejects.toBeInstanceOf(MetadataChangedError);
    const stale3 = await DeltaTable.open(dir);
    await (await DeltaTable.open(dir)).setProperties({ 'delta.enableChangeDataFeed': 'true' });
    await expect(stale3.append([row(7, 2)])).rejects.toBeInstanceOf(ProtocolChangedError);
    expect((await (await DeltaTable.open(dir)).scan().toArray()).length).toBe(3);
  });

  it('onlyEnablesInCommitTimestamps: the feature added and the ICT properties set, nothing else', () => {
    const md = (configuration: Record<string, string>) => ({
      id: 'x', format: { provider: 'parquet', options: {} }, schemaString: '{"type":"struct","fields":[]}', partitionColumns: [], configuration,
    });
    const before = { protocol: { minReaderVersion: 1, minWriterVersion: 2 }, metadata: md({ a: '1' }) };
    const p7 = (...f: string[]) => ({ minReaderVersion: 1, minWriterVersion: 7, writerFeatures: ['appendOnly', 'invariants', ...f] });
    const on = { a: '1', ...ICT, 'delta.inCommitTimestampEnablementVersion': '3', 'delta.inCommitTimestampEnablementTimestamp': '5' };
    expect(onlyEnablesInCommitTimestamps(before, p7('inCommitTimestamp'), md(on))).toBe(true);
    expect(onlyEnablesInCommitTimestamps(before, undefined, md({ a: '1', ...ICT }))).toBe(true);
    expect(onlyEnablesInCommitTimestamps(before, undefined, undefined)).toBe(false);
    expect(onlyEnablesInCommitTimestamps(before, p7('inCommitTimestamp', 'changeDataFeed'), md(on))).toBe(false);
    expect(onlyEnablesInCommitTimestamps(before, { minReaderVersion: 1, minWriterVersion: 7, writerFeatures: ['inCommitTimestamp'] }, md(on))).toBe(false);
    expect(onlyEnablesInCommitTimestamps(before, p7('inCommitTimestamp'), md({ ...on, a: '2' }))).toBe(false);
    expect(onlyEnablesInCommitTimestamps(before, p7('inCommitTimestamp'), md({ a: '1', 'delta.enableInCommitTimestamps': 'false' }))).toBe(false);
    expect(onlyEnablesInCommitTimestamps(before, p7('inCommitTimestamp'), { ...md(on), schemaString: '{"type":"struct","fields":[{"name":"b","type":"long","nullable":true,"metadata":{}}]}' })).toBe(false);
  });

  it('a metaData that keeps it on but lost the enablement record (restored from a created-with-ICT version) gets it back', async () => {
    const dir = tempDir();
    const t = await DeltaTable.create(dir, { schema, properties: ICT });
    await t.setProperties({ 'delta.enableInCommitTimestamps': 'false' }); // v1 has no inCommitTimestamp
    const on = await t.setProperties(ICT);
    expect(on.version).toBe(2);
    const enablement = { 'delta.inCommitTimestampEnablementVersion': '2', 'delta.inCommitTimestampEnablementTimestamp': String(icts(dir, 2)[0]) };
    expect(on.properties).toEqual({ ...ICT, ...enablement });
    await t.restore({ version: 0 }); // v0's metaData: on, no record; v1 still lacks an inCommitTimestamp
    expect(t.properties).toEqual({ ...ICT, ...enablement });
    expect((await DeltaTable.open(dir, { timestamp: icts(dir, 3)[0]! })).version).toBe(3);
  });
});
