// vacuum(): what it deletes (unreferenced, older than the window) and what it never touches; retention rules; commits.
import { afterAll, describe, expect, it } from 'vitest';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DeltaTable, vacuum } from '../../src/delta_table.js';
import { isHiddenPath } from '../../src/table/operations/vacuum.js';
import { InvalidArgumentError } from '../../src/errors.js';
import type { StructType } from '../../src/schema/types.js';
import { cleanupTempDirs, tempDir } from '../helpers/tmp.js';
import { HAVE_CONFORMANCE, CONFORMANCE_DIR, age, copyCorpusTable, listFiles, rowSet } from './maintenance_helpers.js';

afterAll(cleanupTempDirs);

const schema: StructType = {
  type: 'struct',
  fields: [
    { name: 'p', type: 'string', nullable: true, metadata: {} },
    { name: 'x', type: 'long', nullable: true, metadata: {} },
  ],
};

async function tableWithHistory(properties?: Record<string, string>): Promise<{ dir: string; t: DeltaTable }> {
  const dir = join(tempDir('deltats-vacuum-'), 't');
  const t = await DeltaTable.create(dir, { schema, partitionBy: ['p'], properties });
  await t.append([{ p: 'a', x: 1n }, { p: 'b', x: 2n }]);
  await t.append([{ p: 'a', x: 3n }]);
  return { dir, t };
}

function put(dir: string, rel: string, body = 'x'): void {
  mkdirSync(join(dir, rel, '..'), { recursive: true });
  writeFileSync(join(dir, rel), body);
}

