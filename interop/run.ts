// `npm run interop`: deltats judged by the reference engines. Writes direction-1 tables with deltats, has ONE
// Python driver process (one Spark session + delta-rs) read them and generate direction-2 tables, reads those
// with deltats, runs the shared-table scenarios, and prints one line per check and `N passed, N failed`.
// Setup: interop/setup.sh. Options: --only <substring> (checks whose id contains it), --keep (keep tables).
import { spawn } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { compareReading, deltatsReading, type Reading } from './compare.js';
import { SCENARIOS, type WrittenTable } from './we_write.js';
import { DeltaTable, LocalStore, readHistory, UnsupportedFeatureError } from '../src/index.js';
import { sharedScenarios, stopS3IfStarted, type SharedContext } from './shared.js';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const ROOT = path.resolve(HERE, '..');
const PYTHON = path.join(HERE, '.venv', 'bin', 'python');
const WORK = path.join(HERE, '.work');
export const TSX = path.join(ROOT, 'node_modules', 'tsx', 'dist', 'cli.mjs');

const args = process.argv.slice(2);
const only = args.includes('--only') ? args[args.indexOf('--only') + 1] : undefined;

// ---------------------------------------------------------------------------------------------------------------
// Results

export interface CheckResult {
  id: string;
  ok: boolean;
  detail: string;
}
const results: CheckResult[] = [];
interface KnownGap {
  id: string;
  /** Text the failure must contain to count as this known gap (the engine's exact error). */
  error: string;
  issue: string;
}
const KNOWN_GAPS: KnownGap[] = JSON.parse(readFileSync(path.join(HERE, 'known-gaps.json'), 'utf8')) as KnownGap[];

export function record(id: string, problems: string[] | string | null): void {
  const list = problems === null ? [] : Array.isArray(problems) ? problems : [problems];
  const r = { id, ok: list.length === 0, detail: list.join('; ') };
  results.push(r);
  console.log(`${r.ok ? 'PASS' : 'FAIL'} ${id}${r.ok ? '' : `\n     ${r.detail}`}`);
}

// ---------------------------------------------------------------------------------------------------------------
// The Python driver

interface Task {
  op: string;
  id: string;
  [k: string]: unknown;
}
type DriverResults = Record<string, Record<string, unknown> & { error?: string; readings?: Reading[] }>;

