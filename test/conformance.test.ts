// Every table of the conformance corpus through the same runner as `npm run conformance`; the cases listed in
// conformance/must-pass.json must pass (the list only grows: `tsx conformance/update-must-pass.ts`).
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  CorpusNotFoundError,
  REPO_ROOT,
  corpusDir,
  corpusExists,
  formatResult,
  formatSummary,
  loadCases,
  openWithDeltaTable,
  runConformance,
  type TableOpener,
} from '../conformance/run.js';

const dir = corpusDir();
const present = corpusExists(dir);
if (!present) console.warn(`skipping conformance: ${new CorpusNotFoundError(dir).message}`);

const mustPass = JSON.parse(readFileSync(path.join(REPO_ROOT, 'conformance/must-pass.json'), 'utf8')) as string[];

describe('conformance corpus', () => {
  it.skipIf(!present)('must-pass.json names real cases', () => {
    const names = new Set(loadCases(dir).map((c) => c.name));
    expect(mustPass.filter((n) => !names.has(n))).toEqual([]);
  });

  it.skipIf(!present)('a scan that loses one row of a real table is a loud FAIL', async () => {
    const dropLast: TableOpener = async (uri, version) => {
      const t = await openWithDeltaTable(uri, version);
      return {
        version: t.version,
        schema: t.schema,
        partitionColumns: t.partitionColumns,
        snapshot: t.snapshot,
        files: () => t.files(),
        scan: () => ({
          toArrow: async () => {
            const all = await t.scan().toArrow();
            return all.slice(0, all.numRows - 1);
          },
        }),
      };
    };
    const rep = await runConformance({ dir, filters: ['spark-data-reader-primitives'], opener: dropLast });
    expect(rep.failed).toBe(1);
    expect(formatResult(rep.results[0]!)).toMatch(
      /^FAIL spark-data-reader-primitives: v0 rows: expected 11 rows, got 10; 1 expected row\(s\) missing, 0 unexpected; expected \{/,
    );
  });

  it.skipIf(!present)('every case in must-pass.json passes', { timeout: 600_000 }, async () => {
    const rep = await runConformance({ dir });
    console.log([...rep.results.map((r) => formatResult(r, true)), formatSummary(rep)].join('\n'));
    const failedMustPass = rep.results.filter((r) => !r.passed && mustPass.includes(r.name)).map((r) => formatResult(r));
    expect(failedMustPass).toEqual([]);
  });
});
