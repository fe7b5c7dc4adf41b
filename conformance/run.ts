// Conformance runner: reads every table of the corpus (../shared/conformance) through the public DeltaTable API
// and compares log facts and canonical rows with cases.json. It never reads a Delta log itself.
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type * as arrow from 'apache-arrow';
import type { Add } from '../src/log/actions.js';
import type { Snapshot } from '../src/log/snapshot.js';
import type { StructType } from '../src/schema/types.js';
import { parseSchema } from '../src/schema/json.js';
import { arrowTypeDifference } from './arrow_contract.js';
import { canonicalLines, canonicalLinesFromJson, rowsSha256 } from './canonical.js';

export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

// ---------------------------------------------------------------------------------------------------------------
// cases.json (see the corpus README.md)

export interface ExpectedVersion {
  version: number;
  numActiveFiles: number;
  numRows: number | null;
  rows?: unknown[];
  rowsSha256?: string;
  rowsUnverified?: boolean;
  reason?: string;
}

export interface ConformanceCase {
  name: string;
  description: string;
  features: string[];
  latestVersion: number;
  protocol: {
    minReaderVersion: number;
    minWriterVersion: number;
    readerFeatures: string[] | null;
    writerFeatures: string[] | null;
  };
  partitionColumns: string[];
  columnMappingMode: string;
  schemaString: string;
  numActiveFiles: number;
  txns: Record<string, number> | null;
  /** The newest complete checkpoint at or below the latest version (null: replay from commit 0). */
  checkpointUsedForLatest: { version: number; kind: string; files: string[] } | null;
  expected: ExpectedVersion;
  expectedAtVersion?: ExpectedVersion[];
  notes?: string;
  rowsUnverified?: boolean;
}

// ---------------------------------------------------------------------------------------------------------------
// The part of the public table API the runner uses (DeltaTable satisfies it structurally).

export interface TableUnderTest {
  readonly version: number;
  readonly schema: StructType;
  readonly partitionColumns: readonly string[];
  readonly snapshot: {
    readonly protocol: {
      minReaderVersion: number;
      minWriterVersion: number;
      readerFeatures?: readonly string[] | null;
      writerFeatures?: readonly string[] | null;
    };
    txnVersion(appId: string): number | null | undefined;
    /** Optional (Snapshot has it): which checkpoint the snapshot was built from. */
    readonly logSegment?: { checkpoint?: { version: number; files: readonly string[] } | null };
  };
  files(): readonly Add[];
  scan(): { toArrow(): Promise<arrow.Table> };
}

/** Opens the table at `uri`; `version` undefined = latest. */
export type TableOpener = (uri: string, version: number | undefined) => Promise<TableUnderTest>;

/** The public API: `DeltaTable.open(uri, {version})` from src/index.ts, loaded lazily so a missing export is a FAIL. */
export const openWithDeltaTable: TableOpener = async (uri, version) => {
  const mod = (await import('../src/index.js')) as { DeltaTable?: { open(u: string, o: { version?: number }): Promise<unknown> } };
  if (!mod.DeltaTable) throw new Error('src/index.ts does not export DeltaTable');
  return (await mod.DeltaTable.open(uri, version === undefined ? {} : { version })) as TableUnderTest;
};

/**
 * Log facts only (`--log-only`): `Snapshot.load` on a LocalStore, no scan. For diagnosing log replay while the
 * table/scan layer is unavailable; a run in this mode never counts row checks as passed.
 */
export const openWithSnapshot: TableOpener = async (uri, version) => snapshotTable(await loadSnapshot(uri, version));

async function loadSnapshot(uri: string, version: number | undefined): Promise<Snapshot> {
  const { Snapshot: S } = await import('../src/log/snapshot.js');
  const { LocalStore } = await import('../src/storage/local.js');
  return S.load(new LocalStore(uri), version === undefined ? {} : { version });
}

function snapshotTable(snap: Snapshot): TableUnderTest {
  return {
    version: snap.version,
    schema: snap.schema,
    partitionColumns: snap.partitionColumns,
    snapshot: snap,
    files: () => snap.activeFiles(),
    scan: () => {
      throw new Error('no scan in --log-only mode');
    },
  };
}

/**
 * Diagnostic (`--per-file`): Snapshot.load + readDataFile (src/table/read_file.ts) for each active file, batches
 * concatenated. Separates per-file reading bugs from scan/DeltaTable bugs; the real suite uses DeltaTable.
 */
