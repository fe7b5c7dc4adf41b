// Child process of bench/scan.ts: a batch-by-batch full scan of the table at argv[2] (argv[3]: decode threads, default
// the scan's), nothing kept. Prints one JSON line {ms, peakMb, rows}; peak RSS is the kernel's high-water mark of this
// process, its worker threads included: VmHWM of /proc/self/status (getrusage's maxrss would carry the parent's
// high-water mark across fork + exec on Linux, i.e. DuckDB's), else maxrss.
import { readFileSync } from 'node:fs';
import { DeltaTable } from '../src/index.js';

const dir = process.argv[2]!;
const threads = process.argv[3] === undefined ? undefined : Number(process.argv[3]);
const t0 = performance.now();
const table = await DeltaTable.open(dir);
let rows = 0;
for await (const batch of table.scan({ threads })) rows += batch.numRows;
const ms = performance.now() - t0;
function peakKb(): number {
  try {
    const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync('/proc/self/status', 'utf8'));
    if (m) return Number(m[1]);
  } catch {
    // not Linux
  }
  return process.resourceUsage().maxRSS;
}
console.log(JSON.stringify({ ms, peakMb: peakKb() / 1024, rows }));
