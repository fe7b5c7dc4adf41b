// DELETE / UPDATE / MERGE against a plain TypeScript model: seeded random sequences of appends, deletes, updates and
// merges (nulls in keys and conditions) on partitioned and unpartitioned tables, deletion vectors on, off and turned
// off over files that carry them (copy-on-write over DVs), files of one or several row groups. After
// each step the scan equals the model; at the end every version time-travels to the model at that version, and
// DuckDB over the active Parquet files minus deletion-vector rows equals our scan.
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { afterAll, describe, expect, it } from 'vitest';
import { DeltaTable } from '../../../src/index.js';
import { readDeletionVector } from '../../../src/log/deletion_vectors.js';
import { DataFile } from '../../../src/table/read_file.js';
import { cleanupTempDirs, tempDir } from '../../helpers/tmp.js';
import { Generator, SCHEMA, rng, sortedKeys, type Row } from './model.js';

afterAll(cleanupTempDirs);

const STEPS = Number(process.env.DML_MODEL_STEPS ?? 150);

/** The rows DuckDB reads from the active files, minus each file's deletion-vector rows. */
async function duckdbRows(dir: string, t: DeltaTable): Promise<string[]> {
  const db = await DuckDBInstance.create(':memory:');
  const conn = await db.connect();
  const out: Record<string, unknown>[] = [];
  try {
    for (const add of t.files()) {
      const file = join(dir, decodeURIComponent(add.path)).replaceAll("'", "''");
      const deleted = add.deletionVector ? new Set((await readDeletionVector(t.store, add.deletionVector)).toArray()) : new Set<number>();
      const cols = t.partitionColumns.includes('p') ? 'id, v, s' : 'id, p, v, s';
      const res = await conn.runAndReadAll(`select ${cols}, file_row_number from read_parquet('${file}', file_row_number = true)`);
      for (const row of res.getRowObjects()) {
        if (deleted.has(Number(row.file_row_number))) continue;
        const p = t.partitionColumns.includes('p') ? (add.partitionValues.p ?? null) : row.p;
        out.push({ id: row.id, p, v: row.v, s: row.s });
      }
    }
  } finally {
    conn.closeSync();
  }
  return sortedKeys(out);
}

/** The model's rows (sorted keys) after applying change rows: delete / update_preimage leave, insert / update_postimage arrive. */
function applyChanges(before: string[], changes: Record<string, unknown>[]): string[] {
  const rows = new Map<string, number>();
  for (const k of before) rows.set(k, (rows.get(k) ?? 0) + 1);
  for (const c of changes) {
    const k = sortedKeys([c])[0]!;
    if (c._change_type === 'delete' || c._change_type === 'update_preimage') {
      const n = rows.get(k) ?? 0;
      if (n === 0) throw new Error(`change ${String(c._change_type)} of a row not in the table: ${k}`);
      rows.set(k, n - 1);
    } else if (c._change_type === 'insert' || c._change_type === 'update_postimage') rows.set(k, (rows.get(k) ?? 0) + 1);
    else throw new Error(`unknown _change_type ${String(c._change_type)}`);
  }
  return [...rows].flatMap(([k, n]) => new Array<string>(n).fill(k)).sort();
}

