// Child process of bench/scan.ts: a batch-by-batch full scan, nothing kept, of the table at argv[3] with the DeltaTable
// of the module at argv[2] (the built package, run by plain node as a user runs it; or src/index.ts under tsx);
// argv[4]: decode threads (default: the scan's). Plain JavaScript, so that measuring the built package needs no tsx
// (which would load into every worker thread too). Prints one JSON line {ms, peakMb, rows}; peak RSS is the kernel's
// high-water mark of this process, its worker threads included: VmHWM of /proc/self/status (getrusage's maxrss
// would carry the parent's high-water mark across fork + exec on Linux, i.e. DuckDB's), else maxrss.
import { readFileSync } from 'node:fs';

const [, , entry, dir, threadsArg] = process.argv;
const { DeltaTable } = await import(entry);
const threads = threadsArg === undefined ? undefined : Number(threadsArg);
const t0 = performance.now();
const table = await DeltaTable.open(dir);
let rows = 0;
for await (const batch of table.scan({ threads })) rows += batch.numRows;
const ms = performance.now() - t0;
function peakKb() {
  try {
    const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync('/proc/self/status', 'utf8'));
    if (m) return Number(m[1]);
  } catch {
    // not Linux
  }
  return process.resourceUsage().maxRSS;
}
console.log(JSON.stringify({ ms, peakMb: peakKb() / 1024, rows }));
