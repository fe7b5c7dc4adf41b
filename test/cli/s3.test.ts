// The CLI against a real S3 server (test/setup/s3.ts): --storage-option passes endpoint and credentials.
import { describe, expect, it } from 'vitest';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { cleanupTempDirs, tempDir } from '../helpers/tmp.js';
import { freshS3Uri, s3Env, s3Options } from '../storage/s3_env.js';
import { cli } from './run.js';
import { afterAll } from 'vitest';

afterAll(cleanupTempDirs);

const env = s3Env();

describe.skipIf(env === null)('CLI on S3', () => {
  it('create, import, cat, history, describe, vacuum --dry-run with --storage-option', async () => {
    const e = env!;
    const uri = freshS3Uri(e, 'cli');
    const opts = Object.entries(s3Options(e)).flatMap(([k, v]) => ['--storage-option', `${k}=${String(v)}`]);
    const run = async (args: string[]) => {
      const r = await cli([...args, ...opts]);
      expect(r.code, r.stderr).toBe(0);
      return r.stdout;
    };
    await run(['create', uri, '--schema', 'id:long,s:string']);
    const f = join(tempDir('deltats-cli-s3-'), 'rows.csv');
    writeFileSync(f, 'id,s\n1,a\n2,b\n');
    expect(await run(['import', uri, f])).toMatch(/Imported 2 rows .* as version 1/);
    expect((await run(['cat', uri, '--json'])).trim().split('\n').sort()).toEqual(['{"id":1,"s":"a"}', '{"id":2,"s":"b"}']);
    const h = JSON.parse(await run(['history', uri, '--json'])) as Array<{ operation: string }>;
    expect(h.map((x) => x.operation)).toEqual(['WRITE', 'CREATE TABLE']);
    expect(JSON.parse(await run(['describe', uri, '--json']))).toMatchObject({ version: 1, numFiles: 1 });
    expect(JSON.parse(await run(['vacuum', uri, '--dry-run', '--json']))).toMatchObject({ filesDeleted: [], dryRun: true });
    // A missing table on S3: a one-line error (no SDK warnings), exit 1.
    const r = await cli(['describe', `${uri}-missing`, ...opts]);
    expect(r.code).toBe(1);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/^deltats: no Delta table at s3:\/\//);
  });
});
