// DELETE / UPDATE / MERGE behaviour: protocol on create, commitInfo as Spark writes it, deletion vectors (files,
// union, round trip), file skipping, target file size, bad input leaving the table untouched, Arrow inputs sliced and
// in several chunks, and conflicts between real processes.
import { spawn } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { makeTable, tableFromArrays, Table } from 'apache-arrow';
import { afterAll, describe, expect, it } from 'vitest';
import {
  ArithmeticOverflowError,
  DeltaTable,
  ExpressionError,
  InvalidArgumentError,
  LocalStore,
  MergeCardinalityError,
  SchemaMismatchError,
  type StructType,
} from '../../../src/index.js';
import { readDeletionVector } from '../../../src/log/deletion_vectors.js';
import { cleanupTempDirs, tempDir } from '../../helpers/tmp.js';
import { SCHEMA, sortedKeys } from './model.js';

afterAll(cleanupTempDirs);

function listFiles(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string): void => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      if (e.isDirectory()) walk(join(d, e.name));
      else out.push(relative(dir, join(d, e.name)));
    }
  };
  walk(dir);
  return out.sort();
}

const dataFiles = (dir: string): string[] => listFiles(dir).filter((f) => !f.startsWith('_delta_log') && !f.includes('/.') && !f.startsWith('.'));

function commitInfo(dir: string, version: number): Record<string, unknown> {
  const line = readFileSync(join(dir, '_delta_log', `${String(version).padStart(20, '0')}.json`), 'utf8').split('\n')[0]!;
  return (JSON.parse(line) as { commitInfo: Record<string, unknown> }).commitInfo;
}

function actions(dir: string, version: number): Array<Record<string, Record<string, unknown>>> {
  return readFileSync(join(dir, '_delta_log', `${String(version).padStart(20, '0')}.json`), 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as Record<string, Record<string, unknown>>);
}

/** The table at `dir` through a store that records every Parquet file read. */
async function countingReads(dir: string): Promise<{ read: string[]; h: DeltaTable }> {
  const store = new LocalStore(dir);
  const read: string[] = [];
  const counting = Object.create(store) as LocalStore;
  counting.get = async (path: string) => {
    if (path.endsWith('.parquet')) read.push(path);
    return store.get(path);
  };
  // Data files are read by ranged reads (footer, then column chunks): count each file once.
  counting.getRange = async (path: string, start: number, end: number) => {
    if (path.endsWith('.parquet') && !read.includes(path)) read.push(path);
    return store.getRange(path, start, end);
  };
  return { read, h: await DeltaTable.openStore(counting) };
}

async function table(opts: { dv?: boolean; partitioned?: boolean; rows?: number; properties?: Record<string, string> } = {}) {
  const dir = tempDir('dml-');
  const properties: Record<string, string> = { ...(opts.properties ?? {}) };
  if (opts.dv) properties['delta.enableDeletionVectors'] = 'true';
  const t = await DeltaTable.create(dir, { schema: SCHEMA, partitionBy: opts.partitioned ? ['p'] : [], properties });
  const n = opts.rows ?? 30;
  await t.append(Array.from({ length: n }, (_, i) => ({ id: BigInt(i), p: ['a', 'b', 'c'][i % 3], v: i / 2, s: i % 5 === 0 ? null : `s${i}` })));
  return { dir, t };
}

describe('create with deletion vectors', () => {
  it("sets reader 3 / writer 7 with deletionVectors in both feature lists, as Spark does", async () => {
    const { t } = await table({ dv: true, rows: 1 });
    expect(t.protocol).toMatchObject({ minReaderVersion: 3, minWriterVersion: 7, readerFeatures: ['deletionVectors'] });
    expect(t.protocol.writerFeatures).toContain('deletionVectors');
  });
});

