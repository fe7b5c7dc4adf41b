// Shared tables: deltats and delta-rs (and Spark) writing one table at the same time, as separate processes;
// checks every row arrived exactly once and the commit versions are contiguous. Local disk and S3 (radosgw).
import { execFile, spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { CreateBucketCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { DeltaTable } from '../src/index.js';
import type { StructType } from '../src/index.js';

export interface SharedContext {
  work: string;
  python: string;
  tsx: string;
  here: string;
  record(id: string, problems: string[] | string | null): void;
}

export interface SharedScenario {
  id: string;
  /** A driver task (Spark's part), run inside the one Spark session. */
  sparkTask?: () => Promise<{ op: string; id: string; [k: string]: unknown }>;
  check(driverResult: Record<string, unknown> | undefined): Promise<void>;
}

const SCHEMA: StructType = {
  type: 'struct',
  fields: [
    { name: 'writer', type: 'string', nullable: true, metadata: {} },
    { name: 'i', type: 'long', nullable: true, metadata: {} },
  ],
};
const PROCS = 3;
const COMMITS = 6;

function run(cmd: string, args: string[], cwd: string): Promise<{ code: number; out: string }> {
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (b: Buffer) => (out += b.toString()));
    child.stderr.on('data', (b: Buffer) => (out += b.toString()));
    child.on('close', (code) => resolve({ code: code ?? 1, out: out.trim() }));
  });
}

/** Every (writer, i) exactly once, and the commit versions 0..latest with no gap. */
async function exactlyOnce(
  uri: string,
  expected: Array<[string, number]>,
  commitVersions: number[],
  storageOptions?: Record<string, string>,
): Promise<string[]> {
  const problems: string[] = [];
  const t = await DeltaTable.open(uri, { storageOptions });
  const rows = (await t.scan().toArray()) as Array<{ writer: string; i: bigint }>;
  const seen = new Map<string, number>();
  for (const r of rows) seen.set(`${r.writer}#${r.i}`, (seen.get(`${r.writer}#${r.i}`) ?? 0) + 1);
  for (const [w, i] of expected) {
    const n = seen.get(`${w}#${i}`) ?? 0;
    if (n !== 1) problems.push(`row (${w}, ${i}) found ${n} times`);
    seen.delete(`${w}#${i}`);
  }
  for (const [k, n] of seen) problems.push(`unexpected row ${k} (${n} times)`);
  const sorted = [...commitVersions].sort((a, b) => a - b);
  const gaps = sorted.filter((v, k) => v !== k);
  if (gaps.length) problems.push(`commit versions not contiguous from 0: ${sorted.join(',')}`);
  if (sorted.at(-1) !== t.version) problems.push(`latest commit file ${sorted.at(-1)}, deltats version ${t.version}`);
  if (t.version !== expected.length) problems.push(`version ${t.version}, expected ${expected.length} (one commit per row after create)`);
  return problems;
}

const localVersions = (uri: string) =>
  readdirSync(path.join(uri, '_delta_log')).filter((n) => /^\d{20}\.json$/.test(n)).map((n) => Number(n.slice(0, 20)));

function expectedRows(writers: string[], commits: number): Array<[string, number]> {
  return writers.flatMap((w) => Array.from({ length: commits }, (_, i) => [w, i] as [string, number]));
}

async function concurrentWriters(
  ctx: SharedContext,
  uri: string,
  tsOptions: Record<string, string> | undefined,
  rsOptions: Record<string, string> | undefined,
): Promise<{ writers: string[]; failures: string[]; outputs: string[] }> {
  const procs: Array<Promise<{ code: number; out: string }>> = [];
  const writers: string[] = [];
  for (let k = 0; k < PROCS; k++) {
    writers.push(`deltats-${k}`, `delta-rs-${k}`);
    const tsArgs = [ctx.tsx, path.join(ctx.here, 'ts_append.ts'), uri, `deltats-${k}`, String(COMMITS)];
    const rsArgs = [path.join(ctx.here, 'rs_append.py'), uri, `delta-rs-${k}`, String(COMMITS)];
    if (tsOptions) tsArgs.push(JSON.stringify(tsOptions));
    if (rsOptions) rsArgs.push(JSON.stringify(rsOptions));
    procs.push(run(process.execPath, tsArgs, ctx.here), run(ctx.python, rsArgs, ctx.here));
  }
  const done = await Promise.all(procs);
  return {
    writers,
    failures: done.filter((d) => d.code !== 0).map((d) => `writer exited ${d.code}: ${d.out.slice(-800)}`),
    outputs: done.map((d) => d.out.split('\n').at(-1) ?? ''),
  };
}

