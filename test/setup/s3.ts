// vitest globalSetup: makes a real S3 server (Ceph radosgw) available to the S3 tests and provides its coordinates.
// Uses DELTATS_S3_ENDPOINT when set, else starts/reuses scripts/start-rgw.sh; never substitutes an S3 fake.
import { execFile } from 'node:child_process';
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

async function startRgw(): Promise<string> {
  try {
    const { stdout } = await run(path.join(repoRoot, 'scripts', 'start-rgw.sh'), [], { timeout: 170_000 });
    const endpoint = stdout.trim().split('\n').pop() ?? '';
    if (!/^https?:\/\//.test(endpoint)) throw new Error(`start-rgw.sh printed no endpoint: ${stdout}`);
    return endpoint;
  } catch (e) {
    const err = e as { stderr?: string; message?: string };
    throw new Error(`scripts/start-rgw.sh failed: ${err.stderr || err.message}`);
  }
}

export default async function setup(project: TestProject): Promise<void> {
  const inCi = !!process.env.CI;
  let endpoint = process.env.DELTATS_S3_ENDPOINT;
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
    endpoint = await startRgw();
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
  // The server is left running on purpose: start-rgw.sh reuses it next run (scripts/stop-rgw.sh stops it).
}
