// Shared helpers of the vacuum / restore / optimize tests: conformance corpus location, table copies, file ageing.
import { cpSync, existsSync, readdirSync, statSync, utimesSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import { tempDir } from '../helpers/tmp.js';

export const CONFORMANCE_DIR = process.env.DELTATS_CONFORMANCE_DIR ?? join(import.meta.dirname, '..', '..', '..', 'shared', 'conformance');
export const HAVE_CONFORMANCE = existsSync(join(CONFORMANCE_DIR, 'cases.json'));
if (!HAVE_CONFORMANCE) console.warn(`conformance corpus not found at ${CONFORMANCE_DIR}: corpus-based maintenance tests are skipped`);

/** Copy a corpus table to a fresh temp folder (the corpus is read-only). */
export function copyCorpusTable(name: string): string {
  const dst = join(tempDir('deltats-maint-'), name);
  cpSync(join(CONFORMANCE_DIR, 'tables', name), dst, { recursive: true });
  return dst;
}

/** Every file under `root`, as '/'-separated relative paths. */
export function listFiles(root: string): string[] {
  const out: string[] = [];
  const walk = (d: string): void => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      if (e.isDirectory()) walk(p);
      else out.push(relative(root, p).split(sep).join('/'));
    }
  };
  walk(root);
  return out.sort();
}

/** Set the mtime of files (relative paths, or all data files when omitted) `hours` into the past. */
export function age(root: string, hours: number, files?: string[]): void {
  const t = new Date(Date.now() - hours * 3600_000);
  for (const f of files ?? listFiles(root).filter((p) => !p.startsWith('_delta_log/'))) utimesSync(join(root, f), t, t);
}

export function mtimeMs(root: string, f: string): number {
  return statSync(join(root, f)).mtimeMs;
}

/** Canonical multiset of rows (JSON lines with bigint as text), sorted. */
export function rowSet(rows: Record<string, unknown>[]): string[] {
  return rows
    .map((r) =>
      JSON.stringify(r, (_k, v: unknown) =>
        typeof v === 'bigint' ? `${v}n` : v instanceof Map ? [...v.entries()] : v instanceof Uint8Array ? Buffer.from(v).toString('hex') : v,
      ),
    )
    .sort();
}
