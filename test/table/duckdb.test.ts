// Independent check: DuckDB reads the Parquet files of our active set and returns exactly the rows our reader returns.
import { afterAll, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { DeltaTable, type StructType } from '../../src/index.js';
import { cleanupTempDirs, tempDir } from '../helpers/tmp.js';

afterAll(cleanupTempDirs);

describe('DuckDB cross-check', () => {
  it('DuckDB over the active files returns our rows', async () => {
    const dir = tempDir();
    const schema: StructType = {
      type: 'struct',
      fields: [
        { name: 'id', type: 'long', nullable: false, metadata: {} },
        { name: 'name', type: 'string', nullable: true, metadata: {} },
        { name: 'amount', type: 'decimal(12,2)', nullable: true, metadata: {} },
        { name: 'ts', type: 'timestamp', nullable: true, metadata: {} },
        { name: 'region', type: 'string', nullable: true, metadata: {} },
      ],
    };
    const t = await DeltaTable.create(dir, { schema, partitionBy: ['region'] });
    const mk = (from: number, n: number) =>
      Array.from({ length: n }, (_, j) => {
        const i = from + j;
        return {
          id: BigInt(i),
          name: i % 5 ? `n${i}` : null,
          amount: `${i}.${String(i % 100).padStart(2, '0')}`,
          ts: new Date(Date.UTC(2024, 0, 1) + i * 1000),
          region: ['eu', 'us', 'a/b c', null][i % 4],
        };
      });
    await t.append(mk(0, 500));
    await t.append(mk(500, 300));
    await t.overwrite(mk(10_000, 50).map((r) => ({ ...r, region: 'eu' })), { replaceWhere: "region = 'eu'" });
    const ours = (await t.scan().toArray())
      .map((r) => `${r.id}|${r.name}|${r.amount}|${(r.ts as Date).toISOString()}|${r.region}`)
      .sort();
    const db = await DuckDBInstance.create(':memory:');
    const conn = await db.connect();
    const out: string[] = [];
    for (const add of t.files()) {
      const file = join(dir, decodeURIComponent(add.path)).replaceAll("'", "''");
      const res = await conn.runAndReadAll(
        `select id::varchar, name, amount::varchar, strftime(ts at time zone 'UTC', '%Y-%m-%dT%H:%M:%S.%g') || 'Z' from read_parquet('${file}')`,
      );
      for (const row of res.getRows()) {
        out.push(`${row[0]}|${row[1]}|${row[2]}|${row[3]}|${add.partitionValues.region ?? null}`);
      }
    }
    expect(out.sort()).toEqual(ours);
    expect(ours.length).toBe(800 - 200 + 50);
  });
});