const S3 = {
  endpoint: process.env.DELTATS_S3_ENDPOINT ?? 'http://127.0.0.1:7480',
  bucket: 'deltats-interop',
  accessKeyId: process.env.DELTATS_S3_ACCESS_KEY_ID ?? 'testkey',
  secretAccessKey: process.env.DELTATS_S3_SECRET_ACCESS_KEY ?? 'testsecret',
  region: 'us-east-1',
};

/** Set when this run started the local radosgw (none was answering): stopS3IfStarted stops it again. */
let startedRgw = false;

async function answers(endpoint: string): Promise<boolean> {
  try {
    await fetch(endpoint, { signal: AbortSignal.timeout(3_000) });
    return true;
  } catch {
    return false;
  }
}

async function ensureS3(root: string): Promise<S3Client> {
  if (!process.env.DELTATS_S3_ENDPOINT && !(await answers(S3.endpoint))) {
    // Starts the local radosgw, as the S3 tests do; a server already running is reused and left alone.
    await promisify(execFile)(path.join(root, 'scripts', 'start-rgw.sh'), [], { timeout: 170_000 });
    startedRgw = true;
  }
  const client = new S3Client({
    endpoint: S3.endpoint,
    region: S3.region,
    forcePathStyle: true,
    credentials: { accessKeyId: S3.accessKeyId, secretAccessKey: S3.secretAccessKey },
  });
  try {
    await client.send(new CreateBucketCommand({ Bucket: S3.bucket }));
  } catch (e) {
    const name = (e as { name?: string }).name;
    if (name !== 'BucketAlreadyOwnedByYou' && name !== 'BucketAlreadyExists') throw e;
  }
  return client;
}

async function s3Versions(client: S3Client, prefix: string): Promise<number[]> {
  const out: number[] = [];
  let token: string | undefined;
  do {
    const r = await client.send(new ListObjectsV2Command({ Bucket: S3.bucket, Prefix: `${prefix}/_delta_log/`, ContinuationToken: token }));
    for (const o of r.Contents ?? []) {
      const m = /(\d{20})\.json$/.exec(o.Key ?? '');
      if (m) out.push(Number(m[1]));
    }
    token = r.NextContinuationToken;
  } while (token);
  return out;
}

/** Stops the radosgw this run started (and removes its data dir); a server found running stays. */
export async function stopS3IfStarted(root: string): Promise<void> {
  if (!startedRgw) return;
  await promisify(execFile)(path.join(root, 'scripts', 'stop-rgw.sh'), ['--remove-data'], { timeout: 60_000 });
  startedRgw = false;
  console.log('interop: stopped the radosgw this run started');
}