describe('DELETE', () => {
  it('copy-on-write: rewrites only touched files, commitInfo as Spark writes it', async () => {
    const { dir, t } = await table({ partitioned: true });
    const before = t.files();
    const res = await t.delete("id < 6 AND p = 'a'");
    expect(res.metrics.numDeletedRows).toBe(2);
    expect(res.metrics.numRemovedFiles).toBe(1);
    expect(res.metrics.numAddedFiles).toBe(1);
    expect(res.metrics.numCopiedRows).toBe(8);
    const after = t.files();
    // Untouched partitions keep their files.
    for (const f of before.filter((f) => f.partitionValues.p !== 'a')) expect(after.map((a) => a.path)).toContain(f.path);
    const ci = commitInfo(dir, res.version);
    expect(ci.operation).toBe('DELETE');
    expect(ci.operationParameters).toEqual({ predicate: JSON.stringify(["id < 6 AND p = 'a'"]) });
    expect(ci.isBlindAppend).toBe(false);
    const om = ci.operationMetrics as Record<string, string>;
    for (const k of ['numRemovedFiles', 'numAddedFiles', 'numDeletedRows', 'numCopiedRows', 'numDeletionVectorsAdded', 'numDeletionVectorsRemoved', 'numAddedChangeFiles', 'executionTimeMs', 'scanTimeMs', 'rewriteTimeMs', 'numAddedBytes', 'numRemovedBytes']) {
      expect(typeof om[k], k).toBe('string');
    }
    expect(om.numDeletedRows).toBe('2');
    expect((await t.scan({ filter: 'id < 6' }).toArray()).map((r) => r.id).sort()).toEqual([1n, 2n, 4n, 5n]);
  });

  it('no predicate deletes every row; a predicate matching nothing commits nothing', async () => {
    const { t } = await table({ partitioned: true });
    const v = t.version;
    const none = await t.delete('id > 1000');
    expect(none).toMatchObject({ version: v, metrics: { numDeletedRows: 0, numRemovedFiles: 0 } });
    const all = await t.delete();
    expect(all.version).toBe(v + 1);
    expect(all.metrics.numDeletedRows).toBe(30);
    expect(await t.scan().toArray()).toEqual([]);
    expect(t.files()).toEqual([]);
  });

  it('reads only files that may match: partition pruning and stats skipping', async () => {
    const { dir, t } = await table({ partitioned: true, rows: 3 });
    for (let k = 1; k < 4; k++) await t.append(Array.from({ length: 3 }, (_, i) => ({ id: BigInt(k * 100 + i), p: ['a', 'b', 'c'][i], v: 1, s: 'x' })));
    const { read, h } = await countingReads(dir);
    await h.delete("p = 'b'");
    expect(read.length).toBe(4);
    expect(read.every((p) => p.startsWith('p=b/'))).toBe(true);
    read.length = 0;
    await h.delete('id = 201');
    // id 201 lives in p=b (gone); min/max stats rule out every other file.
    expect(read).toEqual([]);
    await h.update({ where: 'id >= 300', set: { v: 'v + 1' } });
    expect(read.length).toBe(2); // p=a and p=c files of the 4th append
  });

  it('deletion vectors: marks rows instead of rewriting, unions with the existing DV (remove old + add new, same path)', async () => {
    const { dir, t } = await table({ dv: true, rows: 20 });
    const [file] = t.files();
    const parquetBefore = dataFiles(dir).filter((f) => f.endsWith('.parquet'));
    const r1 = await t.delete('id IN (3, 7)');
    expect(r1.metrics).toMatchObject({ numDeletedRows: 2, numDeletionVectorsAdded: 1, numRemovedFiles: 0, numAddedFiles: 0, numCopiedRows: 0 });
    const r2 = await t.delete('id = 11 OR id = 3');
    expect(r2.metrics).toMatchObject({ numDeletedRows: 1, numDeletionVectorsAdded: 1, numDeletionVectorsRemoved: 1, numDeletionVectorsUpdated: 1 });
    // Data files untouched; two DV files at the table root.
    expect(dataFiles(dir).filter((f) => f.endsWith('.parquet'))).toEqual(parquetBefore);
    expect(dataFiles(dir).filter((f) => /^deletion_vector_[0-9a-f-]{36}\.bin$/.test(f))).toHaveLength(2);
    const a = actions(dir, r2.version);
    const remove = a.find((x) => x.remove)!.remove!;
    const add = a.find((x) => x.add)!.add!;
    expect(remove.path).toBe(file!.path);
    expect(add.path).toBe(file!.path);
    const oldDv = remove.deletionVector as { cardinality: number };
    const newDv = add.deletionVector as { storageType: string; offset: number; cardinality: number; sizeInBytes: number; pathOrInlineDv: string };
    expect(oldDv.cardinality).toBe(2);
    expect(newDv).toMatchObject({ storageType: 'u', offset: 1, cardinality: 3 });
    expect(newDv.pathOrInlineDv).toHaveLength(20);
    expect(JSON.parse(add.stats as string)).toMatchObject({ numRecords: 20, tightBounds: false });
    expect((await readDeletionVector(t.store, t.files()[0]!.deletionVector!)).toArray()).toEqual([3, 7, 11]);
    expect((await t.scan().toArray()).length).toBe(17);
    // Deleting every remaining row removes the file.
    const r3 = await t.delete();
    expect(r3.metrics).toMatchObject({ numDeletedRows: 17, numRemovedFiles: 1, numDeletionVectorsRemoved: 1 });
    expect(t.files()).toEqual([]);
  });

  it('deletion vectors: the DVs of every file a DELETE touches go into one DV file, each at its own offset', async () => {
    const { dir, t } = await table({ dv: true, rows: 10 });
    for (let k = 1; k < 4; k++) await t.append(Array.from({ length: 10 }, (_, i) => ({ id: BigInt(k * 100 + i), p: 'a', v: 1, s: 'x' })));
    const r = await t.delete('id % 3 = 0');
    expect(r.metrics).toMatchObject({ numDeletionVectorsAdded: 4, numRemovedFiles: 0, numAddedFiles: 0 });
    expect(dataFiles(dir).filter((f) => /^deletion_vector_[0-9a-f-]{36}\.bin$/.test(f))).toHaveLength(1);
    const dvs = t.files().map((f) => f.deletionVector!);
    expect(new Set(dvs.map((d) => d.pathOrInlineDv)).size).toBe(1);
    expect(new Set(dvs.map((d) => d.offset)).size).toBe(4);
    const ids = (await t.scan().toArray()).map((x) => Number(x.id)).sort((a, b) => a - b);
    const want = [...Array.from({ length: 10 }, (_, i) => i), ...[1, 2, 3].flatMap((k) => Array.from({ length: 10 }, (_, i) => k * 100 + i))];
    expect(ids).toEqual(want.filter((x) => x % 3 !== 0));
  });

  it('a time-travel handle refuses DML', async () => {
    const { dir } = await table({ rows: 3 });
    const old = await DeltaTable.open(dir, { version: 0 });
    await expect(old.delete('id = 1')).rejects.toThrow(InvalidArgumentError);
  });
});