export const openWithPerFileRead: TableOpener = async (uri, version) => {
  const snap = await loadSnapshot(uri, version);
  const { readDataFile } = await import('../src/table/read_file.js');
  const { toArrowSchema } = await import('../src/schema/arrow.js');
  const { Table } = await import('apache-arrow');
  const mode = (snap.metadata.configuration['delta.columnMapping.mode'] ?? 'none') as 'none' | 'name' | 'id';
  return {
    ...snapshotTable(snap),
    scan: () => ({
      toArrow: async () => {
        const batches: arrow.RecordBatch[] = [];
        for (const add of snap.activeFiles()) {
          const part = await readDataFile({
            store: snap.store,
            add,
            snapshotSchema: snap.schema,
            partitionColumns: snap.partitionColumns,
            columnMappingMode: mode,
          });
          batches.push(...part.batches);
        }
        return batches.length > 0 ? new Table(batches) : new Table(toArrowSchema(snap.schema));
      },
    }),
  };
};

// ---------------------------------------------------------------------------------------------------------------
// Results

export interface CaseResult {
  name: string;
  passed: boolean;
  /** Every difference found, `v<version> <check>: <detail>`; the first one is what the summary line shows. */
  failures: string[];
  /** Versions checked, with what was compared (rows / log-only). */
  checked: string[];
  ms: number;
}

export interface ConformanceReport {
  corpus: string;
  results: CaseResult[];
  passed: number;
  failed: number;
}

export class CorpusNotFoundError extends Error {
  constructor(readonly corpus: string) {
    super(`conformance corpus not found at ${corpus} (set DELTATS_CONFORMANCE_DIR)`);
  }
}

/** Corpus directory: $DELTATS_CONFORMANCE_DIR, default ../shared/conformance relative to the repo root. */
export function corpusDir(): string {
  const env = process.env.DELTATS_CONFORMANCE_DIR;
  return env && env.length > 0 ? path.resolve(env) : path.resolve(REPO_ROOT, '../shared/conformance');
}

export function corpusExists(dir = corpusDir()): boolean {
  return existsSync(path.join(dir, 'cases.json'));
}

export function loadCases(dir = corpusDir()): ConformanceCase[] {
  if (!corpusExists(dir)) throw new CorpusNotFoundError(dir);
  return JSON.parse(readFileSync(path.join(dir, 'cases.json'), 'utf8')) as ConformanceCase[];
}

/** Cases whose name contains any of the filters (all cases when there is none). */
export function selectCases(cases: ConformanceCase[], filters: readonly string[]): ConformanceCase[] {
  if (filters.length === 0) return cases;
  return cases.filter((c) => filters.some((f) => c.name === f || c.name.includes(f)));
}

export async function runConformance(
  opts: {
    dir?: string;
    filters?: readonly string[];
    opener?: TableOpener;
    /** Check log facts only: no scan, rows not compared (see openWithSnapshot). */
    logOnly?: boolean;
    onResult?: (r: CaseResult) => void;
  } = {},
): Promise<ConformanceReport> {
  const dir = opts.dir ?? corpusDir();
  const cases = selectCases(loadCases(dir), opts.filters ?? []);
  const results: CaseResult[] = [];
  for (const c of cases) {
    const r = await runCase(c, dir, opts.opener ?? (opts.logOnly ? openWithSnapshot : openWithDeltaTable), opts.logOnly);
    results.push(r);
    opts.onResult?.(r);
  }
  const passed = results.filter((r) => r.passed).length;
  return { corpus: dir, results, passed, failed: results.length - passed };
}

export async function runCase(
  c: ConformanceCase,
  dir: string,
  opener: TableOpener,
  logOnly = false,
): Promise<CaseResult> {
  const t0 = Date.now();
  const uri = path.join(dir, 'tables', c.name);
  const failures: string[] = [];
  const checked: string[] = [];
  const entries: Array<{ e: ExpectedVersion; latest: boolean }> = [
    { e: c.expected, latest: true },
    ...(c.expectedAtVersion ?? []).map((e) => ({ e, latest: false })),
  ];
  for (const { e, latest } of entries) {
    const tag = `v${e.version}`;
    try {
      // The latest version is opened without a version, so that finding the latest version is tested too.
      const table = await opener(uri, latest ? undefined : e.version);
      const diffs = await checkVersion(c, e, latest, table, logOnly);
      failures.push(...diffs.map((d) => `${tag} ${d}`));
      checked.push(`${tag}:${e.rowsUnverified || logOnly ? 'log-only' : 'rows'}`);
    } catch (err) {
      failures.push(`${tag} error: ${describeError(err)}`);
    }
  }
  return { name: c.name, passed: failures.length === 0, failures, checked, ms: Date.now() - t0 };
}

function describeError(err: unknown): string {
  if (err instanceof Error) return `${err.name}: ${err.message}`;
  return String(err);
}

