// The runner's comparisons, on a synthetic corpus and fake tables (no Delta reader involved).
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import * as arrow from 'apache-arrow';
import { afterAll, describe, expect, it } from 'vitest';
import {
  CorpusNotFoundError,
  formatResult,
  formatSummary,
  runConformance,
  type TableOpener,
  type TableUnderTest,
} from '../../conformance/run.js';
import type { Add } from '../../src/log/actions.js';
import { parseSchema } from '../../src/schema/json.js';

const schemaString = JSON.stringify({
  type: 'struct',
  fields: [
    { name: 'id', type: 'long', nullable: true, metadata: {} },
    { name: 'p', type: 'string', nullable: true, metadata: {} },
  ],
});
const protocol = { minReaderVersion: 1, minWriterVersion: 2, readerFeatures: null, writerFeatures: null };
const base = {
  description: '',
  features: [],
  protocol,
  partitionColumns: ['p'],
  columnMappingMode: 'none',
  schemaString,
  txns: { app: 3 },
  checkpointUsedForLatest: null,
};
const rows = [
  { id: '1', p: 'a' },
  { id: '2', p: null },
];
const cases = [
  { ...base, name: 'good', latestVersion: 1, numActiveFiles: 2, expected: { version: 1, numActiveFiles: 2, numRows: 2, rows }, expectedAtVersion: [{ version: 0, numActiveFiles: 1, numRows: 1, rows: [rows[0]] }] },
  { ...base, name: 'wrong-row', latestVersion: 1, numActiveFiles: 2, expected: { version: 1, numActiveFiles: 2, numRows: 2, rows: [rows[0], { id: '3', p: null }] } },
  { ...base, name: 'log-only', latestVersion: 1, numActiveFiles: 2, expected: { version: 1, numActiveFiles: 2, numRows: 7, rowsUnverified: true } },
  { ...base, name: 'broken', latestVersion: 1, numActiveFiles: 2, expected: { version: 1, numActiveFiles: 2, numRows: 2, rows } },
];

const dir = mkdtempSync(path.join(tmpdir(), 'deltats-conf-'));
mkdirSync(path.join(dir, 'tables'));
writeFileSync(path.join(dir, 'cases.json'), JSON.stringify(cases));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const add = (p: string, numRecords: number): Add => ({
  path: p,
  partitionValues: {},
  size: 1,
  modificationTime: 0,
  dataChange: true,
  stats: JSON.stringify({ numRecords }),
});

let scans = 0;
function fakeTable(version: number, ids: bigint[], ps: Array<string | null>, files: Add[]): TableUnderTest {
  return {
    version,
    schema: parseSchema(schemaString),
    partitionColumns: ['p'],
    snapshot: { protocol, txnVersion: (id) => (id === 'app' ? 3 : null), logSegment: {} },
    files: () => files,
    scan: () => ({
      toArrow: async () => {
        scans++;
        return new arrow.Table({
          id: arrow.vectorFromArray(ids, new arrow.Int64()),
          p: arrow.vectorFromArray(ps, new arrow.Utf8()),
        });
      },
    }),
  };
}

const opener: TableOpener = async (uri, version) => {
  const name = path.basename(uri);
  if (name === 'broken') throw new Error("table requires unsupported reader feature 'x'");
  if (version === 0) return fakeTable(0, [1n], ['a'], [add('f1', 1)]);
  return fakeTable(1, [2n, 1n], [null, 'a'], [add('f1', 1), add('f2', 6)]);
};

describe('runConformance', () => {
  it('passes matching cases, reports wrong rows, errors and log-only facts loudly', async () => {
    scans = 0;
    const rep = await runConformance({ dir, opener });
    const by = Object.fromEntries(rep.results.map((r) => [r.name, r]));
    expect(by.good!.passed).toBe(true);
    expect(by.good!.checked).toEqual(['v1:rows', 'v0:rows']);
    expect(formatResult(by.good!)).toBe('PASS good');

    expect(by['wrong-row']!.passed).toBe(false);
    expect(formatResult(by['wrong-row']!)).toBe(
      'FAIL wrong-row: v1 rows: expected 2 rows, got 2; 1 expected row(s) missing, 1 unexpected; expected {"id":"3","p":null}; actual {"id":"2","p":null}',
    );

    // log-only: no scan, numRows compared with add.stats numRecords (1 + 6 = 7)
    expect(by['log-only']!.passed).toBe(true);
    expect(by['log-only']!.checked).toEqual(['v1:log-only']);

    expect(formatResult(by.broken!)).toBe("FAIL broken: v1 error: Error: table requires unsupported reader feature 'x'");
    expect(formatSummary(rep)).toBe('2 passed, 2 failed');
    expect(scans).toBe(3); // good v1, good v0, wrong-row v1
  });

  it('checks version, file count, txn and schema', async () => {
    const bad: TableOpener = async () => {
      const t = fakeTable(2, [2n, 1n], [null, 'a'], [add('f1', 1)]);
      return { ...t, schema: parseSchema(schemaString.replace('"long"', '"integer"')), snapshot: { protocol, txnVersion: () => null, logSegment: { checkpoint: { version: 5, files: ['_delta_log/00000000000000000005.checkpoint.parquet'] } } } };
    };
    const rep = await runConformance({ dir, opener: bad, filters: ['good'] });
    const f = rep.results[0]!.failures;
    expect(f).toContain('v1 version: expected 1, got 2');
    expect(f).toContain('v1 schema.fields[0].type: expected "long", got "integer"');
    expect(f).toContain("v1 txn 'app': expected version 3, got null");
    expect(f).toContain('v1 numActiveFiles: expected 2, got 1');
    expect(f).toContain('v1 checkpoint used: expected null, got 5');
  });

  it('logOnly compares log facts without scanning', async () => {
    scans = 0;
    const rep = await runConformance({ dir, opener, logOnly: true, filters: ['good', 'wrong-row'] });
    expect(rep.results.map((r) => [r.name, r.passed, r.checked])).toEqual([
      ['good', true, ['v1:log-only', 'v0:log-only']],
      ['wrong-row', true, ['v1:log-only']],
    ]);
    expect(scans).toBe(0);
  });

  it('filters by case name and names a missing corpus', async () => {
    const rep = await runConformance({ dir, opener, filters: ['log'] });
    expect(rep.results.map((r) => r.name)).toEqual(['log-only']);
    await expect(runConformance({ dir: path.join(dir, 'nope'), opener })).rejects.toThrow(CorpusNotFoundError);
    await expect(runConformance({ dir: path.join(dir, 'nope'), opener })).rejects.toThrow(
      /conformance corpus not found at .*nope \(set DELTATS_CONFORMANCE_DIR\)/,
    );
  });
});