describe('UPDATE', () => {
  it('sets columns from expressions of the old row; moves rows between partitions; commitInfo as Spark writes it', async () => {
    const { dir, t } = await table({ partitioned: true });
    const res = await t.update({ where: "p = 'a' AND id < 9", set: { v: 'v * 10', p: "'z'", s: "COALESCE(s, 'none') || '!'" } });
    expect(res.metrics).toMatchObject({ numUpdatedRows: 3, numRemovedFiles: 1, numCopiedRows: 7 });
    const moved = await t.scan({ filter: "p = 'z'" }).toArray();
    expect(sortedKeys(moved)).toEqual(['0|z|0|none!', '3|z|15|s3!', '6|z|30|s6!']);
    expect(t.files().some((f) => f.partitionValues.p === 'z')).toBe(true);
    const ci = commitInfo(dir, res.version);
    expect(ci.operation).toBe('UPDATE');
    expect(ci.operationParameters).toEqual({ predicate: JSON.stringify(["p = 'a' AND id < 9"]) });
    expect((ci.operationMetrics as Record<string, string>).numUpdatedRows).toBe('3');
  });

  it('deletion vectors: old rows marked deleted, new rows in new files', async () => {
    const { t } = await table({ dv: true, rows: 10 });
    const res = await t.update({ where: 'id % 2 = 0', set: { s: "'even'" } });
    expect(res.metrics).toMatchObject({ numUpdatedRows: 5, numDeletionVectorsAdded: 1, numAddedFiles: 1, numCopiedRows: 0 });
    const rows = await t.scan().toArray();
    expect(rows.length).toBe(10);
    expect(rows.filter((r) => r.s === 'even').map((r) => r.id).sort()).toEqual([0n, 2n, 4n, 6n, 8n]);
  });

  it('respects the target file size when rewriting', async () => {
    const { t } = await table({ rows: 2000 });
    const res = await t.update({ set: { s: "'0123456789abcdef'" } }, { targetFileSize: 4000 });
    expect(res.metrics.numAddedFiles).toBeGreaterThan(3);
    for (const f of t.files()) expect(f.size).toBeLessThan(4000 * 2);
    expect((await t.scan().toArray()).length).toBe(2000);
  });
});

