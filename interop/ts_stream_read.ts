// Worker for the shared-table scenarios: a deltats stream (DeltaSource, one file per micro-batch) follows a table
// that other engines keep appending to, until it has `expected` rows or 180 s pass; writes the rows it got as JSON.
// Usage: tsx interop/ts_stream_read.ts <uri> <expected> <outFile>
import { writeFileSync } from 'node:fs';
import { DeltaSource } from '../src/index.js';
import type { DeltaSourceOffset } from '../src/index.js';

const [uri, expectedText, outFile] = process.argv.slice(2);
if (!uri || !expectedText || !outFile) throw new Error('usage: ts_stream_read.ts <uri> <expected> <outFile>');
const expected = Number(expectedText);
const source = new DeltaSource(uri, { startingVersion: 0 });
const rows: Array<[string, string]> = [];
let start: DeltaSourceOffset | null = null;
let batches = 0;
const deadline = Date.now() + 180_000;
while (rows.length < expected && Date.now() < deadline) {
  const end = await source.latestOffset(start, { maxFiles: 1 });
  if (end === null || JSON.stringify(end) === JSON.stringify(start)) {
    await new Promise((r) => setTimeout(r, 100));
    continue;
  }
  const batch = await source.getBatch(start, end);
  for (const r of batch.toArray()) rows.push([String(r.writer), String(r.i)]);
  batches++;
  start = end;
}
writeFileSync(outFile, JSON.stringify(rows));
console.log(`stream: ${rows.length} rows in ${batches} micro-batches`);
