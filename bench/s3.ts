// S3 benchmark (issues: S3 storage, 15): commit latency and snapshot load on S3 (a local radosgw) vs local disk, same
// table shape, in one run; object-store requests and bytes per snapshot load (goal: O(commits since checkpoint)); and
// the bytes a point filter on one ~200 MB file transfers by ranged reads, against a full-file GET (goal: < 5%).
// The S3 endpoint: DELTATS_S3_ENDPOINT, else scripts/start-rgw.sh starts (or reuses) a local radosgw.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { performance } from 'node:perf_hooks';
import { CreateBucketCommand, S3Client } from '@aws-sdk/client-s3';
import { tableFromArrays } from 'apache-arrow';
import { DeltaTable, LocalStore, S3Store, Snapshot, type ObjectStore, type StructType } from '../src/index.js';

const schema: StructType = {
  type: 'struct',
  fields: [
    { name: 'id', type: 'long', nullable: true, metadata: {} },
    { name: 'name', type: 'string', nullable: true, metadata: {} },
  ],
};

/** Counts the requests a store receives, by operation, and the bytes its reads (get, getRange) return. */
function counting(store: ObjectStore): { store: ObjectStore; counts: Record<string, number>; bytes(): number; reset(): void } {
  const counts: Record<string, number> = {};
  let bytes = 0;
  const wrapped = new Proxy(store, {
    get(target, prop, receiver) {
      const v = Reflect.get(target, prop, receiver) as unknown;
      if (typeof v !== 'function') return v;
      return (...args: unknown[]) => {
        counts[String(prop)] = (counts[String(prop)] ?? 0) + 1;
        const r = (v as (...a: unknown[]) => unknown).apply(target, args);
        if (prop === 'get' || prop === 'getRange') {
          return (r as Promise<Uint8Array>).then((b) => {
            bytes += b.byteLength;
            return b;
          });
        }
        return r;
      };
    },
  });
  return {
    store: wrapped,
    counts,
    bytes: () => bytes,
    reset: () => {
      Object.keys(counts).forEach((k) => delete counts[k]);
      bytes = 0;
    },
  };
}

const mb = (n: number): string => `${(n / 1e6).toFixed(2)} MB`;

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');

/** The endpoint, and whether this run started the radosgw (then run() stops it; a server found running stays). */
async function s3Endpoint(): Promise<{ endpoint: string; started: boolean }> {
  if (process.env.DELTATS_S3_ENDPOINT) return { endpoint: process.env.DELTATS_S3_ENDPOINT, started: false };
  const running = await fetch(`http://127.0.0.1:${process.env.DELTATS_RGW_PORT ?? 7480}`, { signal: AbortSignal.timeout(3_000) }).then(
    () => true,
    () => false,
  );
  const out = execFileSync(join(root, 'scripts', 'start-rgw.sh'), { encoding: 'utf8', timeout: 170_000 });
  return { endpoint: out.trim().split('\n').pop()!, started: !running };
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
  const counted = counting(store);
  for (let i = 0; i < 5; i++) {
    counted.reset();
    const t0 = performance.now();
    await Snapshot.load(counted.store);
    loads.push(performance.now() - t0);
  }
  const commitMs = median(lat);
  const loadMs = median(loads);
  const requests = Object.values(counted.counts).reduce((a, b) => a + b, 0);
  console.log(
    `${label.padEnd(6)} append commit p50 ${commitMs.toFixed(1)} ms (p90 ${[...lat].sort((a, b) => a - b)[Math.floor(lat.length * 0.9)].toFixed(1)} ms)   ` +
      `snapshot load p50 ${loadMs.toFixed(1)} ms (${requests} requests, ${mb(counted.bytes())} read)`,
  );
  return { commitMs, loadMs };
}

