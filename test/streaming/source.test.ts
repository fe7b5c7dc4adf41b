// DeltaSource on real local tables: order across commits, starting points, rate limits, change commits, schema change.
import { afterAll, describe, expect, it } from 'vitest';
import { existsSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import * as arrow from 'apache-arrow';
import { DeltaTable, optimize } from '../../src/delta_table.js';
import { DeltaSource, type DeltaSourceOffset } from '../../src/streaming/source.js';
import { StreamSourceChangedError } from '../../src/errors.js';
import type { StructType } from '../../src/schema/types.js';
import { cleanupTempDirs, tempDir } from '../helpers/tmp.js';

afterAll(cleanupTempDirs);

const schema: StructType = {
  type: 'struct',
  fields: [
    { name: 'id', type: 'long', nullable: false, metadata: {} },
    { name: 'tag', type: 'string', nullable: true, metadata: {} },
  ],
};

function ids(t: arrow.Table): number[] {
  return t.toArray().map((r) => Number((r as { id: bigint }).id));
}

async function drain(src: DeltaSource, start: DeltaSourceOffset | null = null): Promise<{ rows: number[]; batches: number; end: DeltaSourceOffset | null }> {
  const rows: number[] = [];
  let batches = 0;
  let cur = start;
  for (;;) {
    const end = await src.latestOffset(cur);
    if (end === null || JSON.stringify(end) === JSON.stringify(cur)) break;
    rows.push(...ids(await src.getBatch(cur, end)));
    batches++;
    cur = end;
  }
  return { rows, batches, end: cur };
}

async function tableWith(commits: number, perCommit = 1): Promise<{ table: DeltaTable; uri: string }> {
  const uri = tempDir('src-');
  const table = await DeltaTable.create(uri, { schema });
  for (let c = 0; c < commits; c++) {
    await table.append(Array.from({ length: perCommit }, (_, i) => ({ id: BigInt(c * perCommit + i), tag: `c${c}` })));
  }
  return { table, uri };
}

describe('DeltaSource', () => {
  it('emits every appended row exactly once, in commit order, across 50 commits with maxFilesPerTrigger=1', async () => {
    const { uri } = await tableWith(0);
    const src = new DeltaSource(uri, { maxFilesPerTrigger: 1, startingVersion: 0 });
    const table = await DeltaTable.open(uri);
    const seen: number[] = [];
    let cur: DeltaSourceOffset | null = null;
    let batches = 0;
    for (let c = 0; c < 50; c++) {
      await table.append([{ id: BigInt(2 * c), tag: 'a' }, { id: BigInt(2 * c + 1), tag: 'b' }]);
      // Interleave: sometimes drain after each commit, sometimes let commits pile up.
      if (c % 7 === 3 || c === 49) {
        const r = await drain(src, cur);
        seen.push(...r.rows);
        batches += r.batches;
        cur = r.end;
      }
    }
    expect(seen).toEqual(Array.from({ length: 100 }, (_, i) => i));
    expect(batches).toBe(50); // one file per commit, one file per batch
    expect(cur).toMatchObject({ sourceVersion: 1, reservoirVersion: 50, index: expect.any(Number), isStartingVersion: false });
    expect((cur as DeltaSourceOffset).reservoirId).toBe(table.metadata.id);
  });

  it('starts with the snapshot (ordered by modificationTime, path), then new commits', async () => {
    const { table, uri } = await tableWith(5, 3);
    const src = new DeltaSource(uri);
    const first = await src.latestOffset(null);
    expect(first).toMatchObject({ reservoirVersion: 5, isStartingVersion: true });
    const batch = ids(await src.getBatch(null, first!));
    expect(batch.sort((a, b) => a - b)).toEqual(Array.from({ length: 15 }, (_, i) => i));
    await table.append([{ id: 100n, tag: 'new' }]);
    const next = await src.latestOffset(first);
    expect(next).toMatchObject({ reservoirVersion: 6, isStartingVersion: false });
    expect(ids(await src.getBatch(first, next!))).toEqual([100]);
    // Nothing new: the offset does not move.
    expect(await src.latestOffset(next)).toEqual(next);
  });

  it('startingVersion and startingTimestamp pick the first commit to read', async () => {
    const { table, uri } = await tableWith(4);
    // startingVersion 2: commits 2, 3, 4 (commit 0 is CREATE TABLE; commit v holds id v-1).
    expect((await drain(new DeltaSource(uri, { startingVersion: 2 }))).rows).toEqual([1, 2, 3]);
    expect((await drain(new DeltaSource(uri, { startingVersion: 'latest' }))).rows).toEqual([]);
    await new Promise((r) => setTimeout(r, 30));
    const t = Date.now();
    await new Promise((r) => setTimeout(r, 30));
    await table.append([{ id: 50n, tag: 'late' }]);
    await table.append([{ id: 51n, tag: 'late' }]);
    expect((await drain(new DeltaSource(uri, { startingTimestamp: t }))).rows).toEqual([50, 51]);
    expect((await drain(new DeltaSource(uri, { startingTimestamp: new Date(t).toISOString() }))).rows).toEqual([50, 51]);
    // After the latest commit: only future commits.
    const future = new DeltaSource(uri, { startingTimestamp: Date.now() + 60_000 });
    expect((await drain(future)).rows).toEqual([]);
    await table.append([{ id: 52n, tag: 'later' }]);
    expect((await drain(future)).rows).toEqual([52]);
  });

  it('maxBytesPerTrigger admits at least one file and splits larger backlogs', async () => {
    const { uri } = await tableWith(6);
    const r = await drain(new DeltaSource(uri, { startingVersion: 0, maxBytesPerTrigger: 1 }));
    expect(r.rows).toEqual([0, 1, 2, 3, 4, 5]);
    expect(r.batches).toBe(6);
  });

  it('refuses a delete naming the version, unless ignoreDeletes / skipChangeCommits', async () => {
    const { table, uri } = await tableWith(3);
    // Overwrite = remove all + add (a data update); a pure delete is an overwrite with no rows.
    await table.overwrite([]);
    await table.append([{ id: 10n, tag: 'after' }]);
    const deleteVersion = 4;
    const plain = new DeltaSource(uri, { startingVersion: 0 });
    // Files before the delete are still delivered, then the stream stops at the delete.
    const off = await plain.latestOffset(null);
    expect(ids(await plain.getBatch(null, off!))).toEqual([0, 1, 2]);
    const err = await plain.latestOffset(off).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(StreamSourceChangedError);
    expect((err as StreamSourceChangedError).version).toBe(deleteVersion);
    expect(String((err as Error).message)).toMatch(/version 4/);
    expect((await drain(new DeltaSource(uri, { startingVersion: 0, ignoreDeletes: true }))).rows).toEqual([0, 1, 2, 10]);
    expect((await drain(new DeltaSource(uri, { startingVersion: 0, skipChangeCommits: true }))).rows).toEqual([0, 1, 2, 10]);
  });

  it('ignoreDeletes does not hide updates (remove + add); skipChangeCommits skips the whole commit', async () => {
    const { table, uri } = await tableWith(2);
    await table.overwrite([{ id: 7n, tag: 'rewritten' }]);
    await table.append([{ id: 8n, tag: 'x' }]);
    const err = await drain(new DeltaSource(uri, { startingVersion: 3, ignoreDeletes: true })).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(StreamSourceChangedError);
    expect((err as Error).message).toMatch(/updates data at version 3.*skipChangeCommits/);
    expect((await drain(new DeltaSource(uri, { startingVersion: 0, skipChangeCommits: true }))).rows).toEqual([0, 1, 8]);
  });

  it('stops on a schema change naming the version', async () => {
    const { table, uri } = await tableWith(2);
    const src = new DeltaSource(uri, { startingVersion: 0 });
    const first = await drain(src);
    expect(first.rows).toEqual([0, 1]);
    await table.append([{ id: 5n, tag: 't', extra: 'x' }] as never, { schemaMode: 'merge' });
    const err = await src.latestOffset(first.end).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(StreamSourceChangedError);
    expect((err as Error).message).toMatch(/version 3.*restart the stream to pick up the new schema/);
  });

  it('skips dataChange=false files (compaction)', async () => {
    const { table, uri } = await tableWith(3);
    // OPTIMIZE rewrites the same rows into one file: remove + add with dataChange=false.
    const res = await optimize(table);
    expect(res.metrics.numFilesRemoved).toBe(3);
    await table.refresh();
    await table.append([{ id: 9n, tag: 'z' }]);
    expect((await drain(new DeltaSource(uri, { startingVersion: 1 }))).rows).toEqual([0, 1, 2, 9]);
  });

  const corpus = process.env.DELTATS_CONFORMANCE_DIR ?? path.resolve(import.meta.dirname, '../../../shared/conformance');
  const dvTable = path.join(corpus, 'tables', 'spark-dv-partitioned-with-checkpoint');
  it.skipIf(!existsSync(dvTable))('initial snapshot of a Spark table with deletion vectors and a checkpoint: DVs applied', async () => {
    // Read-only use of the corpus: the source never writes.
    const cases = JSON.parse(readFileSync(path.join(corpus, 'cases.json'), 'utf8')) as
      | Array<{ name: string; expected: { numRows: number; rows: Array<{ part: number; col1: number }> } }>
      | { cases: Array<{ name: string; expected: { numRows: number; rows: Array<{ part: number; col1: number }> } }> };
    const list = Array.isArray(cases) ? cases : cases.cases;
    const expected = list.find((c) => c.name === 'spark-dv-partitioned-with-checkpoint')!.expected;
    const src = new DeltaSource(dvTable, { maxFilesPerTrigger: 2 });
    const got: string[] = [];
    let cur: DeltaSourceOffset | null = null;
    for (;;) {
      const end: DeltaSourceOffset | null = await src.latestOffset(cur);
      if (end === null || JSON.stringify(end) === JSON.stringify(cur)) break;
      for (const r of (await src.getBatch(cur, end)).toArray()) got.push(`${Number(r.part)}/${Number(r.col1)}`);
      cur = end;
    }
    expect(got.length).toBe(expected.numRows);
    expect(got.sort()).toEqual(expected.rows.map((r) => `${r.part}/${r.col1}`).sort());
  });
});
