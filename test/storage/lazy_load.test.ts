// The heavy runtime dependencies load where first needed, not on import (in a real child process, whose module cache
// is its own): @aws-sdk/client-s3 on an S3 store's first request, parquet-wasm on the main thread only when a
// Parquet file is encoded or decoded there (a scan that decodes in the worker pool never loads it on the main thread).
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { DeltaTable } from '../../src/index.js';


const run = promisify(execFile);
const REPO = resolve(__dirname, '../..');

interface Loaded {
  s3: boolean;
  wasm: boolean;
}

describe('lazy loading of @aws-sdk/client-s3 and parquet-wasm', () => {
  it('import, open and a pool scan load neither on the main thread; a main-thread scan and an S3 request load each', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'deltats-lazy-'));
    try {
      // 300k distinct longs: a row group well above the size decoded inline on the calling thread.
      const t = await DeltaTable.create(join(dir, 't'), { schema: { type: 'struct', fields: [{ name: 'id', type: 'long', nullable: false, metadata: {} }] } });
      await t.append(Array.from({ length: 300_000 }, (_, i) => ({ id: BigInt(i) * 7919n })));
      const file = join(dir, 'child.mts');
      writeFileSync(
        file,
        `import { createRequire } from 'node:module';
const cache = createRequire(import.meta.url).cache;
const loaded = () => {
  const keys = Object.keys(cache);
  return { s3: keys.some((k) => k.includes('/node_modules/@aws-sdk/client-s3/')), wasm: keys.some((k) => k.includes('/node_modules/parquet-wasm/')) };
};
const out = {};
const { DeltaTable, S3Store, StorageError } = await import(${JSON.stringify(join(REPO, 'src/index.ts'))});
out.imported = loaded();
const t = await DeltaTable.open(${JSON.stringify(join(dir, 't'))});
out.opened = loaded();
let rows = 0;
for await (const b of t.scan({ threads: 2 })) rows += b.numRows;
out.poolScan = { rows, ...loaded() };
rows = 0;
let sum = 0n;
for await (const b of t.scan({ threads: 0 })) { rows += b.numRows; for (const v of b.getChild('id')) sum += v; }
out.mainScan = { rows, sum: String(sum), ...loaded() };
const store = new S3Store('s3://bucket/prefix', { endpoint: 'http://127.0.0.1:9', maxRetries: 0, region: 'us-east-1', accessKeyId: 'a', secretAccessKey: 'b' });
out.s3Constructed = loaded();
const e = await store.head('x').catch((e) => e);
out.s3Requested = { storageError: e instanceof StorageError, message: String(e?.message), ...loaded() };
console.log(JSON.stringify(out));
`,
      );
      const { stdout } = await run(join(REPO, 'node_modules', '.bin', 'tsx'), [file], { cwd: REPO, timeout: 90_000 });
      const out = JSON.parse(stdout.trim().split('\n').pop()!) as Record<string, Loaded & Record<string, unknown>>;
      const none: Loaded = { s3: false, wasm: false };
      expect(out.imported).toEqual(none);
      expect(out.opened).toEqual(none);
      expect(out.poolScan).toEqual({ rows: 300000, ...none });
      // 7919 * (0 + 1 + ... + 299999)
      expect(out.mainScan).toEqual({ rows: 300000, sum: String(7919n * ((299999n * 300000n) / 2n)), s3: false, wasm: true });
      expect(out.s3Constructed).toEqual({ s3: false, wasm: true });
      expect(out.s3Requested!.storageError).toBe(true);
      expect(out.s3Requested!.message).toMatch(/S3 HeadObject failed/);
      expect(out.s3Requested!.s3).toBe(true);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
