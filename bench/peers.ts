// `npm run bench -- peers`: deltats next to delta-rs (the Python `deltalake` package from interop/setup.sh) on the
// same data: 1M x 5 append, full scan (each engine reading each engine's table), snapshot load at 10k commits.
// delta-rs is timed inside its own Python process (imports and data generation excluded). Ratios: delta-rs/deltats.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { performance } from 'node:perf_hooks';
import { DeltaTable } from '../src/index.js';
import { benchSchema, buildCommitHistory, makeBatches } from './core.js';

const HERE = resolve(fileURLToPath(import.meta.url), '..');
const PYTHON = join(HERE, '..', 'interop', '.venv', 'bin', 'python');
const SCRIPT = join(HERE, '..', 'interop', 'bench_peers.py');
const fmt = (n: number, d = 1) => n.toFixed(d);
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

function rs(args: string[]): { ms: number[]; [k: string]: unknown } {
  const out = execFileSync(PYTHON, [SCRIPT, ...args], { encoding: 'utf8', maxBuffer: 1 << 24 });
  return JSON.parse(out.trim().split('\n').pop()!) as { ms: number[] };
}

async function time<T>(f: () => Promise<T>): Promise<[T, number]> {
  const t0 = performance.now();
  const r = await f();
  return [r, performance.now() - t0];
}

function line(what: string, rsMs: number, oursMs: number): void {
  console.log(`${what}: delta-rs ${fmt(rsMs)} ms   deltats ${fmt(oursMs)} ms   ratio (delta-rs/deltats): ${fmt(rsMs / oursMs, 2)}x`);
}

export async function run(): Promise<void> {
  if (!existsSync(PYTHON)) {
    console.log('peers: delta-rs is not installed; run interop/setup.sh first (skipped)');
    return;
  }
  const root = mkdtempSync(join(tmpdir(), 'deltats-peers-'));
  try {
    const ROWS = Number(process.env.BENCH_ROWS ?? 1_000_000);
    const REPS = Number(process.env.BENCH_REPS ?? 3);
    console.log(`\n== append ${ROWS.toLocaleString()} rows x 5 columns, one commit (median of ${REPS})`);
    const data = makeBatches(ROWS, 64 * 1024);
    const ours: number[] = [];
    for (let r = 0; r < REPS; r++) {
      const t = await DeltaTable.create(join(root, `ts-append-${r}`), { schema: benchSchema });
      ours.push((await time(() => t.append(data)))[1]);
    }
    const w = rs(['write', root, String(ROWS), String(REPS)]);
    line('append', median(w.ms), median(ours));

    console.log(`\n== full scan to Arrow (median of ${REPS})`);
    for (const [label, dir] of [['deltats-written table', join(root, 'ts-append-0')], ['delta-rs-written table', join(root, 'rs-append-0')]] as const) {
      const scans: number[] = [];
      let rows = 0;
      for (let r = 0; r < REPS; r++) {
        const [n, ms] = await time(async () => (await (await DeltaTable.open(dir)).scan().toArrow()).numRows);
        scans.push(ms);
        rows = n;
      }
      const s = rs(['scan', dir, String(REPS)]);
      if (s.rows !== rows) throw new Error(`${label}: delta-rs read ${String(s.rows)} rows, deltats ${rows}`);
      line(`scan, ${label}`, median(s.ms), median(scans));
    }

    const COMMITS = Number(process.env.BENCH_COMMITS ?? 10_000);
    console.log(`\n== snapshot load at ${COMMITS.toLocaleString()} commits, checkpoint interval 100 (median of 5)`);
    const bigDir = join(root, 'many');
    await buildCommitHistory(bigDir, COMMITS);
    const loads: number[] = [];
    for (let i = 0; i < 5; i++) {
      const [t, ms] = await time(() => DeltaTable.open(bigDir));
      if (t.files().length !== COMMITS) throw new Error('snapshot mismatch');
      loads.push(ms);
    }
    const l = rs(['load', bigDir, '5']);
    if (l.files !== COMMITS) throw new Error(`delta-rs saw ${String(l.files)} files, expected ${COMMITS}`);
    line('snapshot load', median(l.ms), median(loads));
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}