export function sharedScenarios(ctx: SharedContext): SharedScenario[] {
  const root = path.resolve(ctx.here, '..');
  const sparkUri = path.join(ctx.work, 'spark-deltats');
  const SPARK_COMMITS = 8;
  const streamOut = path.join(ctx.work, 'spark-deltats-stream.json');
  return [
    {
      id: 'local-deltats+delta-rs',
      async check() {
        const id = `shared/local ${PROCS} deltats + ${PROCS} delta-rs processes x ${COMMITS} commits`;
        const uri = path.join(ctx.work, 'local');
        await DeltaTable.create(uri, { schema: SCHEMA });
        const w = await concurrentWriters(ctx, uri, undefined, undefined);
        console.log(`     ${w.outputs.join(' | ')}`);
        if (w.failures.length) return ctx.record(id, w.failures);
        ctx.record(id, await exactlyOnce(uri, expectedRows(w.writers, COMMITS), localVersions(uri)));
      },
    },
    {
      id: 's3-deltats+delta-rs',
      async check() {
        const id = `shared/s3 (radosgw) ${PROCS} deltats + ${PROCS} delta-rs processes x ${COMMITS} commits`;
        let client: S3Client;
        try {
          client = await ensureS3(root);
        } catch (e) {
          return ctx.record(id, `no S3 server (scripts/start-rgw.sh; .ci/install-s3.sh installs radosgw): ${(e as Error).message}`);
        }
        const prefix = `interop-${process.pid}-${Date.now()}`;
        const uri = `s3://${S3.bucket}/${prefix}`;
        const tsOptions = { endpoint: S3.endpoint, region: S3.region, accessKeyId: S3.accessKeyId, secretAccessKey: S3.secretAccessKey };
        // delta-rs: conditional PUT (If-None-Match) instead of a locking provider.
        const rsOptions = {
          AWS_ENDPOINT_URL: S3.endpoint, AWS_REGION: S3.region, AWS_ACCESS_KEY_ID: S3.accessKeyId,
          AWS_SECRET_ACCESS_KEY: S3.secretAccessKey, AWS_ALLOW_HTTP: 'true', conditional_put: 'etag',
        };
        await DeltaTable.create(uri, { schema: SCHEMA, storageOptions: tsOptions });
        const w = await concurrentWriters(ctx, uri, tsOptions, rsOptions);
        console.log(`     ${w.outputs.join(' | ')}`);
        if (w.failures.length) return ctx.record(id, w.failures);
        ctx.record(id, await exactlyOnce(uri, expectedRows(w.writers, COMMITS), await s3Versions(client, prefix), tsOptions));
      },
    },
    {
      id: 'spark+deltats',
      async sparkTask() {
        await DeltaTable.create(sparkUri, { schema: SCHEMA });
        return {
          op: 'spark-concurrent', id: 'shared/spark+deltats', path: sparkUri, count: SPARK_COMMITS,
          cmds: [
            [process.execPath, ctx.tsx, path.join(ctx.here, 'ts_append.ts'), sparkUri, 'deltats-0', String(SPARK_COMMITS)],
            [process.execPath, ctx.tsx, path.join(ctx.here, 'ts_stream_read.ts'), sparkUri, String(2 * SPARK_COMMITS), streamOut],
          ],
          sparkRowSql: "'spark', CAST({i} AS BIGINT)",
        };
      },
      async check(r) {
        const id = `shared/local spark + deltats appending x ${SPARK_COMMITS} commits each`;
        if (!r) return ctx.record(id, 'no result from the driver');
        if (r.error) return ctx.record(id, `spark task failed: ${String(r.error)}`);
        const exits = r.exits as number[];
        const outputs = r.outputs as string[];
        if (exits.some((c) => c !== 0)) return ctx.record(id, `deltats processes exited ${exits.join(',')}: ${outputs.join(' | ')}`);
        console.log(`     ${outputs.map((o) => o.trim().split('\n').at(-1)).join(' | ')}`);
        const want = expectedRows(['spark', 'deltats-0'], SPARK_COMMITS);
        ctx.record(id, await exactlyOnce(sparkUri, want, localVersions(sparkUri)));
        // The deltats stream that followed the table while both engines appended: every row exactly once.
        const streamed = JSON.parse(readFileSync(streamOut, 'utf8')) as Array<[string, string]>;
        const seen = streamed.map(([w, i]) => `${w}#${i}`).sort();
        const expected = want.map(([w, i]) => `${w}#${i}`).sort();
        ctx.record(
          `shared/local deltats stream follows the table spark + deltats append to`,
          JSON.stringify(seen) === JSON.stringify(expected) ? [] : [`stream rows ${JSON.stringify(seen)}, expected ${JSON.stringify(expected)}`],
        );
      },
    },
  ];
}