export async function run(): Promise<void> {
  const COMMITS = Number(process.env.BENCH_S3_COMMITS ?? 45);
  const { endpoint, started } = await s3Endpoint();
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
        console.log(
          `  version ${String(v).padStart(2)} (${v % 20} commits since checkpoint ${Math.floor(v / 20) * 20}): ${total} requests ` +
            `${JSON.stringify(counted.counts)}, ${(counted.bytes() / 1e3).toFixed(1)} kB read`,
        );
      }
    }

    await pointFilter(new S3Store(`s3://${bucket}/${prefix}/big`, storageOptions));
  } finally {
    rmSync(dir, { recursive: true, force: true });
    if (started) {
      execFileSync(join(root, 'scripts', 'stop-rgw.sh'), ['--remove-data'], { timeout: 60_000 });
      console.log('stopped the radosgw this run started');
    }
  }
}

/**
 * A point filter on ONE ~200 MB data file on S3: bytes transferred by the scan (footer + the row groups whose stats
 * may match, by ranged GETs) against a full-file GET of the same object. Goal: under 5% of the file.
 */
async function pointFilter(store: S3Store): Promise<void> {
  const rows = Number(process.env.BENCH_S3_BIG_ROWS ?? 6_200_000);
  if (rows <= 0) return; // BENCH_S3_BIG_ROWS=0 skips it
  const rowGroupSize = process.env.BENCH_S3_ROW_GROUP ? Number(process.env.BENCH_S3_ROW_GROUP) : undefined;
  const bigSchema: StructType = {
    type: 'struct',
    fields: [
      { name: 'id', type: 'long', nullable: true, metadata: {} },
      { name: 'a', type: 'double', nullable: true, metadata: {} },
      { name: 'b', type: 'double', nullable: true, metadata: {} },
      { name: 'c', type: 'double', nullable: true, metadata: {} },
      { name: 'tag', type: 'string', nullable: true, metadata: {} },
    ],
  };
  let x = 2463534242; // xorshift32: incompressible doubles, so the file is as big as its rows
  const rnd = (): number => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) / 2 ** 32;
  };
  const data = tableFromArrays({
    id: BigInt64Array.from({ length: rows }, (_, i) => BigInt(i)),
    a: Float64Array.from({ length: rows }, rnd),
    b: Float64Array.from({ length: rows }, rnd),
    c: Float64Array.from({ length: rows }, rnd),
    tag: Array.from({ length: rows }, (_, i) => `t${(i * 2654435761) % 1_000_003}`),
  });
  const t0 = performance.now();
  const table = await DeltaTable.createInStore(store, { schema: bigSchema });
  const res = await table.append(data, { targetFileSize: 1 << 30, ...(rowGroupSize ? { rowGroupSize } : {}) });
  const file = res.addedFiles[0]!;
  console.log(
    `\n== point filter on one data file on S3: ${rows.toLocaleString('en-US')} rows, ${res.addedFiles.length} file of ${mb(file.size)} ` +
      `(written in ${((performance.now() - t0) / 1000).toFixed(1)} s)`,
  );
  const counted = counting(store);
  const lo = Math.floor(rows / 2);
  const filter = `id >= ${lo} and id < ${lo + 100}`;
  for (let run = 0; run < 2; run++) {
    counted.reset();
    const t1 = performance.now();
    const full = await counted.store.get(file.path);
    const getMs = performance.now() - t1;
    const getBytes = counted.bytes();
    counted.reset();
    const t2 = performance.now();
    const found = (await (await DeltaTable.openStore(counted.store)).scan({ filter }).toArrow()).numRows;
    const scanMs = performance.now() - t2;
    const requests = Object.values(counted.counts).reduce((a, b) => a + b, 0);
    console.log(
      `  ${run === 0 ? 'cold' : 'warm'}: full-file GET ${mb(full.byteLength)} in ${getMs.toFixed(0)} ms (${mb(getBytes)} read)   ` +
        `point filter '${filter}': ${found} rows in ${scanMs.toFixed(0)} ms, ${requests} requests ${JSON.stringify(counted.counts)}, ` +
        `${mb(counted.bytes())} read = ${((100 * counted.bytes()) / file.size).toFixed(2)}% of the file (goal < 5%)`,
    );
  }
  await store.deleteMany([file.path]);
}
