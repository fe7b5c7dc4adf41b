// vitest globalSetup: makes a real S3 server (Ceph radosgw) available to the S3 tests and provides its coordinates.
// Uses DELTATS_S3_ENDPOINT when set, else starts/reuses scripts/start-rgw.sh; never substitutes an S3 fake.
// Its teardown stops a server a test run started once no run uses it; a server it found running is left alone.
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { promisify } from 'node:util';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { CreateBucketCommand, S3Client } from '@aws-sdk/client-s3';
import type { TestProject } from 'vitest/node';

export interface S3TestEnv {
  endpoint: string;
  bucket: string;
  region: string;
  accessKeyId: string;
  secretAccessKey: string;
}

declare module 'vitest' {
  export interface ProvidedContext {
    /** null = S3 tests skipped locally with DELTATS_SKIP_S3=1 (never in CI). */
    deltatsS3: S3TestEnv | null;
  }
}

const run = promisify(execFile);
const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const INSTALL =
  'apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends radosgw ceph-mon ceph-osd ' +
  '(as root; or run .ci/install-s3.sh)';

async function hasRadosgw(): Promise<boolean> {
  try {
    await run('sh', ['-c', 'command -v radosgw']);
    return true;
  } catch {
    return false;
  }
}

/** Port and data dir of the rgw, as scripts/start-rgw.sh and stop-rgw.sh compute them from the same variables. */
function rgwEnv(): { port: string; dir: string; lock: string; startLock: string } {
  const port = process.env.DELTATS_RGW_PORT ?? '7480';
  const dir = process.env.DELTATS_RGW_DIR ?? `/tmp/deltats-rgw-${port}`;
  return { port, dir, lock: `${dir}.lock`, startLock: `${dir}.start.lock` };
}

/** flock's exit code when -n finds the lock taken. */
const LOCK_BUSY = 75;

/** Marks an rgw started by a test setup (the file dies with the data dir, which a fresh start wipes). */
const OWNED_MARK = 'started-by-test-setup';

/**
 * Holds a shared flock on the rgw's lock file for this run (a `flock` child whose stdin is our pipe: it exits, and
 * the lock goes, when we release it or when this process dies). A teardown stops the server only under the
 * exclusive lock, so never while another run holds its shared one. null when `flock` is not installed.
 */
async function holdSharedLock(lock: string): Promise<ChildProcess | null> {
  const holder = spawn('flock', ['-s', lock, 'sh', '-c', 'echo locked; read _ || true'], { stdio: ['pipe', 'pipe', 'inherit'] });
  return new Promise((resolve, reject) => {
    holder.once('error', (e: NodeJS.ErrnoException) => (e.code === 'ENOENT' ? resolve(null) : reject(e)));
    holder.stdout!.once('data', () => {
      // Held: from here on the child must not keep vitest alive (it exits with us, its stdin closing).
      holder.stdout!.destroy();
      holder.unref();
      (holder.stdin as unknown as { unref(): void }).unref();
      resolve(holder);
    });
    holder.once('exit', (code) => reject(new Error(`flock -s ${lock} exited ${code}`)));
  });
}

async function releaseLock(holder: ChildProcess | null): Promise<void> {
  if (!holder || holder.exitCode !== null) return;
  const exited = new Promise((resolve) => holder.once('exit', resolve));
  holder.ref(); // awaited now: keep this process alive until the lock is gone
  holder.stdin!.end();
  await exited;
}

