// Test helper: the S3 server provided by test/setup/s3.ts, as StorageOptions and fresh s3:// URIs.
// Fails loudly when the globalSetup is not wired (S3 tests must never be silently skipped).
import { randomUUID } from 'node:crypto';
import { inject } from 'vitest';
import type { StorageOptions } from '../../src/storage/registry.js';
import type { S3TestEnv } from '../setup/s3.js';

export type { S3TestEnv };

/** The server, or null when skipped locally with DELTATS_SKIP_S3=1. */
export function s3Env(): S3TestEnv | null {
  const provided = inject('deltatsS3');
  if (provided !== undefined) return provided;
  if (process.env.DELTATS_S3_TEST_ENV) return JSON.parse(process.env.DELTATS_S3_TEST_ENV) as S3TestEnv;
  throw new Error("S3 test server not provided: add 'test/setup/s3.ts' to test.globalSetup in vitest.config.ts");
}

export function s3Options(env: S3TestEnv, extra: StorageOptions = {}): StorageOptions {
  return {
    endpoint: env.endpoint,
    region: env.region,
    accessKeyId: env.accessKeyId,
    secretAccessKey: env.secretAccessKey,
    ...extra,
  };
}

/** A fresh, empty location in the test bucket. */
export function freshS3Uri(env: S3TestEnv, label = 't'): string {
  return `s3://${env.bucket}/${label}-${randomUUID()}`;
}