async function checkVersion(
  c: ConformanceCase,
  e: ExpectedVersion,
  latest: boolean,
  table: TableUnderTest,
  logOnly: boolean,
): Promise<string[]> {
  const diffs: string[] = [];
  if (table.version !== e.version) diffs.push(`version: expected ${e.version}, got ${table.version}`);
  if (latest) {
    // Protocol, schema, partition columns and txns in cases.json describe the latest version only.
    const p = table.snapshot.protocol;
    const want = c.protocol;
    if (p.minReaderVersion !== want.minReaderVersion || p.minWriterVersion !== want.minWriterVersion) {
      diffs.push(
        `protocol: expected reader/writer ${want.minReaderVersion}/${want.minWriterVersion}, got ${p.minReaderVersion}/${p.minWriterVersion}`,
      );
    }
    for (const k of ['readerFeatures', 'writerFeatures'] as const) {
      const a = featureList(p[k]);
      const b = featureList(want[k]);
      if (a !== b) diffs.push(`protocol.${k}: expected ${b}, got ${a}`);
    }
    const schemaDiff = firstDifference(parseSchema(c.schemaString), table.schema, 'schema');
    if (schemaDiff) diffs.push(schemaDiff);
    const pc = JSON.stringify([...table.partitionColumns]);
    if (pc !== JSON.stringify(c.partitionColumns)) {
      diffs.push(`partitionColumns: expected ${JSON.stringify(c.partitionColumns)}, got ${pc}`);
    }
    const seg = table.snapshot.logSegment;
    if (seg && c.checkpointUsedForLatest !== undefined) {
      // PROTOCOL.md "Checkpoints": a reader starts from the newest complete checkpoint at or below the version.
      const want = c.checkpointUsedForLatest?.version ?? null;
      const got = seg.checkpoint?.version ?? null;
      if (want !== got) diffs.push(`checkpoint used: expected ${String(want)}, got ${String(got)}`);
      else if (seg.checkpoint && c.checkpointUsedForLatest) {
        const names = seg.checkpoint.files.map((f) => f.split('/').pop());
        if (JSON.stringify(names) !== JSON.stringify(c.checkpointUsedForLatest.files)) {
          diffs.push(`checkpoint files: expected ${JSON.stringify(c.checkpointUsedForLatest.files)}, got ${JSON.stringify(names)}`);
        }
      }
    }
    for (const [appId, v] of Object.entries(c.txns ?? {})) {
      const got = table.snapshot.txnVersion(appId);
      if (got !== v) diffs.push(`txn '${appId}': expected version ${v}, got ${String(got)}`);
    }
  }
  const files = table.files();
  if (files.length !== e.numActiveFiles) {
    diffs.push(`numActiveFiles: expected ${e.numActiveFiles}, got ${files.length}`);
  }
  if (e.rowsUnverified) {
    // Log-only fixture: the data files are not in the corpus, so no scan. numRows (if known) is the sum of
    // add.stats.numRecords, which the log alone must reproduce.
    if (e.numRows !== null) {
      const n = statsRowCount(files);
      if (n !== e.numRows) diffs.push(`numRows from add.stats: expected ${e.numRows}, got ${String(n)}`);
    }
    return diffs;
  }
  if (logOnly) return diffs;
  let data: arrow.Table;
  let lines: string[];
  try {
    data = await table.scan().toArrow();
    lines = canonicalLines(data, table.schema);
  } catch (err) {
    diffs.push(`scan error: ${describeError(err)}`);
    return diffs;
  }
  if (e.rows) {
    const rowDiff = compareLines(canonicalLinesFromJson(e.rows, table.schema), lines);
    if (rowDiff) diffs.push(rowDiff);
  } else {
    if (lines.length !== e.numRows) diffs.push(`rows: expected ${String(e.numRows)} rows, got ${lines.length}`);
    else if (rowsSha256(lines) !== e.rowsSha256) diffs.push(`rows: same count ${lines.length} but rowsSha256 differs`);
  }
  // The scan must hand out the canonical Arrow type of each Delta type (docs/ARCHITECTURE.md, src/schema/arrow.ts).
  for (const f of table.schema.fields) {
    const af = data.schema.fields.find((x) => x.name === f.name);
    const d = af ? arrowTypeDifference(f.type, af.type, f.name) : null;
    if (d) diffs.push(`arrow type: ${d}`);
  }
  return diffs;
}

function featureList(x: readonly string[] | null | undefined): string {
  return x ? JSON.stringify([...x].sort()) : 'none';
}

