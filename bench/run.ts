// `npm run bench`: every benchmark of the project, one after another. Figures are ratios against a baseline
// measured in the same run, plus absolute numbers. Select one with: npm run bench -- core|streaming|windows|dml|s3|peers|parallel|scan
// (peers needs interop/setup.sh: it runs delta-rs next to deltats)
import { run as core } from './core.js';
import { run as streaming } from './streaming.js';
import { run as s3 } from './s3.js';
import { run as windows } from './windows.js';
import { run as dml } from './dml.js';
import { run as peers } from './peers.js';
import { run as parallel } from './parallel.js';
import { run as scan } from './scan.js';

const which = process.argv[2];
const suites: Record<string, () => Promise<void>> = { core, streaming, windows, dml, s3, peers, parallel, scan };
for (const [name, run] of Object.entries(suites)) {
  if (which && which !== name) continue;
  console.log(`\n######## ${name}`);
  await run();
}