async function startRgw(withFlock: boolean): Promise<{ endpoint: string; started: boolean }> {
  const script = path.join(repoRoot, 'scripts', 'start-rgw.sh');
  try {
    // One start at a time (two runs starting at once would race for the same port and data dir).
    const { stdout, stderr } = withFlock
      ? await run('flock', ['-o', rgwEnv().startLock, script], { timeout: 170_000 })
      : await run(script, [], { timeout: 170_000 });
    const endpoint = stdout.trim().split('\n').pop() ?? '';
    if (!/^https?:\/\//.test(endpoint)) throw new Error(`start-rgw.sh printed no endpoint: ${stdout}`);
    return { endpoint, started: /start-rgw: ready:/.test(stderr) };
  } catch (e) {
    const err = e as { stderr?: string; message?: string };
    throw new Error(`scripts/start-rgw.sh failed: ${err.stderr || err.message}`);
  }
}

/** Teardown: stop the rgw if a test setup started it and no other run holds the lock; else say why it stays. */
async function stopIfUnused(holder: ChildProcess | null, startedHere: boolean): Promise<void> {
  const { port, dir, lock } = rgwEnv();
  await releaseLock(holder);
  if (!existsSync(path.join(dir, OWNED_MARK))) {
    console.log(`[deltats] the S3 tests reused the radosgw already running on port ${port} (not started by a test run): left running`);
    return;
  }
  const stop = path.join(repoRoot, 'scripts', 'stop-rgw.sh');
  if (!holder && !startedHere) {
    console.log(`[deltats] radosgw on port ${port} left running (without flock this run cannot tell whether another one uses it)`);
    return;
  }
  try {
    if (holder) await run('flock', ['-o', '-n', '-E', String(LOCK_BUSY), '-x', lock, stop, '--remove-data'], { timeout: 60_000 });
    else await run(stop, ['--remove-data'], { timeout: 60_000 });
    console.log(`[deltats] stopped the radosgw on port ${port} started for the tests, removed ${dir}`);
  } catch (e) {
    if ((e as { code?: number }).code !== LOCK_BUSY) {
      throw new Error(`stopping the test radosgw failed: ${String((e as { stderr?: string }).stderr || e)}`);
    }
    console.log(`[deltats] radosgw on port ${port} left running: another test run is using it (the last one stops it)`);
  }
}

export default async function setup(project: TestProject): Promise<(() => Promise<void>) | void> {
  const inCi = !!process.env.CI;
  let endpoint = process.env.DELTATS_S3_ENDPOINT;
  let holder: ChildProcess | null = null;
  let startedHere = false;
  if (!endpoint) {
    if (!(await hasRadosgw())) {
      if (process.env.DELTATS_SKIP_S3 === '1' && !inCi) {
        console.warn('[deltats] DELTATS_SKIP_S3=1: S3 tests are SKIPPED (radosgw not installed)');
        project.provide('deltatsS3', null);
        return;
      }
      throw new Error(
        `S3 tests need a real S3 server with conditional PUT: radosgw is not installed. Install it with: ${INSTALL}. ` +
          'Or point DELTATS_S3_ENDPOINT at a server (with DELTATS_S3_ACCESS_KEY_ID/DELTATS_S3_SECRET_ACCESS_KEY). ' +
          (inCi ? 'In CI the S3 tests must not be skipped.' : 'Locally, DELTATS_SKIP_S3=1 skips them.'),
      );
    }
    holder = await holdSharedLock(rgwEnv().lock);
    const rgw = await startRgw(holder !== null);
    endpoint = rgw.endpoint;
    startedHere = rgw.started;
    if (startedHere) writeFileSync(path.join(rgwEnv().dir, OWNED_MARK), `${process.pid}\n`);
  }
  const env: S3TestEnv = {
    endpoint,
    bucket: process.env.DELTATS_S3_BUCKET ?? 'deltats-test',
    region: process.env.DELTATS_S3_REGION ?? 'us-east-1',
    accessKeyId: process.env.DELTATS_S3_ACCESS_KEY_ID ?? 'testkey',
    secretAccessKey: process.env.DELTATS_S3_SECRET_ACCESS_KEY ?? 'testsecret',
  };
  const client = new S3Client({
    endpoint: env.endpoint,
    region: env.region,
    forcePathStyle: true,
    credentials: { accessKeyId: env.accessKeyId, secretAccessKey: env.secretAccessKey },
  });
  try {
    await client.send(new CreateBucketCommand({ Bucket: env.bucket }));
  } catch (e) {
    const name = (e as { name?: string }).name;
    if (name !== 'BucketAlreadyOwnedByYou' && name !== 'BucketAlreadyExists') {
      throw new Error(`cannot create test bucket ${env.bucket} on ${env.endpoint}: ${String(e)}`);
    }
  } finally {
    client.destroy();
  }
  // Also for child processes spawned by tests (they inherit the env of the vitest workers).
  process.env.DELTATS_S3_TEST_ENV = JSON.stringify(env);
  project.provide('deltatsS3', env);
  if (process.env.DELTATS_S3_ENDPOINT) return;
  return () => stopIfUnused(holder, startedHere);
}