describe('MERGE', () => {
  it('upsert with all clause kinds; operationParameters and metrics as Spark writes them', async () => {
    const { dir, t } = await table({ partitioned: true, rows: 9 });
    const res = await t
      .merge(
        [
          { id: 1n, v: 100, flag: false },
          { id: 2n, v: 200, flag: true },
          { id: 50n, v: 5, p: 'n', flag: false },
          { id: null, v: 6, p: 'n', flag: false },
        ],
        { on: 't.id = s.id', targetAlias: 't', sourceAlias: 's' },
      )
      .whenMatchedDelete({ where: 's.flag' })
      .whenMatchedUpdate({ set: { v: 's.v + t.v' } })
      .whenNotMatchedInsert({ values: { id: 's.id', v: 's.v', p: 's.p' } })
      .whenNotMatchedBySourceDelete({ where: 't.id >= 7' })
      .whenNotMatchedBySourceUpdate({ set: { s: "'stale'" } })
      .execute();
    expect(res.metrics).toMatchObject({
      numSourceRows: 4,
      numTargetRowsInserted: 2,
      numTargetRowsUpdated: 6,
      numTargetRowsMatchedUpdated: 1,
      numTargetRowsNotMatchedBySourceUpdated: 5,
      numTargetRowsDeleted: 3,
      numTargetRowsMatchedDeleted: 1,
      numTargetRowsNotMatchedBySourceDeleted: 2,
    });
    const rows = sortedKeys(await t.scan().toArray());
    expect(rows).toEqual(
      sortedKeys([
        { id: 0n, p: 'a', v: 0, s: 'stale' },
        { id: 1n, p: 'b', v: 100.5, s: 's1' },
        { id: 3n, p: 'a', v: 1.5, s: 'stale' },
        { id: 4n, p: 'b', v: 2, s: 'stale' },
        { id: 5n, p: 'c', v: 2.5, s: 'stale' },
        { id: 6n, p: 'a', v: 3, s: 'stale' },
        { id: 50n, p: 'n', v: 5, s: null },
        { id: null, p: 'n', v: 6, s: null },
      ]),
    );
    const ci = commitInfo(dir, res.version);
    expect(ci.operation).toBe('MERGE');
    expect(ci.operationParameters).toEqual({
      predicate: JSON.stringify(['t.id = s.id']),
      matchedPredicates: JSON.stringify([{ predicate: 's.flag', actionType: 'delete' }, { actionType: 'update' }]),
      notMatchedPredicates: JSON.stringify([{ actionType: 'insert' }]),
      notMatchedBySourcePredicates: JSON.stringify([{ predicate: 't.id >= 7', actionType: 'delete' }, { actionType: 'update' }]),
    });
    const om = ci.operationMetrics as Record<string, string>;
    for (const k of ['numSourceRows', 'numTargetRowsInserted', 'numTargetRowsUpdated', 'numTargetRowsDeleted', 'numTargetRowsCopied', 'numOutputRows', 'numTargetFilesAdded', 'numTargetFilesRemoved', 'numTargetBytesAdded', 'numTargetBytesRemoved', 'executionTimeMs', 'scanTimeMs', 'rewriteTimeMs']) {
      expect(typeof om[k], k).toBe('string');
    }
  });

  it('reads only target files the source keys may match', async () => {
    const { dir, t } = await table({ rows: 10 });
    for (let k = 1; k < 5; k++) await t.append(Array.from({ length: 10 }, (_, i) => ({ id: BigInt(k * 100 + i), p: 'a', v: 1, s: 'x' })));
    const { read, h } = await countingReads(dir);
    const res = await h.merge([{ id: 203n, v: 9 }, { id: 999n, v: 9 }], { on: 'target.id = source.id' }).whenMatchedUpdate({ set: { v: 'source.v' } }).whenNotMatchedInsert({ values: { id: 'source.id', v: 'source.v' } }).execute();
    expect(res.metrics).toMatchObject({ numTargetRowsUpdated: 1, numTargetRowsInserted: 1 });
    expect(read).toHaveLength(1);
  });

  it('reads the join keys of every candidate file, then whole rows only of files with matches, each footer once', async () => {
    // Incompressible strings make each file larger than the speculative footer read (64 KiB): the id chunk at the
    // start of a file is a ranged read of its own, and so are the other columns when a file's rows are needed.
    let seed = 7;
    const noise = (): string => Array.from({ length: 2_000 }, () => ((seed = (seed * 48271) % 2147483647) % 36).toString(36)).join('');
    for (const dv of [false, true]) {
      const { dir, t } = await table({ dv, rows: 10 });
      for (let k = 1; k < 5; k++) await t.append(Array.from({ length: 40 }, (_, i) => ({ id: BigInt(k * 100 + i), p: 'a', v: 1, s: noise() })));
      const sizes = new Map(t.files().map((a) => [a.path, a.size]));
      // Reads (whole or ranged) per data file, and footer reads (ranges ending at the file's end).
      const store = new LocalStore(dir);
      const reads = new Map<string, number>();
      const footers = new Map<string, number>();
      const bump = (m: Map<string, number>, path: string) => m.set(path, (m.get(path) ?? 0) + 1);
      const counting = Object.create(store) as LocalStore;
      counting.get = async (path: string) => (path.endsWith('.parquet') && bump(reads, path), store.get(path));
      counting.getRange = async (path: string, start: number, end: number) => {
        if (path.endsWith('.parquet')) {
          bump(reads, path);
          if (end === sizes.get(path)) bump(footers, path);
        }
        return store.getRange(path, start, end);
      };
      const h = await DeltaTable.openStore(counting);
      // More source keys than the IN-list limit: a min..max range leaves every file a candidate; one key matches.
      const ids = Array.from({ length: 1500 }, (_, i) => (i === 700 ? 304n : BigInt(10_000 + i)));
      ids[0] = -5n;
      const source = tableFromArrays({ id: BigInt64Array.from(ids), v: new Float64Array(ids.length).fill(1) });
      const res = await h.merge(source, { on: 'target.id = source.id' }).whenMatchedUpdate({ set: { v: 'source.v + 1' } }).execute();
      expect(res.metrics).toMatchObject({ numTargetRowsUpdated: 1 });
      const touched = t.files().find((f) => f.stats?.includes('"minValues":{"id":300'))!.path;
      expect(reads.size, `dv ${dv}`).toBe(t.files().length);
      // Every footer is read once: the second pass over the touched file reuses the first pass's.
      expect([...footers.values()], `dv ${dv}`).toEqual(t.files().map(() => 1));
      // The file holding id 304 is read again for its other columns; the others once for the footer, once for keys.
      const others = [...reads].filter(([p]) => p !== touched);
      for (const [p, n] of others) expect(n, `dv ${dv} ${p}`).toBe(sizes.get(p)! > 64 * 1024 ? 2 : 1);
      expect(sizes.get(touched)!).toBeGreaterThan(64 * 1024);
      expect(reads.get(touched)!, `dv ${dv}`).toBeGreaterThan(2);
      expect((await h.scan().toArray()).find((r) => r.id === 304n)).toMatchObject({ v: 2 });
    }
  });

  it('updateAll / insertAll from a sliced, multi-chunk Arrow source; deletion vectors on', async () => {
    const { t } = await table({ dv: true, rows: 10 });
    const full = tableFromArrays({
      id: BigInt64Array.from([99n, 1n, 2n, 3n, 40n, 41n, 98n]),
      p: ['q', 'x', 'y', 'z', 'x', 'y', 'q'],
      v: Float64Array.from([0, 1, 2, 3, 4, 5, 0]),
      s: ['q', 'u1', 'u2', 'u3', 'i40', 'i41', 'q'],
    });
    const sliced = full.slice(1, 6);
    const chunked = new Table([...sliced.slice(0, 2).batches, ...sliced.slice(2).batches]);
    expect(chunked.batches.length).toBeGreaterThan(1);
    const res = await t.merge(chunked, { on: 't.id = s.id', targetAlias: 't', sourceAlias: 's' }).whenMatchedUpdateAll().whenNotMatchedInsertAll().execute();
    expect(res.metrics).toMatchObject({ numTargetRowsUpdated: 3, numTargetRowsInserted: 2, numTargetDeletionVectorsAdded: 1 });
    const rows = await t.scan({ filter: 'id IN (1, 2, 3, 40, 41, 98, 99)' }).toArray();
    expect(sortedKeys(rows)).toEqual(['1|x|1|u1', '2|y|2|u2', '3|z|3|u3', '40|x|4|i40', '41|y|5|i41']);
    expect((await t.scan().toArray()).length).toBe(12);
    void makeTable;
  });

  it('Spark clause rules: several source rows on one target row is an error (unless the only matched clause is an unconditional delete); only the last clause of a kind may omit its condition', async () => {
    const { dir, t } = await table({ rows: 5 });
    const before = listFiles(dir);
    const err = await t.merge([{ id: 1n, v: 1 }, { id: 1n, v: 2 }], { on: 'target.id = source.id' }).whenMatchedUpdate({ set: { v: 'source.v' } }).execute().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(MergeCardinalityError);
    expect(String(err)).toMatch(/1 target row\(s\).*matched more than one source row.*nothing was written/);
    await expect(
      t.merge([{ id: 1n }], { on: 'target.id = source.id' }).whenMatchedDelete().whenMatchedUpdate({ set: { v: '1' } }).execute(),
    ).rejects.toThrow(/only the last WHEN MATCHED clause may omit its condition/);
    expect(listFiles(dir)).toEqual(before);
    const ok = await t.merge([{ id: 1n }, { id: 1n }], { on: 'target.id = source.id' }).whenMatchedDelete().execute();
    expect(ok.metrics.numTargetRowsDeleted).toBe(1);
  });
});

