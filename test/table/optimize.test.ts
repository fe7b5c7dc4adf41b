// optimize(): bin-packing compaction keeps rows (incl. applying DVs), reduces files, dataChange=false, and fails
// rather than resurrect rows when a concurrent commit removed a file it compacts.
import { afterAll, describe, expect, it } from 'vitest';
import { copyFileSync, existsSync, mkdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { DeltaTable, optimize } from '../../src/delta_table.js';
import { Transaction } from '../../src/index.js';
import { binPack } from '../../src/table/operations/optimize.js';
import { ConcurrentDeleteReadError, InvalidArgumentError } from '../../src/errors.js';
import { LocalStore } from '../../src/storage/local.js';
import type { Add } from '../../src/log/actions.js';
import type { StructType } from '../../src/schema/types.js';
import { cleanupTempDirs, tempDir } from '../helpers/tmp.js';
import { CONFORMANCE_DIR, HAVE_CONFORMANCE, copyCorpusTable, listFiles, rowSet } from './maintenance_helpers.js';

afterAll(cleanupTempDirs);

const schema: StructType = {
  type: 'struct',
  fields: [
    { name: 'p', type: 'integer', nullable: true, metadata: {} },
    { name: 'n', type: 'long', nullable: true, metadata: {} },
    { name: 's', type: 'string', nullable: true, metadata: {} },
    { name: 'd', type: 'decimal(12,3)', nullable: true, metadata: {} },
  ],
};

function fakeAdd(path: string, size: number, dv = false): Add {
  return {
    path,
    size,
    partitionValues: {},
    modificationTime: 0,
    dataChange: true,
    ...(dv ? { deletionVector: { storageType: 'i', pathOrInlineDv: 'x', sizeInBytes: 1, cardinality: 1 } } : {}),
  };
}

async function smallFilesTable(files: number, partitioned = true): Promise<{ dir: string; t: DeltaTable }> {
  const dir = join(tempDir('deltats-optimize-'), 't');
  const t = await DeltaTable.create(dir, { schema, partitionBy: partitioned ? ['p'] : [] });
  for (let i = 0; i < files; i++) {
    const rows = Array.from({ length: 5 }, (_, j) => ({
      p: i % 3,
      n: BigInt(i * 100 + j),
      s: j === 2 ? null : `row-${i}-${j}`,
      d: `${i}.${String(j).padStart(3, '0')}`,
    }));
    await t.append(partitioned ? rows.filter((r) => r.p === i % 3) : rows);
  }
  return { dir, t };
}

describe('optimize', () => {
  it('binPack: greedy bins up to the target; single files without DV skipped', () => {
    const bins = binPack([fakeAdd('a', 10), fakeAdd('b', 50), fakeAdd('c', 45), fakeAdd('d', 200), fakeAdd('e', 30)], 100);
    expect(bins.map((b) => b.map((f) => f.path))).toEqual([['a', 'e', 'c']]); // 'b' alone is skipped, 'd' too big
    expect(binPack([fakeAdd('a', 10)], 100)).toEqual([]);
    expect(binPack([fakeAdd('a', 10, true)], 100).map((b) => b.map((f) => f.path))).toEqual([['a']]);
    expect(binPack([fakeAdd('big', 500, true)], 100).map((b) => b.map((f) => f.path))).toEqual([['big']]);
  });

  it('keeps every row, compacts per partition, dataChange=false', async () => {
    const { dir, t } = await smallFilesTable(9);
    const before = rowSet(await t.scan().toArray());
    expect(t.files()).toHaveLength(9);
    const res = await optimize(t);
    expect(res.version).toBe(10);
    expect(res.metrics).toMatchObject({ numFilesRemoved: 9, numFilesAdded: 3, partitionsOptimized: 3, numBatches: 3, totalConsideredFiles: 9 });
    expect(res.metrics.filesRemoved.totalFiles).toBe(9);
    const after = await DeltaTable.open(dir);
    expect(after.files()).toHaveLength(3);
    expect(rowSet(await after.scan().toArray())).toEqual(before);
    for (const a of after.files()) expect(a.partitionValues.p).toMatch(/^[012]$/);
    const lines = readFileSync(join(dir, '_delta_log', '00000000000000000010.json'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    const info = lines[0].commitInfo;
    expect(info.operation).toBe('OPTIMIZE');
    expect(info.operationParameters).toEqual({ predicate: '[]', zOrderBy: '[]' });
    expect(info.operationMetrics.numRemovedFiles).toBe('9');
    expect(info.operationMetrics.numAddedFiles).toBe('3');
    const adds = lines.filter((l) => l.add);
    const removes = lines.filter((l) => l.remove);
    expect(adds).toHaveLength(3);
    expect(removes).toHaveLength(9);
    expect([...adds.map((l) => l.add.dataChange), ...removes.map((l) => l.remove.dataChange)].every((x) => x === false)).toBe(true);
    // Stats of the new files count the rows.
    expect(adds.reduce((s, l) => s + JSON.parse(l.add.stats).numRecords, 0)).toBe(45);
    // Nothing to do a second time.
    const again = await optimize(after);
    expect(again.version).toBeNull();
    expect((await DeltaTable.open(dir)).version).toBe(10);
  });

  it('groups files by partition VALUE: spellings of one value by different writers are one partition', async () => {
    const pschema: StructType = {
      type: 'struct',
      fields: [
        { name: 'id', type: 'long', nullable: true, metadata: {} },
        { name: 'x', type: 'double', nullable: true, metadata: {} },
        { name: 'dec', type: 'decimal(5,2)', nullable: true, metadata: {} },
      ],
    };
    const rows = (from: number) => [
      { id: BigInt(from), x: 1e20, dec: '1.20' },
      { id: BigInt(from + 1), x: 2.5, dec: '0.00' },
      { id: BigInt(from + 2), x: null, dec: null },
    ];
    const dir = join(tempDir('deltats-optimize-spelling-'), 't');
    const t = await DeltaTable.create(dir, { schema: pschema, partitionBy: ['x', 'dec'] });
    await t.append(rows(0));
    expect(t.files().map((a) => a.partitionValues).sort((a, b) => String(a.x).localeCompare(String(b.x)))).toEqual([
      { x: '1.0E20', dec: '1.20' },
      { x: '2.5', dec: '0.00' },
      { x: null, dec: null },
    ]);
    // A second commit of the same partitions as delta-rs / an older deltats spelled them (plain digits, a decimal
    // without its trailing zeros, '' for null): the files come from another table, committed with those values.
    const otherDir = join(tempDir('deltats-optimize-spelling-src-'), 't');
    const other = await DeltaTable.create(otherDir, { schema: pschema, partitionBy: ['x', 'dec'] });
    await other.append(rows(10));
    const respell: Record<string, string> = { '1.0E20': '100000000000000000000', '1.20': '1.2', '2.5': '2.50', '0.00': '0' };
    const adds = other.files().map((a) => {
      mkdirSync(dirname(join(dir, decodeURIComponent(a.path))), { recursive: true });
      copyFileSync(join(otherDir, decodeURIComponent(a.path)), join(dir, decodeURIComponent(a.path)));
      const pv = Object.fromEntries(Object.entries(a.partitionValues).map(([k, v]) => [k, v === null ? '' : respell[v]!]));
      return { add: { ...a, partitionValues: pv } };
    });
    const latest = await DeltaTable.open(dir);
    await new Transaction(new LocalStore(dir), latest.snapshot, { operation: 'WRITE', operationParameters: { mode: 'Append' } }).addActions(adds).commit();
    const spelled = await DeltaTable.open(dir);
    expect(spelled.files().map((a) => a.partitionValues.x).sort()).toEqual(['', '1.0E20', '100000000000000000000', '2.5', '2.50', null].sort());
    const before = rowSet(await spelled.scan().toArray());
    expect(before).toHaveLength(6);
    expect(await spelled.scan({ filter: 'x = 1e20 AND dec = 1.2' }).toArray()).toHaveLength(2); // reads agree already

    const res = await optimize(spelled);
    expect(res.metrics).toMatchObject({ numFilesRemoved: 6, numFilesAdded: 3, partitionsOptimized: 3 });
    const after = await DeltaTable.open(dir);
    // one file per partition, its values in the canonical (Spark) spelling
    expect(after.files().map((a) => a.partitionValues).sort((a, b) => String(a.x).localeCompare(String(b.x)))).toEqual([
      { x: '1.0E20', dec: '1.20' },
      { x: '2.5', dec: '0.00' },
      { x: null, dec: null },
    ]);
    expect(rowSet(await after.scan().toArray())).toEqual(before);
  });

  it('respects the target size and a partition predicate', async () => {
    const { dir, t } = await smallFilesTable(9);
    const sizes = t.files().map((a) => a.size);
    // A target smaller than two files: nothing can be packed.
    const none = await optimize(t, { targetSize: Math.min(...sizes) + 1 });
    expect(none.version).toBeNull();
    const res = await optimize(t, { where: 'p = 1' });
    expect(res.metrics).toMatchObject({ numFilesRemoved: 3, numFilesAdded: 1, totalConsideredFiles: 3 });
    const files = (await DeltaTable.open(dir)).files();
    expect(files.filter((a) => a.partitionValues.p === '1')).toHaveLength(1);
    expect(files.filter((a) => a.partitionValues.p !== '1')).toHaveLength(6);
    await expect(optimize(t, { where: 'n > 3' })).rejects.toThrow(InvalidArgumentError);
    await expect(optimize(t, { where: 'n > 3' })).rejects.toThrow(/partition columns only; 'n'/);
    await expect(optimize(t, { targetSize: 0 })).rejects.toThrow(/positive/);
  });

  it('fails with ConcurrentDeleteReadError (and leaves no new files) when a concurrent commit removed a compacted file', async () => {
    const { dir } = await smallFilesTable(4, false);
    const store = new LocalStore(dir);
    let raced = false;
    // A store that lets another writer overwrite the table right after OPTIMIZE writes its first new file.
    const racing = Object.create(store) as LocalStore;
    racing.put = async (path: string, data: Uint8Array) => {
      await store.put(path, data);
      if (!raced && !path.startsWith('_delta_log/')) {
        raced = true;
        const other = await DeltaTable.open(dir);
        await other.overwrite([{ p: 7, n: 7n, s: 'winner', d: '7.000' }]);
      }
    };
    const t = await DeltaTable.openStore(racing);
    const before = listFiles(dir).filter((f) => f.endsWith('.parquet'));
    const err = await optimize(t).catch((e: unknown) => e);
    expect(raced).toBe(true);
    expect(err).toBeInstanceOf(ConcurrentDeleteReadError);
    const after = await DeltaTable.open(dir);
    expect(after.version).toBe(5); // the overwrite; no OPTIMIZE commit
    expect(rowSet(await after.scan().toArray())).toEqual(rowSet([{ p: 7, n: 7n, s: 'winner', d: '7.000' }]));
    // The compacted file OPTIMIZE wrote was removed again; only the overwrite's file is new.
    const newFiles = listFiles(dir).filter((f) => f.endsWith('.parquet') && !before.includes(f));
    expect(newFiles).toEqual(after.files().map((a) => decodeURIComponent(a.path)));
  });

  it.skipIf(!HAVE_CONFORMANCE)('rewrites files with deletion vectors: deleted rows stay deleted (Spark DV table)', async () => {
    const name = 'spark-dv-partitioned-with-checkpoint';
    const cases = JSON.parse(readFileSync(join(CONFORMANCE_DIR, 'cases.json'), 'utf8')) as Array<{ name: string; expected: { numRows: number } }>;
    const dir = copyCorpusTable(name);
    const t = await DeltaTable.open(dir);
    const before = rowSet(await t.scan().toArray());
    expect(before).toHaveLength(cases.find((c) => c.name === name)!.expected.numRows);
    const withDv = t.files().filter((a) => a.deletionVector).length;
    expect(withDv).toBeGreaterThan(0);
    const res = await optimize(t);
    expect(res.version).not.toBeNull();
    expect(res.metrics.numDeletionVectorsRemoved).toBe(withDv);
    const after = await DeltaTable.open(dir);
    expect(after.files().filter((a) => a.deletionVector)).toHaveLength(0);
    expect(after.files().length).toBeLessThan(t.files().length + withDv);
    expect(rowSet(await after.scan().toArray())).toEqual(before);
    for (const a of after.files()) expect(existsSync(join(dir, decodeURIComponent(a.path)))).toBe(true);
  });
});
