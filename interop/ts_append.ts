// Worker for the shared-table scenarios: appends `count` one-row commits {writer, i} to an existing table.
// Usage: tsx interop/ts_append.ts <uri> <writer> <count> [storageOptionsJSON]
import { DeltaTable } from '../src/index.js';

const [uri, writer, countText, optionsJson] = process.argv.slice(2);
if (!uri || !writer || !countText) throw new Error('usage: ts_append.ts <uri> <writer> <count> [storageOptionsJSON]');
const storageOptions = optionsJson ? (JSON.parse(optionsJson) as Record<string, string>) : undefined;
const table = await DeltaTable.open(uri, { storageOptions });
let retries = 0;
for (let i = 0; i < Number(countText); i++) {
  const r = await table.append([{ writer, i: BigInt(i) }]);
  retries += r.retries;
}
console.log(`${writer}: ${countText} commits, ${retries} lost races retried`);
