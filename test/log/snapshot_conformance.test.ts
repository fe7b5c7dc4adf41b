// Snapshot.load on the real Spark / delta-rs tables of the conformance corpus: versions, protocol, schema,
// partition columns, active-file counts, txns, chosen checkpoint, and checkpoint replay == JSON-only replay.
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { VersionNotFoundError } from '../../src/errors.js';
import { fileKey, type Add } from '../../src/log/actions.js';
import { Snapshot } from '../../src/log/snapshot.js';
import { LocalStore } from '../../src/storage/local.js';

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const corpus = resolve(repoRoot, process.env.DELTATS_CONFORMANCE_DIR ?? '../shared/conformance');
const present = existsSync(join(corpus, 'cases.json'));

interface ExpectedAt {
  version: number;
  numActiveFiles: number;
}
interface Case {
  name: string;
  latestVersion: number;
  protocol: { minReaderVersion: number; minWriterVersion: number; readerFeatures: string[] | null; writerFeatures: string[] | null };
  partitionColumns: string[];
  schemaString: string;
  numActiveFiles: number;
  txns: Record<string, number> | null;
  checkpointUsedForLatest: { version: number; kind: string; files: string[] } | null;
  expectedAtVersion?: ExpectedAt[];
  features: string[];
}

const cases: Case[] = present ? (JSON.parse(readFileSync(join(corpus, 'cases.json'), 'utf8')) as Case[]) : [];
if (!present) console.warn(`conformance corpus not found at ${corpus} (set DELTATS_CONFORMANCE_DIR): skipping`);

const storeOf = (name: string): LocalStore => new LocalStore(join(corpus, 'tables', name));
const base = (p: string): string => p.slice(p.lastIndexOf('/') + 1);

/** Fields that must agree between checkpoint and JSON replay. dataChange differs by design (checkpoints say false). */
function comparable(a: Add): Record<string, unknown> {
  return {
    path: a.path,
    partitionValues: a.partitionValues,
    size: a.size,
    modificationTime: a.modificationTime,
    deletionVector: a.deletionVector ?? null,
    tags: a.tags ?? null,
    stats: a.stats ? (JSON.parse(a.stats) as unknown) : null,
    baseRowId: a.baseRowId ?? null,
    defaultRowCommitVersion: a.defaultRowCommitVersion ?? null,
  };
}

