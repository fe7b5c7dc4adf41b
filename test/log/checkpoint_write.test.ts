// Checkpoint writing: round trip through our reader, independent read by DuckDB, a real conformance table's state,
// multi-part, tombstone expiry and `_last_checkpoint`.
import { cpSync, existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { afterAll, describe, expect, it } from 'vitest';
import type { Action, Add, DomainMetadata, Metadata, Protocol, Remove, Txn } from '../../src/log/actions.js';
import { readCheckpointFile } from '../../src/log/checkpoint_read.js';
import { parseCommit } from '../../src/log/codec.js';
import { writeCheckpoint, type CheckpointState } from '../../src/log/checkpoint_write.js';
import { LAST_CHECKPOINT, classicCheckpointPath, multiPartCheckpointPath } from '../../src/log/paths.js';
import { LogReplay } from '../../src/log/replay.js';
import { LocalStore } from '../../src/storage/local.js';
import { cleanupTempDirs, tempDir } from '../helpers/tmp.js';

afterAll(cleanupTempDirs);

const NOW = Date.UTC(2024, 5, 1);
const DAY = 86_400_000;

const protocol: Protocol = {
  minReaderVersion: 3,
  minWriterVersion: 7,
  readerFeatures: ['deletionVectors'],
  writerFeatures: ['deletionVectors', 'domainMetadata'],
};
const metadata: Metadata = {
  id: 'b7e1c7a0-0000-4000-8000-000000000001',
  name: 'täble',
  description: null,
  format: { provider: 'parquet', options: {} },
  schemaString:
    '{"type":"struct","fields":[{"name":"id","type":"long","nullable":true,"metadata":{}},{"name":"p","type":"string","nullable":true,"metadata":{}}]}',
  partitionColumns: ['p'],
  configuration: { 'delta.enableDeletionVectors': 'true', 'delta.deletedFileRetentionDuration': 'interval 2 days' },
  createdTime: 1717000000000,
};
const adds: Add[] = [
  {
    path: 'p=a/part-00000-1.snappy.parquet',
    partitionValues: { p: 'a' },
    size: 1234,
    modificationTime: 1717000000001,
    dataChange: true,
    stats: '{"numRecords":4,"minValues":{"id":2,"comment":"insert1"},"maxValues":{"id":5,"comment":"insert1-delete2"},"nullCount":{"id":0,"comment":0},"tightBounds":true}',
    tags: { INSERTION_TIME: '1717000000001000', OPTIMIZE_TARGET_SIZE: '268435456' },
    deletionVector: { storageType: 'u', pathOrInlineDv: 'ab^-aqEH.-t@S}K{vb[*k^', offset: 1, sizeInBytes: 36, cardinality: 2 },
    baseRowId: 0,
    defaultRowCommitVersion: 3,
  },
  {
    path: 'p=%E2%82%AC%20%F0%9F%98%80/part-00001-%C3%A9.snappy.parquet',
    partitionValues: { p: '€ 😀' },
    size: 99,
    modificationTime: 1717000000002,
    dataChange: false,
  },
  {
    path: 'p=__HIVE_DEFAULT_PARTITION__/part-00002.snappy.parquet',
    partitionValues: { p: null },
    size: 2 ** 40,
    modificationTime: 1717000000003,
    dataChange: true,
    stats: '{"numRecords":1,"minValues":{"id":9223372036854775807},"maxValues":{"id":9223372036854775807},"nullCount":{"id":0}}',
    deletionVector: { storageType: 'i', pathOrInlineDv: 'wi5b=000010000siXQKl0rr91000f55c8Xg0@@D72lkbi5=-{L', sizeInBytes: 40, cardinality: 6 },
  },
];
const tombstones: Remove[] = [
  { path: 'p=a/old-recent.parquet', deletionTimestamp: NOW - DAY, dataChange: true, extendedFileMetadata: true, partitionValues: { p: 'a' }, size: 10 },
  { path: 'p=a/old-expired.parquet', deletionTimestamp: NOW - 3 * DAY, dataChange: true },
  { path: 'p=a/no-timestamp.parquet', dataChange: true },
];
const txns: Txn[] = [{ appId: 'stream-1', version: 42, lastUpdated: 1717000000000 }, { appId: 'batch', version: 7 }];
const domainMetadata: DomainMetadata[] = [{ domain: 'delta.rowTracking', configuration: '{"rowIdHighWaterMark":9}', removed: false }];

function state(extra: Partial<CheckpointState> = {}): CheckpointState {
  return { version: 10, protocol, metadata, activeFiles: adds, tombstones, txns, domainMetadata, ...extra };
}

function byKind(actions: Action[]): Record<string, unknown[]> {
  const out: Record<string, unknown[]> = {};
  for (const a of actions) {
    const [k, v] = Object.entries(a)[0]!;
    (out[k] ??= []).push(v);
  }
  return out;
}

describe('writeCheckpoint', () => {
  it('writes a classic checkpoint that our reader reads back exactly, and _last_checkpoint', async () => {
    const dir = tempDir();
    const store = new LocalStore(dir);
    const res = await writeCheckpoint(store, state(), { now: NOW });
    expect(res.path).toBe(classicCheckpointPath(10));
    expect(res.numAddFiles).toBe(3);
    expect(res.numActions).toBe(1 + 1 + 2 + 1 + 3 + 1);
    expect(existsSync(join(dir, '_delta_log', '00000000000000000010.checkpoint.parquet'))).toBe(true);
    const bytes = readFileSync(join(dir, res.path));
    expect(bytes.length).toBe(res.size);

    const last = JSON.parse(readFileSync(join(dir, LAST_CHECKPOINT), 'utf8'));
    expect(last).toEqual({ version: 10, size: 9, sizeInBytes: bytes.length, numOfAddFiles: 3 });

    const got = byKind(await readCheckpointFile(store, res.path));
    expect(got.protocol).toEqual([protocol]);
    expect(got.metaData).toEqual([{ ...metadata, description: undefined }].map(({ description: _d, ...m }) => m));
    expect(got.txn).toEqual(txns);
    expect(got.domainMetadata).toEqual(domainMetadata);
    expect(got.add).toEqual(adds);
    // only the unexpired tombstone survives; dataChange is false in checkpoints
    expect(got.remove).toEqual([{ ...tombstones[0], dataChange: false }]);
  });

  it('is readable by DuckDB: paths, partition maps, stats, DVs, protocol', async () => {
    const dir = tempDir();
    const store = new LocalStore(dir);
    const res = await writeCheckpoint(store, state(), { now: NOW });
    const db = await DuckDBInstance.create(':memory:');
    const conn = await db.connect();
    const file = join(dir, res.path).replaceAll("'", "''");
    const r = await conn.runAndReadAll(
      `select add.path, map_extract(add.partitionValues, 'p')[1], add.stats, add.size::varchar, add.deletionVector.cardinality::varchar,
              map_extract(add.tags, 'INSERTION_TIME')[1]
       from read_parquet('${file}') where add is not null order by add.modificationTime`,
    );
    expect(r.getRows()).toEqual(adds.map((a) => [a.path, a.partitionValues.p, a.stats ?? null, String(a.size), a.deletionVector ? String(a.deletionVector.cardinality) : null, a.tags?.INSERTION_TIME ?? null]));
    const p = await conn.runAndReadAll(
      `select protocol.minReaderVersion, protocol.writerFeatures::varchar, metaData.partitionColumns::varchar, map_extract(metaData.configuration, 'delta.enableDeletionVectors')[1]
       from read_parquet('${file}') where protocol is not null or metaData is not null order by protocol.minReaderVersion nulls last`,
    );
    expect(p.getRows()).toEqual([
      [3, '[deletionVectors, domainMetadata]', null, null],
      [null, null, '[p]', 'true'],
    ]);
    const t = await conn.runAndReadAll(`select txn.appId, txn.version::varchar from read_parquet('${file}') where txn is not null order by 1`);
    expect(t.getRows()).toEqual([['batch', '7'], ['stream-1', '42']]);
  });

  it('writes multi-part checkpoints over partsThreshold; the parts together hold every action', async () => {
    const dir = tempDir();
    const store = new LocalStore(dir);
    const many: Add[] = Array.from({ length: 25 }, (_, i) => ({
      path: `f-${i}.parquet`,
      partitionValues: { p: String(i % 3) },
      size: i,
      modificationTime: i,
      dataChange: true,
    }));
    const res = await writeCheckpoint(store, state({ activeFiles: many, tombstones: [] }), { now: NOW, partsThreshold: 10 });
    expect(res.parts).toBe(3);
    expect(res.path).toBe(multiPartCheckpointPath(10, 1, 3));
    const all: Action[] = [];
    for (let i = 1; i <= 3; i++) all.push(...(await readCheckpointFile(store, multiPartCheckpointPath(10, i, 3))));
    const got = byKind(all);
    expect(got.add).toEqual(many);
    expect(got.protocol).toHaveLength(1);
    expect(JSON.parse(readFileSync(join(dir, LAST_CHECKPOINT), 'utf8'))).toMatchObject({ version: 10, size: 30, parts: 3, numOfAddFiles: 25 });
  });

  it('never moves _last_checkpoint backwards, and tolerates empty tables', async () => {
    const dir = tempDir();
    const store = new LocalStore(dir);
    await writeCheckpoint(store, state({ version: 20 }), { now: NOW });
    await writeCheckpoint(store, state({ version: 10, activeFiles: [], tombstones: [], txns: [], domainMetadata: [] }), { now: NOW });
    expect(JSON.parse(readFileSync(join(dir, LAST_CHECKPOINT), 'utf8')).version).toBe(20);
    const got = byKind(await readCheckpointFile(store, classicCheckpointPath(10)));
    expect(Object.keys(got).sort()).toEqual(['metaData', 'protocol']);
  });
});

const CONFORMANCE = resolve(process.env.DELTATS_CONFORMANCE_DIR ?? join(__dirname, '../../../shared/conformance'));
const haveCorpus = existsSync(join(CONFORMANCE, 'tables'));

describe.skipIf(!haveCorpus)('checkpoint of real conformance tables', () => {
  for (const name of ['spark-log-replay-dv-key-cases', 'rs-delta-0.8.0-partitioned', 'spark-data-reader-escaped-chars', 'rs-table_with_deletion_logs', 'spark-basic-with-inserts-updates']) {
    it(`${name}: checkpoint of the JSON-replayed state reads back to the same state`, async () => {
      const src = join(CONFORMANCE, 'tables', name);
      if (!existsSync(src)) return;
      const dir = tempDir();
      cpSync(src, dir, { recursive: true });
      const store = new LocalStore(dir);
      const logFiles = readdirSync(join(dir, '_delta_log')).filter((f) => /^\d{20}\.json$/.test(f)).sort();
      const commits = logFiles.map((f) => parseCommit(readFileSync(join(dir, '_delta_log', f)), f));
      const replay = new LogReplay();
      for (const c of commits) replay.apply(c);
      const version = Number(logFiles[logFiles.length - 1]!.slice(0, 20));
      const st: CheckpointState = {
        version,
        protocol: replay.protocol!,
        metadata: replay.metadata!,
        activeFiles: [...replay.activeFiles()],
        tombstones: [...replay.tombstones()],
        txns: [...replay.txns.values()],
        domainMetadata: [...replay.domains.values()],
      };
      const res = await writeCheckpoint(store, st, { now: 0 }); // now = 0: keep every tombstone
      const back = new LogReplay().apply(await readCheckpointFile(store, res.path));
      expect(back.protocol).toEqual(st.protocol);
      expect(back.metadata).toEqual(stripNulls(st.metadata));
      const key = (a: Add) => a.path;
      expect([...back.activeFiles()].sort((a, b) => key(a).localeCompare(key(b)))).toEqual(
        st.activeFiles.map(normalizeAdd).sort((a, b) => key(a).localeCompare(key(b))),
      );
      expect([...back.tombstones()].map((r) => r.path).sort()).toEqual(st.tombstones.map((r) => r.path).sort());
      expect(res.numAddFiles).toBe(st.activeFiles.length);
    });
  }
});

function stripNulls<T extends object>(o: T): T {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== null && v !== undefined)) as T;
}

/** The fields a checkpoint keeps of an add (unknown extra fields are not part of the checkpoint schema). */
function normalizeAdd(a: Add): Add {
  const keep = ['path', 'partitionValues', 'size', 'modificationTime', 'dataChange', 'stats', 'tags', 'deletionVector', 'baseRowId', 'defaultRowCommitVersion', 'clusteringProvider'];
  const o = stripNulls(Object.fromEntries(Object.entries(a).filter(([k]) => keep.includes(k)))) as Add;
  if (o.deletionVector) o.deletionVector = stripNulls(o.deletionVector);
  return o;
}