describe.each([
  { partitioned: false, dv: false, cdf: false, seed: 11, rowGroupSize: undefined },
  { partitioned: true, dv: false, cdf: true, seed: 12, rowGroupSize: undefined },
  { partitioned: false, dv: true, cdf: true, seed: 13, rowGroupSize: undefined },
  { partitioned: true, dv: true, cdf: false, seed: 14, rowGroupSize: undefined },
  // Files of several row groups (DML reads and rewrites them row group by row group), DV files among them.
  { partitioned: true, dv: false, cdf: false, seed: 15, rowGroupSize: 3 },
  { partitioned: false, dv: false, cdf: true, seed: 16, rowGroupSize: 4 },
  { partitioned: true, dv: true, cdf: true, seed: 17, rowGroupSize: 3 },
  // Deletion vectors turned off and on every 20 steps: copy-on-write DML over files that carry DVs.
  { partitioned: true, dv: 'toggled', cdf: false, seed: 18, rowGroupSize: 3 },
  { partitioned: false, dv: 'toggled', cdf: true, seed: 19, rowGroupSize: 4 },
])('DML model, partitioned=$partitioned, deletion vectors=$dv, change data feed=$cdf, row groups of $rowGroupSize', ({ partitioned, dv, cdf, seed, rowGroupSize }) => {
  it(`${STEPS} random steps: scan == model after each, time travel == model, DuckDB == scan`, { timeout: 600_000 }, async () => {
    const dir = tempDir('dml-model-');
    const properties: Record<string, string> = { 'delta.targetFileSize': '2000' };
    if (dv) properties['delta.enableDeletionVectors'] = 'true';
    if (cdf) properties['delta.enableChangeDataFeed'] = 'true';
    const t = await DeltaTable.create(dir, { schema: SCHEMA, partitionBy: partitioned ? ['p'] : [], properties });
    const gen = new Generator(rng(seed), rowGroupSize ? { rowGroupSize } : {});
    let model: Row[] = [];
    const atVersion = new Map<number, string[]>([[0, []]]);
    let dvFiles = 0;
    let cowOverDv = 0;
    let multiGroup = 0;
    for (let i = 0; i < STEPS; i++) {
      const step = gen.step(partitioned);
      await step.run(t);
      model = step.model(model);
      const expected = sortedKeys(model as unknown as Record<string, unknown>[]);
      const actual = sortedKeys(await t.scan().toArray());
      if (JSON.stringify(actual) !== JSON.stringify(expected)) {
        expect(actual, `step ${i}: ${step.describe}`).toEqual(expected);
      }
      atVersion.set(t.version, expected);
      dvFiles += t.files().filter((f) => f.deletionVector).length;
      if (i % 50 === 49) expect(await duckdbRows(dir, t)).toEqual(expected);
      if (dv === 'toggled' && i % 20 === 19) {
        const on = (i / 20) % 2 === 1;
        if (!on) cowOverDv += t.files().filter((f) => f.deletionVector).length;
        await t.setProperties({ 'delta.enableDeletionVectors': String(on) });
        atVersion.set(t.version, expected);
      }
      if (rowGroupSize && i % 10 === 9) {
        for (const f of t.files()) if ((await DataFile.open({ store: t.store, add: f, config: t.snapshot.config })).rowGroups.length > 1) multiGroup++;
      }
    }
    if (dv) expect(dvFiles).toBeGreaterThan(0);
    else expect(dvFiles).toBe(0);
    if (dv === 'toggled') expect(cowOverDv, 'files with DVs when DVs were turned off').toBeGreaterThan(0);
    if (rowGroupSize) expect(multiGroup, 'active files of several row groups after steps').toBeGreaterThan(0);
    expect(await duckdbRows(dir, t)).toEqual(sortedKeys(model as unknown as Record<string, unknown>[]));
    // Every version (including the ones a step did not record: none, as each step commits at most one version).
    for (let v = 0; v <= t.version; v++) {
      const tt = await DeltaTable.open(dir, { version: v });
      const rows = sortedKeys(await tt.scan().toArray());
      // A version no step recorded would be a commit the model does not know about.
      expect(atVersion.has(v), `version ${v} was committed by no step`).toBe(true);
      expect(rows, `version ${v}`).toEqual(atVersion.get(v));
    }
    if (!cdf) {
      await expect(t.changes({ startingVersion: 0 }).toArray()).rejects.toThrow(/change data was not recorded for version 0/);
      return;
    }
    // Change data feed: each version's changes turn the model before it into the model after it.
    const all = await t.changes({ startingVersion: 1 }).toArray();
    for (let v = 1; v <= t.version; v++) {
      const one = await t.changes({ startingVersion: v, endingVersion: v }).toArray();
      expect(one.every((r) => r._commit_version === BigInt(v))).toBe(true);
      expect(sortedKeys(one)).toEqual(sortedKeys(all.filter((r) => r._commit_version === BigInt(v))));
      expect(applyChanges(atVersion.get(v - 1)!, one), `changes of version ${v}`).toEqual(atVersion.get(v));
    }
  });
});
