// Child process of bench/scan.ts: a batch-by-batch full scan of the table at argv[2] (argv[3]: decode threads, default
// the scan's), nothing kept. Prints one JSON line {ms, peakMb, rows}; peak RSS is the kernel's high-water mark of this
// process, its worker threads included (getrusage maxrss).
import { DeltaTable } from '../src/index.js';

const dir = process.argv[2]!;
const threads = process.argv[3] === undefined ? undefined : Number(process.argv[3]);
const t0 = performance.now();
const table = await DeltaTable.open(dir);
let rows = 0;
for await (const batch of table.scan({ threads })) rows += batch.numRows;
const ms = performance.now() - t0;
console.log(JSON.stringify({ ms, peakMb: process.resourceUsage().maxRSS / 1024, rows }));