describe('bad input: clear error, log unchanged, no new data file', () => {
  const schemaNN: StructType = {
    type: 'struct',
    fields: [
      { name: 'id', type: 'long', nullable: false, metadata: {} },
      { name: 'part', type: 'integer', nullable: true, metadata: {} },
      { name: 'v', type: 'double', nullable: true, metadata: {} },
    ],
  };
  it.each([
    ['unknown column in SET', (t: DeltaTable) => t.update({ set: { nope: '1' } }), ExpressionError, /unknown column 'nope'/],
    ['type mismatch in SET', (t: DeltaTable) => t.update({ set: { v: "'abc'" } }), ExpressionError, /cannot assign a value of type string to column 'v' of type double/],
    ['partition column set to a value of the wrong type', (t: DeltaTable) => t.update({ set: { part: "'x'" } }), ExpressionError, /column 'part' of type integer/],
    ['NULL into a NOT NULL column', (t: DeltaTable) => t.update({ where: 'id = 1', set: { id: 'NULL' } }), SchemaMismatchError, /not nullable/],
    ['overflow of the column type', (t: DeltaTable) => t.update({ set: { part: 'id * 10000000000' } }), ArithmeticOverflowError, /does not fit integer/],
    ['unknown column in a predicate', (t: DeltaTable) => t.delete('nope = 1'), ExpressionError, /nope/],
    ['non-boolean predicate', (t: DeltaTable) => t.delete('id + 1'), ExpressionError, /boolean/],
    [
      'duplicate source keys in merge',
      (t: DeltaTable) => t.merge([{ id: 2n, v: 1 }, { id: 2n, v: 2 }, { id: 77n, v: 3 }], { on: 't.id = s.id', targetAlias: 't', sourceAlias: 's' }).whenMatchedUpdate({ set: { v: 's.v' } }).whenNotMatchedInsert({ values: { id: 's.id', v: 's.v' } }).execute(),
      MergeCardinalityError,
      /matched more than one source row/,
    ],
    [
      'merge insert of a source column of the wrong type',
      (t: DeltaTable) =>
        t
          .merge(tableFromArrays({ id: BigInt64Array.from([100n]), v: ['high'] }), { on: 't.id = s.id', targetAlias: 't', sourceAlias: 's' })
          .whenNotMatchedInsert({ values: { id: 's.id', v: 's.v' } })
          .execute(),
      ExpressionError,
      /type string to column 'v'/,
    ],
    [
      'merge source objects with a value of the wrong type',
      (t: DeltaTable) => t.merge([{ id: 100n, v: 'high' }], { on: 't.id = s.id', targetAlias: 't', sourceAlias: 's' }).whenNotMatchedInsertAll().execute(),
      SchemaMismatchError,
      /column 'v'/,
    ],
  ])('%s', async (_name, op, Err, message) => {
    const dir = tempDir('dml-bad-');
    const t = await DeltaTable.create(dir, { schema: schemaNN, partitionBy: ['part'] });
    await t.append(Array.from({ length: 6 }, (_, i) => ({ id: BigInt(i), part: i % 2, v: i })));
    const before = listFiles(dir);
    const version = t.version;
    const err = await (op(t) as Promise<unknown>).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Err);
    expect(String((err as Error).message)).toMatch(message);
    expect(listFiles(dir)).toEqual(before);
    expect((await DeltaTable.open(dir)).version).toBe(version);
  });
});

