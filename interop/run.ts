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
import { nanStatsScenario } from './nan_stats.js';

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
  'row-tracking', 'in-commit-timestamps', 'in-commit-timestamps-enabled-later', 'type-widening', 'v2-checkpoint-sidecars', 'multipart-checkpoint',
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
    if (w.inCommitTimestamps) {
      const copy = `${w.path}-ict-copy`;
      // The copy keeps the commit files' mtimes (to the ms), which time the versions before the enablement.
      cpSync(w.path, copy, { recursive: true, preserveTimestamps: true });
      // Each commit's time and the instant before it: TIMESTAMP AS OF lands on each version and on its predecessor.
      const times = (await readHistory(new LocalStore(copy))).flatMap((h) => [h.timestamp, h.timestamp - 1]);
      tasks.push({ op: 'ict', id: `d1/${name}/spark-in-commit-timestamps`, path: copy, timestamps: times, sparkRowId: ICT_SPARK_ROW });
    }
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
  const shared = [...sharedScenarios(ctx), nanStatsScenario(ctx)].filter((s) => selected(s.id));
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
    if (w.inCommitTimestamps) {
      await checkSparkOnOurIct(`d1/${name}/spark-in-commit-timestamps`, res[`d1/${name}/spark-in-commit-timestamps`], `${w.path}-ict-copy`);
    }
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
  if (info.expectAppendTimed === 'inCommitTimestamp') await checkOurIctOnTheirs(t.id, uri, info.sparkHistoryMs as Record<string, number>);
  const quiet = new Set(['earlierVersions', 'expectWriteRefused', 'expectAppendTimed', 'sparkHistoryMs']);
  const facts = Object.entries(info).filter(([k]) => !quiet.has(k)).map(([k, v]) => `${k}=${JSON.stringify(v)}`);
  if (facts.length) console.log(`     ${t.id}: ${facts.join(', ')}`);
  for (const theirs of r.readings ?? []) {
    const at = theirs.requested === null ? 'latest' : `v${theirs.requested}`;
    const ours = await deltatsReading(uri, theirs.requested);
    record(`${t.id}@${at}`, compareReading(ours, theirs));
  }
}

// ---------------------------------------------------------------------------------------------------------------
// In-Commit Timestamps (PROTOCOL.md "In-Commit Timestamps")

const ICT_SPARK_ROW = 100;

/** The commitInfo of commit `version` in a local table, and whether it is the commit's first action. */
function commitInfoAt(uri: string, version: number): { first: boolean; ict: unknown } {
  const lines = readFileSync(path.join(uri, '_delta_log', `${String(version).padStart(20, '0')}.json`), 'utf8').split('\n').filter(Boolean);
  const actions = lines.map((l) => JSON.parse(l) as Record<string, Record<string, unknown>>);
  const i = actions.findIndex((a) => 'commitInfo' in a);
  return { first: i === 0, ict: i < 0 ? undefined : actions[i]!.commitInfo!.inCommitTimestamp };
}

/** Rows and sum of ids deltats reads at a timestamp (or the error), as the Spark task reports them. */
async function oursAt(uri: string, ms: number): Promise<{ rows?: number; sum?: number; error?: string }> {
  try {
    const rows = (await (await DeltaTable.open(uri, { timestamp: ms })).scan().toArray()) as Array<{ id: number | null }>;
    return { rows: rows.length, sum: rows.reduce((n, r) => n + Number(r.id ?? 0), 0) };
  } catch (e) {
    return { error: `${(e as Error).constructor.name}: ${(e as Error).message}` };
  }
}

/** deltats appends one row to `copy`; problems unless its commit is timed after `after` (ms) with commitInfo first. */
async function appendTimedAfter(copy: string, after: number, row: Record<string, unknown>): Promise<string[]> {
  const t = await DeltaTable.open(copy);
  const res = await t.append([row]);
  const ci = commitInfoAt(copy, res.version);
  const problems: string[] = [];
  if (!ci.first) problems.push(`deltats's commit ${res.version} does not start with commitInfo`);
  if (typeof ci.ict !== 'number' || ci.ict <= after) problems.push(`deltats's commit ${res.version} has inCommitTimestamp ${String(ci.ict)}, not after ${after}`);
  const h = await t.history(1);
  if (h[0]?.timestamp !== ci.ict) problems.push(`deltats's history times v${res.version} ${h[0]?.timestamp}, its inCommitTimestamp is ${String(ci.ict)}`);
  return problems;
}

