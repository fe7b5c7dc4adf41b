// Copy-on-write DML holds a bounded number of touched files: through a store that records the order of reads of the
// table's data files and puts of new ones, each touched file's rewrite is put before files far behind it are read
// (the old code read every touched file, then wrote). Rows read back equal the expected ones.
import { tableFromArrays } from 'apache-arrow';
import { afterAll, describe, expect, it } from 'vitest';
import { DeltaTable, LocalStore } from '../../../src/index.js';
import { cleanupTempDirs, tempDir } from '../../helpers/tmp.js';

afterAll(cleanupTempDirs);

const FILES = 12;
const PER_FILE = 12_000;

/** A table of FILES files of PER_FILE rows (random doubles: each file larger than the 64 KiB footer tail read). */
async function table(partitioned: boolean): Promise<string> {
  const dir = tempDir('dml-bounded-');
  const schema = {
    type: 'struct' as const,
    fields: [
      { name: 'id', type: 'long', nullable: false, metadata: {} },
      { name: 'p', type: 'string', nullable: true, metadata: {} },
      { name: 'v', type: 'double', nullable: true, metadata: {} },
    ],
  };
  const t = await DeltaTable.create(dir, { schema, partitionBy: partitioned ? ['p'] : [] });
  let seed = 7;
  const rnd = (): number => ((seed = (seed * 16807) % 2147483647) / 2147483647);
  for (let f = 0; f < FILES; f++) {
    const id = BigInt64Array.from({ length: PER_FILE }, (_, i) => BigInt(f * PER_FILE + i));
    const p = Array.from({ length: PER_FILE }, () => `p${f % 3}`);
    const v = Float64Array.from({ length: PER_FILE }, rnd);
    await t.append(tableFromArrays({ id, p, v }), { rowGroupSize: 5000 });
  }
  return dir;
}

/** The table through a store that logs `read <path>` (the table's data files) and `put <path>` (new data files). */
async function recording(dir: string): Promise<{ h: DeltaTable; log: string[]; inputs: Set<string> }> {
  const store = new LocalStore(dir);
  const inputs = new Set((await DeltaTable.open(dir)).files().map((f) => decodeURIComponent(f.path)));
  const log: string[] = [];
  const rec = Object.create(store) as LocalStore;
  rec.get = async (path: string) => (inputs.has(path) && log.push(`read ${path}`), store.get(path));
  rec.getRange = async (path: string, s: number, e: number) => (inputs.has(path) && log.push(`read ${path}`), store.getRange(path, s, e));
  rec.put = async (path: string, data: Uint8Array) => {
    if (path.endsWith('.parquet') && !path.startsWith('_change_data')) log.push(`put ${path}`);
    return store.put(path, data);
  };
  return { h: await DeltaTable.openStore(rec), log, inputs };
}

/**
 * For the input files ordered by their last read: how many more of them were done reading than new files were put,
 * at most. Bounded: (files read ahead) + (files being encoded) + 1; every touched file without streaming.
 */
function maxReadAhead(log: string[]): number {
  const lastRead = new Map<string, number>();
  log.forEach((e, i) => e.startsWith('read ') && lastRead.set(e.slice(5), i));
  const ends = [...lastRead.values()].sort((a, b) => a - b);
  let worst = 0;
  ends.forEach((at, k) => {
    const puts = log.slice(0, at).filter((e) => e.startsWith('put ')).length;
    worst = Math.max(worst, k + 1 - puts);
  });
  return worst;
}

// Reads ahead (forEachCandidate: the file at hand + 1) and files being encoded or put (DataFileStream: 2), + 1.
const BOUND = 5;

describe('copy-on-write DML: touched files are rewritten one after another, not all read first', () => {
  it.each([false, true])(`DELETE, UPDATE and MERGE touching all ${FILES} files, partitioned=%s`, { timeout: 120_000 }, async (partitioned) => {
    // Each operation on a fresh table; a target file size of about half a touched file's rows (Arrow bytes), so that
    // what the writer buffers is put soon.
    const options = { targetFileSize: 150_000, threads: 0 };

    {
      const dir = await table(partitioned);
      const { h, log, inputs } = await recording(dir);
      const res = await h.delete('id % 1000 = 7', options);
      expect(res.metrics).toMatchObject({ numDeletedRows: FILES * 12, numRemovedFiles: FILES, numCopiedRows: FILES * (PER_FILE - 12) });
      expect(new Set(log.filter((e) => e.startsWith('read ')).map((e) => e.slice(5)))).toEqual(inputs);
      expect(maxReadAhead(log), 'DELETE').toBeLessThanOrEqual(BOUND);
      const rows = await (await DeltaTable.open(dir)).scan({ columns: ['id'] }).toArray();
      expect(rows.length).toBe(FILES * (PER_FILE - 12));
      expect(rows.some((r) => (r.id as bigint) % 1000n === 7n)).toBe(false);
    }
    {
      const dir = await table(partitioned);
      const { h, log } = await recording(dir);
      const res = await h.update({ where: 'id % 1000 = 7', set: { v: '-1' } }, options);
      expect(res.metrics).toMatchObject({ numUpdatedRows: FILES * 12, numRemovedFiles: FILES, numCopiedRows: FILES * (PER_FILE - 12) });
      expect(maxReadAhead(log), 'UPDATE').toBeLessThanOrEqual(BOUND);
      const rows = await (await DeltaTable.open(dir)).scan().toArray();
      expect(rows.length).toBe(FILES * PER_FILE);
      expect(rows.filter((r) => r.v === -1).map((r) => r.id as bigint).every((id) => id % 1000n === 7n)).toBe(true);
      expect(rows.filter((r) => r.v === -1).length).toBe(FILES * 12);
    }
    {
      const dir = await table(partitioned);
      const { h, log } = await recording(dir);
      // One matching key per file, and one new row.
      const ids = [...Array.from({ length: FILES }, (_, f) => BigInt(f * PER_FILE + 3)), -1n];
      const source = tableFromArrays({ id: BigInt64Array.from(ids), v: new Float64Array(ids.length).fill(-2) });
      const res = await h
        .merge(source, { on: 't.id = s.id', targetAlias: 't', sourceAlias: 's', ...options })
        .whenMatchedUpdate({ set: { v: 's.v' } })
        .whenNotMatchedInsert({ values: { id: 's.id', p: "'p0'", v: 's.v' } })
        .execute();
      expect(res.metrics).toMatchObject({ numTargetRowsUpdated: FILES, numTargetRowsInserted: 1, numTargetFilesRemoved: FILES, numTargetRowsCopied: FILES * (PER_FILE - 1) });
      // Pass 1 reads the keys of every file; pass 2's reads of each file's other columns interleave with the puts.
      expect(maxReadAhead(log), 'MERGE').toBeLessThanOrEqual(BOUND);
      const rows = await (await DeltaTable.open(dir)).scan().toArray();
      expect(rows.length).toBe(FILES * PER_FILE + 1);
      expect(rows.filter((r) => r.v === -2).map((r) => r.id as bigint).sort((a, b) => (a < b ? -1 : 1))).toEqual(ids.slice().sort((a, b) => (a < b ? -1 : 1)));
    }
  });
});
