// Time travel below the latest checkpoint: the segment starts at the newest complete checkpoint <= the version and
// lists only from there to the version (segment.ts segmentLookingBack); multi-part and V2 checkpoints from the
// corpus, deleted/corrupt checkpoints, missing commits, cleaned-up logs; every snapshot equal to a JSON replay.
import { cpSync, existsSync, mkdirSync, rmSync, truncateSync, utimesSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ProtocolError, VersionNotFoundError } from '../../src/errors.js';
import { checkpointStateOf, writeCheckpoint } from '../../src/log/checkpoint_write.js';
import { serializeActions } from '../../src/log/codec.js';
import { classicCheckpointPath, commitPath, parseLogFileName } from '../../src/log/paths.js';
import { Snapshot } from '../../src/log/snapshot.js';
import { LocalStore } from '../../src/storage/local.js';
import type { ObjectStore } from '../../src/storage/store.js';
import { cleanupTempDirs, tempDir } from '../helpers/tmp.js';
import { RecordingStore, add, commitInfo, metaData, protocol, remove } from './log_helpers.js';

afterAll(cleanupTempDirs);

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const corpus = resolve(repoRoot, process.env.DELTATS_CONFORMANCE_DIR ?? '../shared/conformance');
const hasCorpus = existsSync(join(corpus, 'cases.json'));

/** Commits `from..to` written straight to disk: commit v adds f-v and removes f-(v-3) every 7th version. */
function writeCommits(dir: string, from: number, to: number): void {
  mkdirSync(join(dir, '_delta_log'), { recursive: true });
  for (let v = from; v <= to; v++) {
    const actions = v === 0 ? [commitInfo('CREATE TABLE'), protocol(), metaData()] : [commitInfo('WRITE'), add(`f-${v}.parquet`)];
    if (v > 3 && v % 7 === 0) actions.push(remove(`f-${v - 3}.parquet`));
    if (v === 1500) actions.push(metaData({ configuration: { 'delta.appendOnly': 'false' } }));
    const file = join(dir, ...commitPath(v).split('/'));
    writeFileSync(file, serializeActions(actions));
    const t = new Date(1_700_000_000_000 + v * 1000); // one commit a second
    utimesSync(file, t, t);
  }
}

async function checkpointAt(store: ObjectStore, version: number, partsThreshold?: number): Promise<void> {
  const snap = await Snapshot.load(store, { version, ignoreCheckpoints: true });
  await writeCheckpoint(store, checkpointStateOf(snap), partsThreshold ? { partsThreshold } : {});
}

/** The snapshot at `version` equals a JSON-only replay of all commits (files, protocol, metadata). */
async function expectEqualToReplay(s: Snapshot, store: ObjectStore): Promise<void> {
  const full = await Snapshot.load(store, { version: s.version, ignoreCheckpoints: true });
  const paths = (x: Snapshot) => x.activeFiles().map((a) => a.path).sort();
  expect(paths(s)).toEqual(paths(full));
  expect(s.protocol).toEqual(full.protocol);
  expect(s.metadata).toEqual(full.metadata);
  expect(s.numFiles).toBe(full.numFiles);
}

const versionOf = (p: string): number => parseLogFileName(p)?.version ?? -1;