/** Multiset comparison of sorted canonical lines; describes the first missing and first unexpected line. */
export function compareLines(expected: readonly string[], actual: readonly string[]): string | null {
  if (expected.length === actual.length && expected.every((l, i) => l === actual[i])) return null;
  const count = new Map<string, number>();
  for (const l of actual) count.set(l, (count.get(l) ?? 0) + 1);
  const missing: string[] = [];
  for (const l of expected) {
    const n = count.get(l) ?? 0;
    if (n > 0) count.set(l, n - 1);
    else missing.push(l);
  }
  const unexpected: string[] = [];
  for (const [l, n] of count) for (let i = 0; i < n; i++) unexpected.push(l);
  const parts = [`rows: expected ${expected.length} rows, got ${actual.length}`];
  parts.push(`${missing.length} expected row(s) missing, ${unexpected.length} unexpected`);
  if (missing[0] !== undefined) parts.push(`expected ${clip(missing[0])}`);
  if (unexpected[0] !== undefined) parts.push(`actual ${clip(unexpected.sort()[0]!)}`);
  return parts.join('; ');
}

function clip(s: string, n = 400): string {
  return s.length > n ? `${s.slice(0, n)}...(${s.length} chars)` : s;
}

/** Sum of add.stats.numRecords minus deletion-vector cardinality; null when a file has no numRecords. */
export function statsRowCount(files: readonly Add[]): number | null {
  let n = 0;
  for (const f of files) {
    if (!f.stats) return null;
    const s = JSON.parse(f.stats) as { numRecords?: number };
    if (typeof s.numRecords !== 'number') return null;
    n += s.numRecords - (f.deletionVector?.cardinality ?? 0);
  }
  return n;
}

/** First structural difference between two JSON-like values (object key order ignored), or null. */
export function firstDifference(want: unknown, got: unknown, where: string): string | null {
  if (Object.is(want, got)) return null;
  if (Array.isArray(want) && Array.isArray(got)) {
    if (want.length !== got.length) return `${where}: expected ${want.length} entries, got ${got.length}: expected ${clip(JSON.stringify(want), 300)}, got ${clip(JSON.stringify(got), 300)}`;
    for (let i = 0; i < want.length; i++) {
      const d = firstDifference(want[i], got[i], `${where}[${i}]`);
      if (d) return d;
    }
    return null;
  }
  if (want && got && typeof want === 'object' && typeof got === 'object' && !Array.isArray(want) && !Array.isArray(got)) {
    const w = want as Record<string, unknown>;
    const g = got as Record<string, unknown>;
    const keys = new Set([...Object.keys(w), ...Object.keys(g)]);
    for (const k of keys) {
      if (w[k] === undefined && g[k] === undefined) continue;
      const d = firstDifference(w[k], g[k], `${where}.${k}`);
      if (d) return d;
    }
    return null;
  }
  return `${where}: expected ${clip(JSON.stringify(want) ?? 'undefined', 300)}, got ${clip(JSON.stringify(got) ?? 'undefined', 300)}`;
}

// ---------------------------------------------------------------------------------------------------------------
// Output

export function formatResult(r: CaseResult, verbose = false): string {
  if (r.passed) return `PASS ${r.name}`;
  const head = `FAIL ${r.name}: ${r.failures[0]}`;
  if (!verbose || r.failures.length === 1) return head;
  return [head, ...r.failures.slice(1).map((f) => `    ${f}`)].join('\n');
}

export function formatSummary(rep: ConformanceReport): string {
  return `${rep.passed} passed, ${rep.failed} failed`;
}

async function main(argv: string[]): Promise<number> {
  const json = argv.includes('--json');
  const verbose = argv.includes('--verbose') || argv.includes('-v');
  const logOnly = argv.includes('--log-only');
  const perFile = argv.includes('--per-file');
  const filters = argv.filter((a) => !a.startsWith('-'));
  const dir = corpusDir();
  if (!corpusExists(dir)) {
    console.error(new CorpusNotFoundError(dir).message);
    return 1;
  }
  const rep = await runConformance({
    dir,
    filters,
    logOnly,
    opener: perFile ? openWithPerFileRead : undefined,
    onResult: json ? undefined : (r) => console.log(formatResult(r, verbose) + (logOnly && r.passed ? ' (log facts only)' : '')),
  });
  if (json) console.log(JSON.stringify(rep, null, 2));
  else console.log(formatSummary(rep) + (logOnly ? ' (--log-only: log facts only, rows NOT compared)' : ''));
  if (rep.results.length === 0) {
    console.error(`no case matches ${filters.join(' ')}`);
    return 1;
  }
  return rep.failed === 0 ? 0 : 1;
}

const invokedDirectly = process.argv[1] !== undefined && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url);
if (invokedDirectly) {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (err: unknown) => {
      console.error(describeError(err));
      process.exit(1);
    },
  );
}
