// Shared test helpers for test/schema and test/table/stats: locating the read-only conformance corpus.
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const CONFORMANCE_DIR = process.env.DELTATS_CONFORMANCE_DIR ?? resolve(repoRoot, '..', 'shared', 'conformance');
export const HAVE_CONFORMANCE = existsSync(resolve(CONFORMANCE_DIR, 'cases.json'));
if (!HAVE_CONFORMANCE) {
  console.warn(`conformance corpus not found at ${CONFORMANCE_DIR} (set DELTATS_CONFORMANCE_DIR); skipping corpus tests`);
}

export interface ConformanceCase {
  name: string;
  schemaString: string;
  partitionColumns: string[];
  [k: string]: unknown;
}

export function loadCases(): ConformanceCase[] {
  if (!HAVE_CONFORMANCE) return [];
  return JSON.parse(readFileSync(resolve(CONFORMANCE_DIR, 'cases.json'), 'utf8')) as ConformanceCase[];
}

/** All actions of every JSON commit of a corpus table, in version order. */
export function readLogActions(table: string): Record<string, unknown>[] {
  const dir = resolve(CONFORMANCE_DIR, 'tables', table, '_delta_log');
  return readdirSync(dir)
    .filter((f) => /^\d{20}\.json$/.test(f))
    .sort()
    .flatMap((f) =>
      readFileSync(resolve(dir, f), 'utf8')
        .split('\n')
        .filter((l) => l.trim() !== '')
        .map((l) => JSON.parse(l) as Record<string, unknown>),
    );
}