describe('time travel below the latest checkpoint (2,600 commits, checkpoints at 100, 1200 (2 parts), 2400)', () => {
  let dir = '';
  beforeAll(async () => {
    dir = tempDir('deltats-travel-');
    writeCommits(dir, 0, 2600);
    const store = new LocalStore(dir);
    await checkpointAt(store, 100);
    await checkpointAt(store, 1200, 600);
    await checkpointAt(store, 2400);
  }, 60_000);

  // [version, checkpoint used, lowest version the listing may reach]
  const cases: Array<[number, number | undefined, number]> = [
    [2400, 2400, 2400],
    [2399, 1200, 0], // [1400, 2399] has none; the next, twice as long, window is [0, 1399]
    [2000, 1200, 1001],
    [1201, 1200, 202],
    [1200, 1200, 201],
    [1199, 100, 0], // first window [200, 1199] has none: a second, longer one [0, 199] holds 100
    [101, 100, 0],
    [100, 100, 0],
    [99, undefined, 0],
    [0, undefined, 0],
  ];
  for (const [version, cp, lowest] of cases) {
    it(`version ${version}: checkpoint ${cp ?? 'none'}, listing versions ${lowest}..${version} only, equal to a full replay`, async () => {
      const store = new RecordingStore(new LocalStore(dir));
      const s = await Snapshot.load(store, { version });
      expect(s.version).toBe(version);
      expect(s.logSegment.checkpoint?.version).toBe(cp);
      if (cp === 1200) expect(s.logSegment.checkpoint?.kind).toBe('multi');
      const listed = store.listed.map(versionOf).filter((v) => v >= 0);
      // The listing stops at the first file after the version (one file read past it, at most).
      expect(listed.filter((v) => v > version).length).toBeLessThanOrEqual(1);
      expect(Math.min(...listed)).toBeGreaterThanOrEqual(lowest);
      expect(store.listed.length).toBeLessThan(2 * (version - lowest + 1) + 10);
      await expectEqualToReplay(s, store);
    });
  }

  it('without _last_checkpoint, looks back from the version the same way', async () => {
    const copy = tempDir('deltats-travel-nohint-');
    cpSync(dir, copy, { recursive: true });
    rmSync(join(copy, '_delta_log', '_last_checkpoint'));
    const store = new RecordingStore(new LocalStore(copy));
    const s = await Snapshot.load(store, { version: 1250 });
    expect(s.logSegment.checkpoint?.version).toBe(1200);
    expect(Math.min(...store.listed.map(versionOf).filter((v) => v >= 0))).toBeGreaterThanOrEqual(251);
    await expectEqualToReplay(s, store);
  });

  it('time travel by timestamp loads the same snapshot as by version', async () => {
    const store = new LocalStore(dir);
    const byVersion = await Snapshot.load(store, { version: 1300 });
    expect(byVersion.timestamp).toBe(1_700_000_000_000 + 1300 * 1000);
    const s = await Snapshot.load(store, { timestamp: byVersion.timestamp + 999 });
    expect(s.version).toBe(1300);
    expect(s.logSegment.checkpoint?.version).toBe(1200);
    await expectEqualToReplay(s, store);
  });

  it('a deleted or corrupt checkpoint falls back to an earlier one', async () => {
    const copy = tempDir('deltats-travel-badcp-');
    cpSync(dir, copy, { recursive: true });
    const store = new LocalStore(copy);
    // Part 2 of the 1200 checkpoint gone: incomplete, so never chosen.
    rmSync(join(copy, '_delta_log', '00000000000000001200.checkpoint.0000000002.0000000002.parquet'));
    let s = await Snapshot.load(store, { version: 1250 });
    expect(s.logSegment.checkpoint?.version).toBe(100);
    await expectEqualToReplay(s, store);
    // 2400 truncated (a crashed writer): unreadable, so the loader retries below it, looking back from 2450.
    truncateSync(join(copy, ...classicCheckpointPath(2400).split('/')), 100);
    s = await Snapshot.load(store, { version: 2450 });
    expect(s.logSegment.checkpoint?.version).toBe(100);
    await expectEqualToReplay(s, store);
  });

  it('a missing commit between the checkpoint and the version is a ProtocolError naming both', async () => {
    const copy = tempDir('deltats-travel-gap-');
    cpSync(dir, copy, { recursive: true });
    rmSync(join(copy, ...commitPath(1250).split('/')));
    const err = await Snapshot.load(new LocalStore(copy), { version: 1260 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ProtocolError);
    expect((err as Error).message).toMatch(/missing commit 1250 .*reconstruct version 1260 after checkpoint 1200/);
    // Before the gap still loads.
    expect((await Snapshot.load(new LocalStore(copy), { version: 1249 })).numFiles).toBeGreaterThan(0);
  });

  it('log cleanup: a version below the oldest checkpoint with its commits gone is VersionNotFoundError', async () => {
    const copy = tempDir('deltats-travel-cleaned-');
    cpSync(dir, copy, { recursive: true });
    for (let v = 0; v < 1200; v++) rmSync(join(copy, ...commitPath(v).split('/')));
    rmSync(join(copy, ...classicCheckpointPath(100).split('/')));
    const store = new LocalStore(copy);
    for (const v of [1000, 1199, 0]) {
      const err = await Snapshot.load(store, { version: v }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(VersionNotFoundError);
      expect((err as Error).message).toMatch(new RegExp(`cannot reconstruct version ${v} .*earliest available version is 1200`));
    }
    const s = await Snapshot.load(store, { version: 1201 });
    expect(s.logSegment.checkpoint?.version).toBe(1200);
    expect(s.numFiles).toBe((await Snapshot.load(new LocalStore(dir), { version: 1201 })).numFiles);
  });

  it('a version after the latest is VersionNotFoundError naming the latest', async () => {
    await expect(Snapshot.load(new LocalStore(dir), { version: 2601 })).rejects.toThrow(/version 2601 does not exist: the latest version .* is 2600/);
  });
});

describe.skipIf(!hasCorpus)('time travel on corpus multi-part and V2 checkpoint tables with a newer checkpoint', () => {
  // [table, version of its own checkpoint, kind]
  const tables: Array<[string, number, 'multi' | 'v2']> = [
    ['spark-multi-part-checkpoint', 1, 'multi'],
    ['spark-v2-checkpoint-json', 2, 'v2'],
    ['spark-v2-checkpoint-parquet', 2, 'v2'],
  ];
  for (const [name, cpVersion, kind] of tables) {
    it(`${name}: versions at, after and before its ${kind} checkpoint ${cpVersion}, with _last_checkpoint at a later version`, async () => {
      const dir = tempDir('deltats-travel-corpus-');
      cpSync(join(corpus, 'tables', name), dir, { recursive: true });
      const store = new LocalStore(dir);
      const latest0 = (await Snapshot.load(store)).version;
      // Five more appends and a checkpoint at the newest: time travel to the corpus versions is then below the hint.
      for (let v = latest0 + 1; v <= latest0 + 5; v++) {
        await store.put(commitPath(v), serializeActions([commitInfo('WRITE'), add(`extra-${v}.parquet`)]));
      }
      await checkpointAt(store, latest0 + 5);
      for (const [v, cp] of [
        [cpVersion, cpVersion],
        [cpVersion + 1, cpVersion],
        [cpVersion - 1, undefined],
        [latest0 + 4, cpVersion],
        [latest0 + 5, latest0 + 5],
      ] as Array<[number, number | undefined]>) {
        const s = await Snapshot.load(store, { version: v });
        expect([v, s.logSegment.checkpoint?.version]).toEqual([v, cp]);
        if (cp === cpVersion) expect(s.logSegment.checkpoint?.kind).toBe(kind);
        await expectEqualToReplay(s, store);
      }
    });
  }
});