describe('vacuum', () => {
  it('hidden-path rule', () => {
    expect(isHiddenPath('_delta_log/00000000000000000000.json')).toBe(true);
    expect(isHiddenPath('_change_data/cdc-1.parquet')).toBe(true);
    expect(isHiddenPath('.tmp/part-1.parquet')).toBe(true);
    expect(isHiddenPath('p=a/.part-1.parquet.crc')).toBe(true);
    expect(isHiddenPath('_SUCCESS')).toBe(true);
    expect(isHiddenPath('part-1.parquet')).toBe(false);
    expect(isHiddenPath('p=a/part-1.parquet')).toBe(false);
    expect(isHiddenPath('_p=a/part-1.parquet')).toBe(false); // a partition folder of a column named _p
    expect(isHiddenPath('deletion_vector_0c6c.bin')).toBe(false);
  });

  it('refuses a retention below the configured one unless forced', async () => {
    const { t } = await tableWithHistory();
    await expect(vacuum(t, { retentionHours: 24 })).rejects.toThrow(InvalidArgumentError);
    await expect(vacuum(t, { retentionHours: 24 })).rejects.toThrow(/delta\.deletedFileRetentionDuration.*force/);
    await expect(vacuum(t, { retentionHours: -1, force: true })).rejects.toThrow(/non-negative/);
    // A table that configures a short retention may vacuum with it.
    const short = await tableWithHistory({ 'delta.deletedFileRetentionDuration': 'interval 1 hours' });
    const res = await vacuum(short.t, { retentionHours: 1 });
    expect(res.filesDeleted).toEqual([]);
    expect(res.retentionHours).toBe(1);
  });

  it('deletes old unreferenced files only; keeps live, hidden, _delta_log, and recent files', async () => {
    const { dir, t } = await tableWithHistory();
    const live = t.files().map((a) => decodeURIComponent(a.path));
    put(dir, 'orphan-old.parquet');
    put(dir, 'p=a/orphan-old-in-partition.parquet');
    put(dir, '_p=z/orphan-old-in-underscore-partition.parquet');
    put(dir, 'orphan-recent.parquet');
    put(dir, '_tmp/hidden-dir-file.parquet');
    put(dir, '.hidden.parquet');
    put(dir, 'p=a/.part.crc');
    put(dir, '_SUCCESS');
    put(dir, '_delta_log/garbage.txt');
    put(dir, '_change_data/cdc-old.parquet');
    age(dir, 48, [
      ...live,
      'orphan-old.parquet',
      'p=a/orphan-old-in-partition.parquet',
      '_p=z/orphan-old-in-underscore-partition.parquet',
      '_tmp/hidden-dir-file.parquet',
      '.hidden.parquet',
      'p=a/.part.crc',
      '_SUCCESS',
      '_delta_log/garbage.txt',
      '_change_data/cdc-old.parquet',
    ]);
    const before = listFiles(dir);
    const res = await vacuum(t, { retentionHours: 24, force: true });
    const expected = ['_p=z/orphan-old-in-underscore-partition.parquet', 'orphan-old.parquet', 'p=a/orphan-old-in-partition.parquet'];
    expect(res.filesDeleted).toEqual(expected);
    expect(res.bytes).toBe(3);
    expect(res.dryRun).toBe(false);
    const after = listFiles(dir);
    // Exactly those files left; everything else is still there (plus the two VACUUM commits).
    const gone = before.filter((f) => !after.includes(f));
    expect(gone).toEqual(expected);
    for (const f of live) expect(existsSync(join(dir, f))).toBe(true);
    expect(rowSet(await (await DeltaTable.open(dir)).scan().toArray())).toEqual(rowSet([{ p: 'a', x: 1n }, { p: 'b', x: 2n }, { p: 'a', x: 3n }]));
  });

  it('keeps tombstoned files while the tombstone is inside the window; deletes them after', async () => {
    const { dir, t } = await tableWithHistory();
    const old = t.files().map((a) => decodeURIComponent(a.path));
    age(dir, 48, old); // the files are old, but their removal is recent
    await t.overwrite([{ p: 'c', x: 9n }]);
    const res = await vacuum(t, { retentionHours: 1, force: true });
    expect(res.filesDeleted).toEqual([]);
    for (const f of old) expect(existsSync(join(dir, f))).toBe(true);
    // Two hours later the tombstones are outside a one-hour window.
    const later = await vacuum(t, { retentionHours: 1, force: true, now: Date.now() + 2 * 3600_000 });
    expect(later.filesDeleted.sort()).toEqual([...old].sort());
    for (const f of old) expect(existsSync(join(dir, f))).toBe(false);
    expect(rowSet(await (await DeltaTable.open(dir)).scan().toArray())).toEqual(rowSet([{ p: 'c', x: 9n }]));
  });

  it('dry run deletes and commits nothing; a real run records VACUUM START / END', async () => {
    const { dir, t } = await tableWithHistory();
    put(dir, 'orphan.parquet', 'abcd');
    age(dir, 400, ['orphan.parquet']);
    const v = t.version;
    const dry = await vacuum(t, { dryRun: true });
    expect(dry).toMatchObject({ filesDeleted: ['orphan.parquet'], bytes: 4, dryRun: true });
    expect(existsSync(join(dir, 'orphan.parquet'))).toBe(true);
    expect((await DeltaTable.open(dir)).version).toBe(v);

    const res = await vacuum(t);
    expect(res.version).toBe(v + 2);
    expect(existsSync(join(dir, 'orphan.parquet'))).toBe(false);
    const read = (n: number) => JSON.parse(readFileSync(join(dir, '_delta_log', `${String(n).padStart(20, '0')}.json`), 'utf8').trim().split('\n')[0]!);
    const start = read(v + 1).commitInfo;
    const end = read(v + 2).commitInfo;
    expect(start.operation).toBe('VACUUM START');
    expect(start.operationParameters).toEqual({ retentionCheckEnabled: 'true', defaultRetentionMillis: String(168 * 3600_000) });
    expect(start.operationMetrics).toEqual({ numFilesToDelete: '1', sizeOfDataToDelete: '4' });
    expect(end.operation).toBe('VACUUM END');
    expect(end.operationParameters).toEqual({ status: 'COMPLETED' });
    expect(end.operationMetrics).toEqual({ numDeletedFiles: '1', numVacuumedDirectories: '0' });
    // Each commit holds only commitInfo.
    for (const n of [v + 1, v + 2]) {
      const lines = readFileSync(join(dir, '_delta_log', `${String(n).padStart(20, '0')}.json`), 'utf8').trim().split('\n');
      expect(lines).toHaveLength(1);
    }
  });

  it.skipIf(!HAVE_CONFORMANCE)('keeps the deletion-vector files of live files (Spark DV table)', async () => {
    const cases = JSON.parse(readFileSync(join(CONFORMANCE_DIR, 'cases.json'), 'utf8')) as Array<{ name: string; expected: { numRows: number } }>;
    const name = 'spark-dv-partitioned-with-checkpoint';
    const expectedRows = cases.find((c) => c.name === name)!.expected.numRows;
    const dir = copyCorpusTable(name);
    age(dir, 30 * 24);
    const t = await DeltaTable.open(dir);
    const dvFiles = listFiles(dir).filter((f) => f.endsWith('.bin'));
    expect(dvFiles.length).toBeGreaterThan(0);
    const before = (await t.scan().toArray()).length;
    expect(before).toBe(expectedRows);
    const res = await vacuum(t);
    // Tombstones in this table are years old: their files go; nothing live (data or DV) does.
    for (const f of res.filesDeleted) expect(t.files().some((a) => decodeURIComponent(a.path) === f)).toBe(false);
    const after = await DeltaTable.open(dir);
    expect((await after.scan().toArray()).length).toBe(expectedRows);
    const liveDvs = after.files().filter((a) => a.deletionVector).length;
    expect(liveDvs).toBeGreaterThan(0);
    expect(listFiles(dir).filter((f) => f.endsWith('.bin')).length).toBeGreaterThan(0);
  });
});
