// S3 benchmark (issue: S3 storage): commit latency and snapshot load on S3 (a local radosgw) vs local disk, same
// table shape, in one run; and object-store requests per snapshot load (goal: O(commits since checkpoint)).
// The S3 endpoint: DELTATS_S3_ENDPOINT, else scripts/start-rgw.sh starts (or reuses) a local radosgw.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { performance } from 'node:perf_hooks';
import { CreateBucketCommand, S3Client } from '@aws-sdk/client-s3';
import { DeltaTable, LocalStore, S3Store, Snapshot, type ObjectStore, type StructType } from '../src/index.js';

const schema: StructType = {
  type: 'struct',
  fields: [
    { name: 'id', type: 'long', nullable: true, metadata: {} },
    { name: 'name', type: 'string', nullable: true, metadata: {} },
  ],
};

/** Counts the requests a store receives, by operation. */
function counting(store: ObjectStore): { store: ObjectStore; counts: Record<string, number>; reset(): void } {
  const counts: Record<string, number> = {};
  const wrapped = new Proxy(store, {
    get(target, prop, receiver) {
      const v = Reflect.get(target, prop, receiver) as unknown;
      if (typeof v !== 'function') return v;
      return (...args: unknown[]) => {
        counts[String(prop)] = (counts[String(prop)] ?? 0) + 1;
        return (v as (...a: unknown[]) => unknown).apply(target, args);
      };
    },
  });
  return { store: wrapped, counts, reset: () => Object.keys(counts).forEach((k) => delete counts[k]) };
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

async function s3Endpoint(): Promise<string> {
  if (process.env.DELTATS_S3_ENDPOINT) return process.env.DELTATS_S3_ENDPOINT;
  const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
  const out = execFileSync(join(root, 'scripts', 'start-rgw.sh'), { encoding: 'utf8', timeout: 170_000 });
  return out.trim().split('\n').pop()!;
}

async function measure(label: string, store: ObjectStore, commits: number): Promise<{ commitMs: number; loadMs: number }> {
  const table = await DeltaTable.createInStore(store, { schema, properties: { 'delta.checkpointInterval': '10' } });
  const lat: number[] = [];
  for (let i = 0; i < commits; i++) {
    const t0 = performance.now();
    await table.append([{ id: BigInt(i), name: `n${i}` }]);
    lat.push(performance.now() - t0);
  }
  const loads: number[] = [];
  for (let i = 0; i < 5; i++) {
    const t0 = performance.now();
    await Snapshot.load(store);
    loads.push(performance.now() - t0);
  }
  const commitMs = median(lat);
  const loadMs = median(loads);
  console.log(`${label.padEnd(6)} append commit p50 ${commitMs.toFixed(1)} ms (p90 ${[...lat].sort((a, b) => a - b)[Math.floor(lat.length * 0.9)].toFixed(1)} ms)   snapshot load p50 ${loadMs.toFixed(1)} ms`);
  return { commitMs, loadMs };
}

export async function run(): Promise<void> {
  const COMMITS = Number(process.env.BENCH_S3_COMMITS ?? 45);
  const endpoint = await s3Endpoint();
  const creds = { accessKeyId: process.env.DELTATS_S3_ACCESS_KEY_ID ?? 'testkey', secretAccessKey: process.env.DELTATS_S3_SECRET_ACCESS_KEY ?? 'testsecret' };
  const bucket = process.env.DELTATS_S3_BUCKET ?? 'deltats-bench';
  const client = new S3Client({ endpoint, region: 'us-east-1', forcePathStyle: true, credentials: { ...creds } });
  await client.send(new CreateBucketCommand({ Bucket: bucket })).catch(() => undefined);
  client.destroy();
  const prefix = `bench-${Date.now()}`;
  const storageOptions = { endpoint, region: 'us-east-1', ...creds };
  const dir = mkdtempSync(join(tmpdir(), 'deltats-bench-s3-'));
  try {
    console.log(`\n== ${COMMITS} single-row append commits, then snapshot load (checkpoint every 10 commits): local disk vs S3 (${endpoint})`);
    const local = await measure('local', new LocalStore(dir), COMMITS);
    const s3 = await measure('s3', new S3Store(`s3://${bucket}/${prefix}/t1`, storageOptions), COMMITS);
    console.log(`ratio S3/local: commit ${(s3.commitMs / local.commitMs).toFixed(1)}x, snapshot load ${(s3.loadMs / local.loadMs).toFixed(1)}x`);

    console.log(`\n== object-store requests per snapshot load on S3, by commits since the last checkpoint`);
    const counted = counting(new S3Store(`s3://${bucket}/${prefix}/t2`, storageOptions));
    const t = await DeltaTable.createInStore(counted.store, { schema, properties: { 'delta.checkpointInterval': '20' } });
    for (let v = 1; v <= 59; v++) {
      await t.append([{ id: BigInt(v), name: 'x' }]);
      if (v === 20 || v === 25 || v === 39 || v === 40 || v === 59) {
        counted.reset();
        await Snapshot.load(counted.store);
        const total = Object.values(counted.counts).reduce((a, b) => a + b, 0);
        console.log(`  version ${String(v).padStart(2)} (${v % 20} commits since checkpoint ${Math.floor(v / 20) * 20}): ${total} requests ${JSON.stringify(counted.counts)}`);
      }
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