/**
 * A table deltats wrote with In-Commit Timestamps: Spark's DESCRIBE HISTORY shows our times, Spark's TIMESTAMP AS OF
 * reads what ours reads at each instant, Spark's append after us is timed after our last commit, and deltats
 * appends after Spark, timed after it.
 */
async function checkSparkOnOurIct(id: string, r: DriverResults[string] | undefined, copy: string): Promise<void> {
  if (!r) return record(id, 'no result from the driver');
  if (r.error) return record(id, `engine task failed: ${r.error}`);
  // Compared on the copy Spark read (its commit file mtimes, which time the versions before the enablement, may be
  // 1 ms off the original's: copying sets them through a float of seconds); Spark's append there comes later.
  const ours = (await readHistory(new LocalStore(copy))).filter((h) => h.version <= (r.append as { before: number }).before);
  const theirs = r.historyMs as Record<string, number>;
  const problems: string[] = [];
  if (ours.length !== Object.keys(theirs).length) problems.push(`DESCRIBE HISTORY has ${Object.keys(theirs).length} versions, deltats ${ours.length}`);
  for (const h of ours) {
    if (theirs[String(h.version)] !== h.timestamp) problems.push(`DESCRIBE HISTORY v${h.version} at ${theirs[String(h.version)]}, deltats ${h.timestamp}`);
  }
  record(`${id}/describe-history-times`, problems);
  const travel = r.timeTravel as Array<{ ms: number; rows?: number; sum?: number; error?: string }>;
  const travelProblems: string[] = [];
  for (const s of travel) {
    const o = await oursAt(copy, s.ms);
    const same = s.error !== undefined ? o.error !== undefined : o.rows === s.rows && o.sum === s.sum;
    if (!same) travelProblems.push(`TIMESTAMP AS OF ${s.ms}: spark ${JSON.stringify(s)}, deltats ${JSON.stringify(o)}`);
  }
  record(`${id}/timestamp-as-of (${travel.length} instants)`, travelProblems);
  const a = r.append as { before: number; after: number; firstAction: Record<string, Record<string, unknown>> };
  const sparkIct = a.firstAction.commitInfo?.inCommitTimestamp;
  const appendProblems: string[] = [];
  if (a.after !== a.before + 1) appendProblems.push(`spark's append went from v${a.before} to v${a.after}`);
  if (typeof sparkIct !== 'number' || sparkIct <= ours[0]!.timestamp) {
    appendProblems.push(`spark's commit ${a.after} has inCommitTimestamp ${String(sparkIct)}, not after ours ${ours[0]!.timestamp}`);
  } else {
    const t = await DeltaTable.open(copy);
    if (t.version !== a.after || t.snapshot.timestamp !== sparkIct) appendProblems.push(`deltats reads the copy at v${t.version} timed ${t.snapshot.timestamp}`);
    const rows = (await t.scan().toArray()) as Array<{ id: number }>;
    if (!rows.some((x) => x.id === ICT_SPARK_ROW)) appendProblems.push(`deltats does not read spark's row ${ICT_SPARK_ROW}`);
    appendProblems.push(...(await appendTimedAfter(copy, sparkIct, { id: ICT_SPARK_ROW + 1, s: 'deltats' })));
  }
  record(`${id}/spark-appends-after-us-and-we-after-spark`, appendProblems);
}

/**
 * A table Spark wrote with In-Commit Timestamps: our history shows Spark's times, each time travels to its
 * version, and our append to a copy is timed after Spark's last commit, commitInfo first.
 */
async function checkOurIctOnTheirs(id: string, uri: string, sparkMs: Record<string, number>): Promise<void> {
  const problems: string[] = [];
  const ours = await readHistory(new LocalStore(uri));
  for (const h of ours) {
    if (sparkMs[String(h.version)] !== h.timestamp) problems.push(`v${h.version}: spark's history at ${sparkMs[String(h.version)]}, deltats ${h.timestamp}`);
  }
  for (const [v, ms] of Object.entries(sparkMs)) {
    const got = (await DeltaTable.open(uri, { timestamp: ms })).version;
    if (got !== Number(v)) problems.push(`open({timestamp: ${ms}}) is v${got}, spark times v${v} so`);
  }
  const copy = `${uri}-append-copy`;
  cpSync(uri, copy, { recursive: true });
  const last = Math.max(...Object.values(sparkMs));
  try {
    problems.push(...(await appendTimedAfter(copy, last, { id: ICT_SPARK_ROW })));
  } catch (e) {
    problems.push(`deltats could not append: ${(e as Error).constructor.name}: ${(e as Error).message}`);
  }
  record(`${id}/deltats-history-time-travel-and-append`, problems);
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
