// Consumer smoke test, run by test/package/run.ts inside a temp project where deltats is installed from the
// packed tarball: only the public API through the package name, plain Node ESM (no tsx, no TypeScript).
import { strict as assert } from 'node:assert';
import { DeltaTable, col, TableNotFoundError } from 'deltats';
import { DateDay, tableFromArrays, vectorFromArray } from 'apache-arrow';

const uri = process.argv[2];
assert.ok(uri, 'usage: node smoke.mjs <table-dir>');

const table = await DeltaTable.create(uri, {
  schema: {
    type: 'struct',
    fields: [
      { name: 'id', type: 'long', nullable: false, metadata: {} },
      { name: 'kind', type: 'string', nullable: true, metadata: {} },
      { name: 'day', type: 'date', nullable: true, metadata: {} },
    ],
  },
  partitionBy: ['day'],
});
assert.equal(table.version, 0);
const r1 = await table.append([
  { id: 1n, kind: 'click', day: '2024-01-01' },
  { id: 2n, kind: 'view', day: '2024-01-02' },
]);
assert.equal(r1.version, 1);
// Arrow data, as apache-arrow (a dependency of deltats) builds it.
const day = vectorFromArray([new Date(Date.UTC(2024, 0, 2))], new DateDay());
const r2 = await table.append(tableFromArrays({ id: BigInt64Array.from([3n]), kind: ['click'], day }));
assert.equal(r2.version, 2);

const reopened = await DeltaTable.open(uri);
assert.equal(reopened.version, 2);
const clicks = await reopened.scan({ columns: ['id', 'day'], filter: col('kind').eq('click') }).toArray();
const got = clicks.map((r) => `${r.id}:${String(r.day)}`).sort();
assert.equal(got.length, 2, `expected 2 click rows, got ${JSON.stringify(got)}`);
assert.ok(got[0].startsWith('1:') && got[1].startsWith('3:'), `unexpected rows ${JSON.stringify(got)}`);
const all = await (await DeltaTable.open(uri, { version: 1 })).scan().toArray();
assert.deepEqual(all.map((r) => Number(r.id)).sort(), [1, 2]);
const history = await reopened.history();
assert.deepEqual(history.map((h) => h.version), [2, 1, 0]);

await assert.rejects(DeltaTable.open(`${uri}-missing`), TableNotFoundError);

// Streamed append (encoded in worker threads: several files) and a scan decoded in worker threads: the worker entry
// must resolve inside the installed package. Random doubles keep each file past the size decoded inline.
const big = await DeltaTable.create(`${uri}-big`, {
  schema: { type: 'struct', fields: [{ name: 'v', type: 'double', nullable: false, metadata: {} }] },
  threads: 2,
});
async function* chunks() {
  for (let c = 0; c < 8; c++) yield tableFromArrays({ v: Float64Array.from({ length: 25_000 }, () => Math.random()) });
}
const streamed = await big.append(chunks(), { targetFileSize: 256 * 1024 });
assert.ok(streamed.addedFiles.length >= 4, `expected several files, got ${streamed.addedFiles.length}`);
let n = 0;
for await (const b of big.scan({ threads: 2 })) n += b.numRows;
assert.equal(n, 200_000);
console.log(`smoke: ${got.length} click rows of 3, versions ${history.map((h) => h.version).join(',')}, ${n} rows streamed in ${streamed.addedFiles.length} files`);
