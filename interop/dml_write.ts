// Interop check for DML (issue 13), deltats side: writes tables with DELETE / UPDATE / MERGE, copy-on-write and with
// deletion vectors + change data feed, and records what deltats reads back (rows, changes) in <dir>/expected.json.
// Usage: npx tsx interop/dml_write.ts <dir>; then interop/.venv/bin/python interop/dml_read.py <dir>.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DeltaTable, type StructType } from '../src/index.js';

const dir = process.argv[2]!;
const schema: StructType = {
  type: 'struct',
  fields: [
    { name: 'id', type: 'long', nullable: true, metadata: {} },
    { name: 'p', type: 'string', nullable: true, metadata: {} },
    { name: 'v', type: 'double', nullable: true, metadata: {} },
    { name: 's', type: 'string', nullable: true, metadata: {} },
  ],
};
const plain = (r: Record<string, unknown>): Record<string, unknown> =>
  Object.fromEntries(Object.entries(r).map(([k, v]) => [k, typeof v === 'bigint' ? Number(v) : v instanceof Date ? v.toISOString() : v]));

const expected: Record<string, unknown> = {};
for (const [name, properties] of [
  ['cow', {}],
  ['dv_cdf', { 'delta.enableDeletionVectors': 'true', 'delta.enableChangeDataFeed': 'true' }],
] as const) {
  const path = join(dir, name);
  const t = await DeltaTable.create(path, { schema, partitionBy: ['p'], properties: { ...properties } });
  await t.append(Array.from({ length: 40 }, (_, i) => ({ id: BigInt(i), p: ['a', 'b', null][i % 3], v: i / 2, s: i % 4 ? `s${i}` : null })));
  await t.append(Array.from({ length: 20 }, (_, i) => ({ id: BigInt(100 + i), p: 'c', v: i, s: 'late' })));
  await t.delete('id % 7 = 0');
  await t.delete('id IN (3, 4, 5)');
  await t.update({ where: "p = 'a' AND v > 5", set: { v: 'v * 10', s: "'upd'" } });
  await t.update({ where: 'id = 10', set: { p: "'z'" } });
  await t
    .merge(
      [
        { id: 1n, v: -1, s: 'gone' },
        { id: 2n, v: 222, s: 'm' },
        { id: 500n, v: 5, p: 'n', s: 'new' },
        { id: null, v: 6, p: 'n', s: 'nullkey' },
      ],
      { on: 't.id = s.id', targetAlias: 't', sourceAlias: 's' },
    )
    .whenMatchedDelete({ where: 's.v < 0' })
    .whenMatchedUpdate({ set: { v: 's.v', s: 's.s' } })
    .whenNotMatchedInsert({ values: { id: 's.id', v: 's.v', p: 's.p', s: 's.s' } })
    .whenNotMatchedBySourceDelete({ where: "t.s = 'late' AND t.v > 15" })
    .execute();
  const rows = (await t.scan().toArray()).map(plain);
  const entry: Record<string, unknown> = { version: t.version, rows, protocol: t.protocol, dvFiles: t.files().filter((f) => f.deletionVector).length };
  if (name === 'dv_cdf') entry.changes = (await t.changes({ startingVersion: 1 }).toArray()).map(plain);
  expected[name] = entry;
}
writeFileSync(join(dir, 'expected.json'), JSON.stringify(expected));
console.log(`wrote ${Object.keys(expected).join(', ')} under ${dir}`);