const WORKER = join(import.meta.dirname, 'dml_worker.ts');

function worker(dir: string, barrier: string, workers: number, id: number, spec: object): Promise<{ ok: boolean; version?: number; error?: string; message?: string }> {
  const child = spawn(process.execPath, ['--import', 'tsx', WORKER, dir, barrier, String(workers), String(id), JSON.stringify(spec)], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stdout.on('data', (d) => (out += d));
  child.stderr.on('data', (d) => (err += d));
  return new Promise((resolve, reject) =>
    child.on('exit', (code) => {
      try {
        resolve(JSON.parse(out));
      } catch {
        reject(new Error(`worker ${id} exited ${code}: ${out} ${err}`));
      }
    }),
  );
}

describe('conflicts between real processes (both read the same version, then race to commit)', () => {
  it.each([false, true])('deletion vectors %s: DELETE of partition a and UPDATE of partition b both commit', { timeout: 60_000 }, async (dv) => {
    const { dir, t } = await table({ partitioned: true, dv, rows: 30 });
    const barrier = tempDir('dml-barrier-');
    const [a, b] = await Promise.all([
      worker(dir, barrier, 2, 0, { op: 'delete', where: "p = 'a'" }),
      worker(dir, barrier, 2, 1, { op: 'update', where: "p = 'b'", set: { s: "'upd'" } }),
    ]);
    expect(a).toMatchObject({ ok: true });
    expect(b).toMatchObject({ ok: true });
    expect(new Set([a.version, b.version])).toEqual(new Set([t.version + 1, t.version + 2]));
    const rows = await (await DeltaTable.open(dir)).scan().toArray();
    expect(rows.filter((r) => r.p === 'a')).toEqual([]);
    expect(rows.filter((r) => r.p === 'b').every((r) => r.s === 'upd')).toBe(true);
    expect(rows.length).toBe(20);
  });

  it.each([false, true])('deletion vectors %s: two DELETEs of the same file: one commits, the other gets ConcurrentDeleteDeleteError', { timeout: 60_000 }, async (dv) => {
    const { dir, t } = await table({ dv, rows: 30 });
    const barrier = tempDir('dml-barrier-');
    mkdirSync(barrier, { recursive: true });
    writeFileSync(join(barrier, 'stagger'), '');
    const results = await Promise.all([
      worker(dir, barrier, 2, 0, { op: 'delete', where: 'id < 5' }),
      worker(dir, barrier, 2, 1, { op: 'delete', where: 'id > 25' }),
    ]);
    const ok = results.filter((r) => r.ok);
    const failed = results.filter((r) => !r.ok);
    expect(ok).toHaveLength(1);
    expect(failed).toHaveLength(1);
    expect(failed[0]!.error).toBe('ConcurrentDeleteDeleteError');
    const after = await DeltaTable.open(dir);
    expect(after.version).toBe(t.version + 1);
    const ids = (await after.scan().toArray()).map((r) => Number(r.id));
    expect(ids.length).toBe(ok[0] === results[0] ? 25 : 26);
  });
});