async function runDriver(tasks: Task[]): Promise<DriverResults> {
  const tasksFile = path.join(WORK, 'tasks.json');
  const resultsFile = path.join(WORK, 'results.json');
  writeFileSync(tasksFile, JSON.stringify(tasks, null, 1));
  const log = path.join(WORK, 'driver.log');
  const code = await new Promise<number>((resolve) => {
    const child = spawn(PYTHON, [path.join(HERE, 'driver.py'), tasksFile, resultsFile], {
      cwd: HERE,
      env: { ...process.env, TZ: 'UTC', PYSPARK_PYTHON: PYTHON },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const chunks: Buffer[] = [];
    child.stdout.on('data', (b: Buffer) => {
      chunks.push(b);
      for (const line of b.toString().split('\n')) if (line.startsWith('[driver]')) console.log(`  ${line}`);
    });
    child.stderr.on('data', (b: Buffer) => chunks.push(b));
    child.on('close', (c) => {
      writeFileSync(log, Buffer.concat(chunks));
      resolve(c ?? 1);
    });
  });
  if (!existsSync(resultsFile)) throw new Error(`the Python driver wrote no results (exit ${code}); see ${log}`);
  const res = JSON.parse(readFileSync(resultsFile, 'utf8')) as DriverResults;
  if (code !== 0) console.log(`  driver exited ${code}; see ${log}`);
  return res;
}

// ---------------------------------------------------------------------------------------------------------------
// Direction 1: deltats writes, Spark and delta-rs read

const ENGINES = ['spark', 'delta-rs'] as const;
const SPARK_KINDS = [
  'dml-deletion-vectors', 'column-mapping-name', 'column-mapping-id', 'change-data-feed', 'liquid-clustering',
  'row-tracking', 'in-commit-timestamps', 'type-widening', 'v2-checkpoint-sidecars', 'multipart-checkpoint',
  'partition-types', 'timestamp-ntz', 'variant',
];
const RS_KINDS = ['writer', 'checkpoint', 'optimize-vacuum', 'dml', 'schema-merge'];

const selected = (id: string) => only === undefined || id.includes(only);

async function main(): Promise<void> {
  const t0 = Date.now();
  if (!existsSync(PYTHON)) {
    console.error('interop: no Python venv; run interop/setup.sh first');
    process.exit(2);
  }
  selfCheck();
  rmSync(WORK, { recursive: true, force: true });
  for (const d of ['d1', 'd2', 'shared']) mkdirSync(path.join(WORK, d), { recursive: true });

  // Direction 1: write.
  const written: WrittenTable[] = [];
  for (const s of SCENARIOS) {
    if (!selected(`d1/${s.name}`)) continue;
    try {
      written.push(await s.write(path.join(WORK, 'd1')));
    } catch (e) {
      record(`d1/${s.name}/deltats-write`, `deltats could not write the table: ${(e as Error).stack ?? String(e)}`);
    }
  }
  const tasks: Task[] = [];
  for (const w of written) {
    const name = path.basename(w.path);
    for (const engine of ENGINES) {
      tasks.push({ op: 'read', id: `d1/${name}/${engine}`, engine, path: w.path, versions: [null, ...w.earlier] });
      if (w.checkpointCopy) {
        tasks.push({ op: 'read', id: `d1/${name}/${engine}/from-checkpoint`, engine, path: w.checkpointCopy.path, versions: [null] });
      }
    }
    if (w.history) tasks.push({ op: 'history', id: `d1/${name}/history`, path: w.path });
    if (w.txn) tasks.push({ op: 'stream-read', id: `d1/${name}/spark-structured-streaming`, path: w.path });
    if (w.txn) {
      const copy = `${w.path}-txn-copy`;
      cpSync(w.path, copy, { recursive: true });
      tasks.push({
        op: 'txn', id: `d1/${name}/txn`, path: copy, appId: w.txn.appId,
        tries: [{ txnVersion: w.txn.lastBatch }, { txnVersion: w.txn.lastBatch + 1 }],
      });
    }
  }
  // Direction 2: generate.
  for (const kind of SPARK_KINDS) {
    const id = `d2/spark/${kind}`;
    if (selected(id)) tasks.push({ op: 'generate', id, engine: 'spark', kind, path: path.join(WORK, 'd2', `spark-${kind}`) });
  }
  for (const kind of RS_KINDS) {
    const id = `d2/delta-rs/${kind}`;
    if (selected(id)) tasks.push({ op: 'generate', id, engine: 'delta-rs', kind, path: path.join(WORK, 'd2', `rs-${kind}`) });
  }
  // Shared tables that need Spark running.
  const ctx: SharedContext = { work: path.join(WORK, 'shared'), python: PYTHON, tsx: TSX, here: HERE, record };
  const shared = sharedScenarios(ctx).filter((s) => selected(s.id));
  for (const s of shared) if (s.sparkTask) tasks.push(await s.sparkTask());

  console.log(`interop: ${written.length} deltats tables written, ${tasks.length} engine tasks (one Spark session)`);
  const res = tasks.length > 0 ? await runDriver(tasks) : {};

  // Direction 1: compare.
  for (const w of written) {
    const name = path.basename(w.path);
    for (const engine of ENGINES) {
      await compareReadings(`d1/${name}/${engine}`, res[`d1/${name}/${engine}`], w.path);
      if (w.checkpointCopy) {
        // The copy has no commits at or before the checkpoint: an engine can only read it from our checkpoint.
        await compareReadings(`d1/${name}/${engine}/from-checkpoint`, res[`d1/${name}/${engine}/from-checkpoint`], w.path);
      }
    }
    if (w.history) await checkHistory(`d1/${name}/history`, res[`d1/${name}/history`], w.path);
    if (w.txn) checkTxn(`d1/${name}/txn`, res[`d1/${name}/txn`], w.txn.lastBatch);
    if (w.txn) await compareReadings(`d1/${name}/spark-structured-streaming`, res[`d1/${name}/spark-structured-streaming`], w.path);
  }
  // Direction 2: deltats reads what the engines wrote.
  for (const t of tasks.filter((x) => x.op === 'generate')) await checkGenerated(t, res[t.id]);
  // Shared tables.
  for (const s of shared) await s.check(s.sparkTask ? res[`shared/${s.id}`] : undefined);

  await stopS3IfStarted(ROOT);
  report(Date.now() - t0);
}

/** The comparison itself must be able to fail: one differing row and one differing type are reported. */
function selfCheck(): void {
  const schema = (t: 'long' | 'integer') => ({ type: 'struct' as const, fields: [{ name: 'a', type: t, nullable: true, metadata: {} }] });
  const ours: Reading = { requested: null, version: 1, schema: schema('long'), partitionColumns: [], lines: ['{"a":"1"}', '{"a":"2"}'] };
  const row = compareReading(ours, { requested: null, version: 1, schema: schema('long'), partitionColumns: [], rows: [{ a: '1' }, { a: '3' }] });
  const type = compareReading(ours, { requested: null, version: 1, schema: schema('integer'), partitionColumns: [], rows: [{ a: 1 }, { a: 2 }] });
  const same = compareReading(ours, { requested: null, version: 1, schema: schema('long'), partitionColumns: [], rows: [{ a: '2' }, { a: '1' }] });
  const ok = row.length === 1 && row[0]!.includes('{"a":"3"}') && type.some((p) => p.startsWith('schema:')) && same.length === 0;
  record('self-check/comparison reports a differing row and type, accepts equal rows in any order', ok ? [] : [JSON.stringify({ row, type, same })]);
}

async function compareReadings(id: string, r: DriverResults[string] | undefined, deltatsUri: string): Promise<void> {
  if (!selected(id)) return;
  if (!r) return record(id, 'no result from the driver');
  if (r.error) return record(id, `engine task failed: ${r.error}`);
  for (const theirs of r.readings ?? []) {
    const at = theirs.requested === null ? 'latest' : `v${theirs.requested}`;
    const ours = await deltatsReading(deltatsUri, theirs.requested);
    record(`${id}@${at}`, compareReading(ours, theirs));
  }
}

async function checkHistory(id: string, r: DriverResults[string] | undefined, uri: string): Promise<void> {
  if (!r) return record(id, 'no result from the driver');
  if (r.error) return record(id, `engine task failed: ${r.error}`);
  const ours = await readHistory(new LocalStore(uri));
  const byVersion = new Map(ours.map((h) => [h.version, h]));
  const problems: string[] = [];
  for (const engine of ['spark', 'delta-rs'] as const) {
    const theirs = r[engine] as Array<{ version: number; operation: string; operationMetrics?: Record<string, string> }>;
    if (theirs.length !== ours.length) problems.push(`${engine}: ${theirs.length} history entries, deltats ${ours.length}`);
    for (const h of theirs) {
      const o = byVersion.get(h.version);
      if (!o) problems.push(`${engine}: version ${h.version} not in deltats history`);
      else if (o.operation !== h.operation) problems.push(`${engine}: v${h.version} operation '${h.operation}', deltats '${o.operation}'`);
      else if (engine === 'spark' && Object.keys(o.operationMetrics ?? {}).length > 0 && Object.keys(h.operationMetrics ?? {}).length === 0) {
        problems.push(`spark: v${h.version} shows no operationMetrics (deltats wrote ${JSON.stringify(o.operationMetrics)})`);
      }
    }
  }
  record(id, problems);
}

function checkTxn(id: string, r: DriverResults[string] | undefined, lastBatch: number): void {
  if (!r) return record(id, 'no result from the driver');
  if (r.error) return record(id, `engine task failed: ${r.error}`);
  const problems: string[] = [];
  if (r.deltaRsTxnVersion !== lastBatch) problems.push(`delta-rs transaction_version = ${String(r.deltaRsTxnVersion)}, expected ${lastBatch}`);
  const tries = r.tries as Array<{ txnVersion: number; before: number; after: number }>;
  const [replay, next] = tries;
  if (!replay || replay.after !== replay.before) problems.push(`spark wrote txnVersion ${lastBatch} again (already committed by deltats's sink): ${JSON.stringify(replay)}`);
  if (!next || next.after !== next.before + 1) problems.push(`spark skipped txnVersion ${lastBatch + 1}, a new batch: ${JSON.stringify(next)}`);
  record(id, problems);
}

async function checkGenerated(t: Task, r: DriverResults[string] | undefined): Promise<void> {
  if (!r) return record(t.id, 'no result from the driver');
  if (r.error) return record(`${t.id}/generate`, `${String(t.engine)} could not generate the table: ${r.error}`);
  const info = (r.info ?? {}) as Record<string, unknown>;
  const uri = String(t.path);
  if (typeof info.expectUnsupported === 'string') {
    const ours = await deltatsReading(uri, null);
    const want = `[feature=${info.expectUnsupported}]`;
    return record(t.id, ours.error?.includes(want) ? [] : [`expected UnsupportedFeatureError naming '${info.expectUnsupported}', got ${ours.error ?? `${ours.lines?.length} rows`}`]);
  }
  if (typeof info.expectWriteRefused === 'string') await checkWriteRefused(t.id, uri, info.expectWriteRefused);
  const facts = Object.entries(info).filter(([k]) => k !== 'earlierVersions' && k !== 'expectWriteRefused').map(([k, v]) => `${k}=${JSON.stringify(v)}`);
  if (facts.length) console.log(`     ${t.id}: ${facts.join(', ')}`);
  for (const theirs of r.readings ?? []) {
    const at = theirs.requested === null ? 'latest' : `v${theirs.requested}`;
    const ours = await deltatsReading(uri, theirs.requested);
    record(`${t.id}@${at}`, compareReading(ours, theirs));
  }
}

/** An append to (a copy of) a table using a writer feature deltats cannot honour is refused, naming the feature. */
async function checkWriteRefused(id: string, uri: string, feature: string): Promise<void> {
  const copy = `${uri}-append-copy`;
  cpSync(uri, copy, { recursive: true });
  try {
    const t = await DeltaTable.open(copy);
    const versionBefore = t.version;
    try {
      await t.append((await t.scan().toArray()).slice(0, 1));
      record(`${id}/deltats-append-refused`, `deltats appended to a table using '${feature}' instead of refusing`);
    } catch (e) {
      const ok = e instanceof UnsupportedFeatureError && e.feature === feature;
      const after = (await DeltaTable.open(copy)).version;
      const problems = ok ? [] : [`expected UnsupportedFeatureError naming '${feature}', got ${(e as Error).constructor.name}: ${(e as Error).message}`];
      if (after !== versionBefore) problems.push(`the refused append still committed version ${after}`);
      record(`${id}/deltats-append-refused`, problems);
    }
  } catch (e) {
    record(`${id}/deltats-append-refused`, `deltats could not open the table: ${(e as Error).message}`);
  }
}

function report(ms: number): void {
  let passed = 0;
  let failed = 0;
  const gaps: string[] = [];
  const fixedGaps: string[] = [];
  for (const r of results) {
    const gap = KNOWN_GAPS.find((g) => r.id.startsWith(g.id));
    if (r.ok) {
      passed++;
      if (gap) fixedGaps.push(`${r.id} passes now: remove it from interop/known-gaps.json and the README`);
    } else if (gap && r.detail.includes(gap.error)) gaps.push(`${r.id}: ${gap.issue}`);
    else failed++;
  }
  writeFileSync(path.join(WORK, 'report.json'), JSON.stringify(results, null, 1));
  console.log('');
  for (const g of gaps) console.log(`KNOWN GAP ${g}`);
  for (const f of fixedGaps) console.log(`NOTE ${f}`);
  console.log(`interop: ${results.length} checks in ${(ms / 1000).toFixed(0)} s; ${gaps.length} known gaps (README "Known gaps")`);
  console.log(`${passed} passed, ${failed} failed`);
  if (!args.includes('--keep')) {
    // Tables stay for inspection only on request; results and logs stay.
    for (const d of ['d1', 'd2', 'shared']) rmSync(path.join(WORK, d), { recursive: true, force: true });
  }
  process.exitCode = failed > 0 ? 1 : 0;
}


main().catch((e) => {
  console.error(e);
  process.exit(2);
});
