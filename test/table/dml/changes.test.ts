// The change data feed: what DML writes (_change_data files, cdc actions, change types of exactly the changed rows),
// what changes() reads (cdc files, else derived from adds/removes and deletion vectors), and Spark/delta-rs-written
// CDF tables of the conformance corpus: each version's changes turn the previous version's rows into its rows.
import { cpSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { DeltaTable, InvalidArgumentError } from '../../../src/index.js';
import { CONFORMANCE_DIR, HAVE_CONFORMANCE } from '../../schema/helpers.js';
import { cleanupTempDirs, tempDir } from '../../helpers/tmp.js';
import { SCHEMA } from './model.js';

afterAll(cleanupTempDirs);

const brief = (rows: Record<string, unknown>[]): string[] => rows.map((r) => `${r._change_type}:${r.id}:${r.v}:${r._commit_version}`).sort();

async function cdfTable(dv: boolean) {
  const dir = tempDir('cdf-');
  const properties: Record<string, string> = { 'delta.enableChangeDataFeed': 'true' };
  if (dv) properties['delta.enableDeletionVectors'] = 'true';
  const t = await DeltaTable.create(dir, { schema: SCHEMA, partitionBy: ['p'], properties });
  await t.append(Array.from({ length: 10 }, (_, i) => ({ id: BigInt(i), p: i < 5 ? 'a' : 'b', v: i, s: 'x' })));
  return { dir, t };
}

describe.each([false, true])('change data feed written by DML (deletion vectors %s)', (dv) => {
  it('DELETE, UPDATE and MERGE write _change_data files with exactly the changed rows', async () => {
    const { dir, t } = await cdfTable(dv);
    const d = await t.delete('id = 1');
    expect(d.metrics.numAddedChangeFiles).toBe(1);
    const u = await t.update({ where: 'id = 7', set: { v: 'v * 10' } });
    const m = await t
      .merge([{ id: 2n, v: 20 }, { id: 99n, v: 99, p: 'c' }, { id: 8n, v: -1 }], { on: 't.id = s.id', targetAlias: 't', sourceAlias: 's' })
      .whenMatchedDelete({ where: 's.v < 0' })
      .whenMatchedUpdate({ set: { v: 's.v' } })
      .whenNotMatchedInsert({ values: { id: 's.id', v: 's.v', p: 's.p' } })
      .execute();
    expect(m.metrics.numTargetChangeFilesAdded).toBeGreaterThan(0);
    expect(readdirSync(join(dir, '_change_data'), { recursive: true }).some((f) => /cdc-\d{5}-.*\.parquet$/.test(String(f)))).toBe(true);
    const log = readFileSync(join(dir, '_delta_log', `${String(u.version).padStart(20, '0')}.json`), 'utf8');
    const cdc = log.split('\n').filter(Boolean).map((l) => JSON.parse(l)).filter((a) => a.cdc);
    expect(cdc[0].cdc).toMatchObject({ dataChange: false, partitionValues: { p: 'b' } });
    expect(cdc[0].cdc.path).toMatch(/^_change_data\/p=b\/cdc-/);

    expect(brief(await t.changes({ startingVersion: d.version, endingVersion: d.version }).toArray())).toEqual(['delete:1:1:2']);
    expect(brief(await t.changes({ startingVersion: u.version, endingVersion: u.version }).toArray())).toEqual(['update_postimage:7:70:3', 'update_preimage:7:7:3']);
    expect(brief(await t.changes({ startingVersion: m.version }).toArray())).toEqual([
      'delete:8:8:4',
      'insert:99:99:4',
      'update_postimage:2:20:4',
      'update_preimage:2:2:4',
    ]);
    // Appends are derived from add actions; the range starts at the creation.
    const all = await t.changes({ startingVersion: 0 }).toArray();
    expect(all.filter((r) => r._commit_version === 1n && r._change_type === 'insert')).toHaveLength(10);
    const ts = all[0]!._commit_timestamp as Date;
    expect(ts).toBeInstanceOf(Date);
    expect(Math.abs(ts.getTime() - Date.now())).toBeLessThan(60_000);
  });
});

describe('changes() arguments', () => {
  it('refuses a range where CDF was off, and bad ranges', async () => {
    const dir = tempDir('cdf-');
    const t = await DeltaTable.create(dir, { schema: SCHEMA });
    await t.append([{ id: 1n }]);
    await expect(t.changes({ startingVersion: 0 }).toArray()).rejects.toThrow(/change data was not recorded for version 0/);
    expect(() => t.changes({} as never)).toThrow(InvalidArgumentError);
    await expect(t.changes({ startingVersion: 5 }).toArray()).rejects.toThrow(/after the ending version/);
  });
});

describe.skipIf(!HAVE_CONFORMANCE)('change data feed of corpus tables (cdc files and DVs written by Spark / delta-rs)', () => {
  it.each(['rs-cdf-table', 'rs-simple_table_with_cdc', 'rs-cdf-table-with-cdc-and-dvs'])(
    '%s: changes of each version turn the rows before it into the rows after it',
    async (name) => {
      const dir = tempDir('cdf-corpus-');
      cpSync(join(CONFORMANCE_DIR, 'tables', name), dir, { recursive: true });
      const latest = await DeltaTable.open(dir);
      const key = (r: Record<string, unknown>): string =>
        JSON.stringify(
          Object.keys(r)
            .filter((k) => !k.startsWith('_'))
            .sort()
            .map((k) => [k, r[k] instanceof Date ? (r[k] as Date).toISOString() : String(r[k])]),
        );
      let checked = 0;
      let prev: string[] | null = null;
      for (let v = 0; v <= latest.version; v++) {
        const rows = (await (await DeltaTable.open(dir, { version: v })).scan().toArray()).map(key).sort();
        let changes: Record<string, unknown>[];
        try {
          changes = await latest.changes({ startingVersion: v, endingVersion: v }).toArray();
        } catch (e) {
          if (e instanceof InvalidArgumentError && /not recorded/.test(e.message)) {
            prev = rows;
            continue;
          }
          throw e;
        }
        if (prev) {
          const bag = new Map<string, number>();
          for (const k of prev) bag.set(k, (bag.get(k) ?? 0) + 1);
          for (const c of changes) {
            const k = key(c);
            if (c._change_type === 'delete' || c._change_type === 'update_preimage') {
              expect(bag.get(k) ?? 0, `version ${v}: ${c._change_type} of ${k}`).toBeGreaterThan(0);
              bag.set(k, bag.get(k)! - 1);
            } else bag.set(k, (bag.get(k) ?? 0) + 1);
          }
          expect([...bag].flatMap(([k, n]) => new Array<string>(n).fill(k)).sort(), `version ${v}`).toEqual(rows);
          checked++;
        }
        prev = rows;
      }
      expect(checked).toBeGreaterThan(0);
    },
  );
});
