// Adds the conformance cases that pass now to conformance/must-pass.json (never removes one: the list only grows).
// Usage: tsx conformance/update-must-pass.ts
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { REPO_ROOT, corpusDir, corpusExists, CorpusNotFoundError, formatResult, formatSummary, runConformance } from './run.js';

const file = path.join(REPO_ROOT, 'conformance/must-pass.json');

async function main(): Promise<number> {
  const dir = corpusDir();
  if (!corpusExists(dir)) {
    console.error(new CorpusNotFoundError(dir).message);
    return 1;
  }
  const current = JSON.parse(readFileSync(file, 'utf8')) as string[];
  const rep = await runConformance({ dir, onResult: (r) => console.log(formatResult(r)) });
  console.log(formatSummary(rep));
  const known = new Set(current);
  const added = rep.results.filter((r) => r.passed && !known.has(r.name)).map((r) => r.name);
  const order = rep.results.map((r) => r.name);
  const next = [...current, ...added].sort((a, b) => {
    const ia = order.indexOf(a);
    const ib = order.indexOf(b);
    return (ia < 0 ? Infinity : ia) - (ib < 0 ? Infinity : ib) || (a < b ? -1 : a > b ? 1 : 0);
  });
  writeFileSync(file, `${JSON.stringify(next, null, 2)}\n`);
  const regressed = rep.results.filter((r) => !r.passed && known.has(r.name)).map((r) => r.name);
  console.log(`must-pass.json: ${next.length} cases (${added.length} added${added.length ? `: ${added.join(', ')}` : ''})`);
  if (regressed.length > 0) console.error(`REGRESSED (still listed, now failing): ${regressed.join(', ')}`);
  return regressed.length > 0 ? 1 : 0;
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(err instanceof Error ? `${err.name}: ${err.message}` : String(err));
    process.exit(1);
  },
);
