// The README's demo: create a table in a local folder, append, overwrite, time travel, history.
// Run: npm run demo [-- <folder>]   (default ./.demo-table, recreated each run)
import { rmSync } from 'node:fs';
import { resolve } from 'node:path';
import { DeltaTable, col, type StructType } from '../src/index.js';

const dir = resolve(process.argv[2] ?? '.demo-table');
rmSync(dir, { recursive: true, force: true });

const schema: StructType = {
  type: 'struct',
  fields: [
    { name: 'id', type: 'long', nullable: false, metadata: {} },
    { name: 'city', type: 'string', nullable: true, metadata: {} },
    { name: 'temp', type: 'double', nullable: true, metadata: {} },
    { name: 'day', type: 'date', nullable: true, metadata: {} },
  ],
};

const table = await DeltaTable.create(dir, { schema, partitionBy: ['day'] });
console.log(`created ${table.uri} at version ${table.version}`);

await table.append([
  { id: 1n, city: 'Oslo', temp: -3.5, day: '2024-01-01' },
  { id: 2n, city: 'Lisbon', temp: 14.0, day: '2024-01-01' },
  { id: 3n, city: 'Oslo', temp: -1.0, day: '2024-01-02' },
]);
console.log(`appended 3 rows -> version ${table.version}`);

await table.append([{ id: 4n, city: 'Cairo', temp: 21.5, day: '2024-01-02' }]);
console.log(`appended 1 row  -> version ${table.version}`);

await table.overwrite([{ id: 5n, city: 'Oslo', temp: 0.5, day: '2024-01-02' }], { replaceWhere: "day = DATE '2024-01-02'" });
console.log(`replaced day 2024-01-02 -> version ${table.version}`);

const show = (rows: Record<string, unknown>[]) =>
  console.table(rows.map((r) => ({ ...r, id: String(r.id), day: (r.day as Date).toISOString().slice(0, 10) })));

console.log('\nlatest:');
show(await table.scan().toArray());
console.log("latest, filter city = 'Oslo', columns id, temp:");
console.log((await table.scan({ filter: col('city').eq('Oslo'), columns: ['id', 'temp'] }).toArray()).map((r) => `${r.id}:${r.temp}`).join(' '));

console.log('\ntime travel to version 2:');
show(await (await DeltaTable.open(dir, { version: 2 })).scan().toArray());

await table.overwrite([{ id: 6n, city: 'Lima', temp: 19, day: '2024-01-03' }]);
console.log(`overwrote the whole table -> version ${table.version}, ${(await table.scan().toArray()).length} row(s)`);

console.log('\nhistory:');
for (const h of await table.history()) {
  console.log(`  v${h.version}  ${new Date(h.timestamp).toISOString()}  ${h.operation.padEnd(12)} ${JSON.stringify(h.operationParameters)}`);
}
console.log(`\nThe folder ${dir} is an ordinary Delta table: try  duckdb -c "select * from delta_scan('${dir}')"`);