describe.skipIf(!present)('Snapshot on the conformance corpus', () => {
  it('has the cases it is meant to cover', () => {
    const names = cases.map((c) => c.name);
    for (const n of [
      'spark-checkpoint',
      'spark-multi-part-checkpoint',
      'spark-v2-checkpoint-json',
      'spark-v2-checkpoint-parquet',
      'rs-delta-1.2.1-only-struct-stats',
      'rs-checkpoints_vacuumed',
      'rs-with_checkpoint_no_last_checkpoint',
      'spark-dv-partitioned-with-checkpoint',
    ]) {
      expect(names).toContain(n);
    }
  });

  for (const c of cases) {
    it(`${c.name}: latest and time-travel versions match cases.json`, async () => {
      const store = storeOf(c.name);
      const s = await Snapshot.load(store);
      expect(s.version).toBe(c.latestVersion);
      expect(s.protocol.minReaderVersion).toBe(c.protocol.minReaderVersion);
      expect(s.protocol.minWriterVersion).toBe(c.protocol.minWriterVersion);
      expect(s.protocol.readerFeatures ?? null).toEqual(c.protocol.readerFeatures);
      expect(s.protocol.writerFeatures ?? null).toEqual(c.protocol.writerFeatures);
      expect(s.metadata.schemaString).toBe(c.schemaString);
      expect(s.schema.type).toBe('struct');
      expect(s.partitionColumns).toEqual(c.partitionColumns);
      expect(s.activeFiles()).toHaveLength(c.numActiveFiles);
      expect(new Set(s.activeFiles().map(fileKey)).size).toBe(c.numActiveFiles);
      const txns = Object.fromEntries([...s.txns()].map(([k, t]) => [k, t.version]));
      expect(txns).toEqual(c.txns ?? {});
      for (const [appId, v] of Object.entries(c.txns ?? {})) expect(s.txnVersion(appId)).toBe(v);

      if (c.checkpointUsedForLatest) {
        expect(s.logSegment.checkpoint?.version).toBe(c.checkpointUsedForLatest.version);
        expect(s.logSegment.checkpoint?.kind).toBe(c.checkpointUsedForLatest.kind);
        expect(s.logSegment.checkpoint?.files.map(base)).toEqual(c.checkpointUsedForLatest.files);
      } else {
        expect(s.logSegment.checkpoint).toBeUndefined();
      }
      expect(s.logSegment.commits.map((x) => x.version)).toEqual(
        Array.from({ length: s.version - (s.logSegment.checkpoint?.version ?? -1) }, (_, i) => (s.logSegment.checkpoint?.version ?? -1) + 1 + i),
      );

      for (const e of c.expectedAtVersion ?? []) {
        const t = await Snapshot.load(store, { version: e.version });
        expect(t.version).toBe(e.version);
        expect(t.activeFiles(), `${c.name}@${e.version}`).toHaveLength(e.numActiveFiles);
      }
    });
  }

  const withCheckpoint = cases.filter((c) => c.checkpointUsedForLatest && !c.features.includes('log-cleanup-commits-missing'));
  it('covers at least 10 checkpointed tables for the JSON-vs-checkpoint comparison', () => {
    expect(withCheckpoint.length).toBeGreaterThanOrEqual(10);
  });
  for (const c of withCheckpoint) {
    it(`${c.name}: checkpoint replay equals JSON-only replay`, async () => {
      const store = storeOf(c.name);
      const versions = [c.latestVersion, c.checkpointUsedForLatest!.version];
      for (const v of versions) {
        const cp = await Snapshot.load(store, { version: v });
        const json = await Snapshot.load(store, { version: v, ignoreCheckpoints: true });
        expect(json.logSegment.checkpoint).toBeUndefined();
        expect(json.logSegment.commits).toHaveLength(v + 1);
        if (v === c.latestVersion) expect(cp.logSegment.checkpoint).toBeDefined();
        expect(cp.protocol).toEqual(json.protocol);
        expect(cp.metadata).toEqual(json.metadata);
        expect(Object.fromEntries(cp.txns())).toEqual(Object.fromEntries(json.txns()));
        expect(Object.fromEntries(cp.domainMetadata())).toEqual(Object.fromEntries(json.domainMetadata()));
        const a = new Map(cp.activeFiles().map((f) => [fileKey(f), comparable(f)]));
        const b = new Map(json.activeFiles().map((f) => [fileKey(f), comparable(f)]));
        expect([...a.keys()].sort()).toEqual([...b.keys()].sort());
        for (const [k, v2] of a) expect(v2, k).toEqual(b.get(k));
      }
    });
  }

  it('rs-checkpoints_vacuumed: versions below the oldest checkpoint are not reconstructable', async () => {
    const store = storeOf('rs-checkpoints_vacuumed');
    const s5 = await Snapshot.load(store, { version: 5 });
    expect(s5.logSegment.checkpoint?.version).toBe(5);
    expect(s5.logSegment.commits).toEqual([]);
    const err = await Snapshot.load(store, { version: 4 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(VersionNotFoundError);
    expect((err as Error).message).toMatch(/version 4 .*earliest available version is 5/);
    await expect(Snapshot.load(store, { ignoreCheckpoints: true })).rejects.toThrow(/commit 0 .* cleaned up/);
    await expect(Snapshot.load(store, { version: 13 })).rejects.toThrow(/version 13 does not exist: the latest version .* is 12/);
  });

  it('rs-delta-1.2.1-only-struct-stats: stats are rebuilt from stats_parsed', async () => {
    const s = await Snapshot.load(storeOf('rs-delta-1.2.1-only-struct-stats'), { version: 10 });
    expect(s.logSegment.checkpoint?.version).toBe(10);
    expect(s.logSegment.commits).toEqual([]);
    for (const f of s.activeFiles()) {
      const st = JSON.parse(f.stats!) as { numRecords: number; minValues: Record<string, unknown> };
      expect(st.numRecords).toBe(1);
      expect(st.minValues.date).toBe('2022-10-24');
      expect(st.minValues.timestamp).toMatch(/^2022-10-24T\d\d:\d\d:\d\d\.\d{3}Z$/);
      expect(st.minValues.decimal).toBeCloseTo(-5.678, 10);
      expect(typeof f.size).toBe('number');
      expect('stats_parsed' in f).toBe(false);
    }
  });

  it('spark-dv-partitioned-with-checkpoint: deletion vectors and partition values survive the checkpoint', async () => {
    const s = await Snapshot.load(storeOf('spark-dv-partitioned-with-checkpoint'), { version: 10 });
    expect(s.logSegment.commits).toEqual([]);
    const withDv = s.activeFiles().filter((f) => f.deletionVector);
    expect(withDv.length).toBeGreaterThan(0);
    for (const f of withDv) {
      expect(typeof f.deletionVector!.cardinality).toBe('number');
      expect(typeof f.deletionVector!.sizeInBytes).toBe('number');
      expect(['u', 'i', 'p']).toContain(f.deletionVector!.storageType);
    }
    for (const f of s.activeFiles()) expect(Object.keys(f.partitionValues)).toEqual(s.partitionColumns);
  });
});
