// Delta tables on S3 (real radosgw): 8 real processes x 20 appends into one s3:// table, and a table suite
// run over a local folder and an s3:// location with the same assertions.
import { afterAll, describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { DeltaTable } from '../../src/delta_table.js';
import { openStore, type StorageOptions } from '../../src/storage/registry.js';
import { listAll } from '../../src/storage/store.js';
import { TableExistsError, TableNotFoundError } from '../../src/errors.js';
import { freshS3Uri, s3Env, s3Options } from './s3_env.js';
import { appendWorkerSchema } from '../helpers/append_schema.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const repoRoot = path.resolve(here, '..', '..');
const s3 = s3Env();
const tempDirs: string[] = [];
afterAll(() => {
  for (const d of tempDirs) rmSync(d, { recursive: true, force: true });
});

const schema = appendWorkerSchema;

interface Child {
  ready: Promise<void>;
  done: Promise<string>;
  go(): void;
}

function startAppender(uri: string, writer: number, count: number, options: StorageOptions): Child {
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(here, 'fixtures', 'append_child.ts'), uri, String(writer), String(count)], {
    cwd: repoRoot,
    env: { ...process.env, DELTATS_CHILD_STORAGE_OPTIONS: JSON.stringify(options) },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stderr.on('data', (d: Buffer) => (err += d.toString()));
  const ready = new Promise<void>((resolve, reject) => {
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      if (out.includes('ready\n')) resolve();
    });
    child.on('exit', (code) => reject(new Error(`writer ${writer} exited (${code}) before ready: ${err}`)));
  });
  const done = new Promise<string>((resolve, reject) =>
    child.on('exit', (code) => (code === 0 ? resolve(out) : reject(new Error(`writer ${writer} exited with ${code}: ${err}`)))),
  );
  return { ready, done, go: () => child.stdin.write('go\n') };
}

describe.skipIf(s3 === null)('Delta table on S3: concurrent writers', () => {
  it('8 processes x 20 appends into one s3:// table -> version 160, every row exactly once', async () => {
    const env = s3!;
    const uri = freshS3Uri(env, 'table8x20');
    const storageOptions = s3Options(env);
    await DeltaTable.create(uri, { schema, storageOptions });
    const children = Array.from({ length: 8 }, (_, w) => startAppender(uri, w, 20, storageOptions));
    await Promise.all(children.map((c) => c.ready));
    for (const c of children) c.go();
    const outs = await Promise.all(children.map((c) => c.done));
    const totalRetries = outs.reduce((n, o) => n + Number(/done (\d+)/.exec(o)?.[1] ?? NaN), 0);
    expect(Number.isNaN(totalRetries)).toBe(false);
    expect(totalRetries).toBeGreaterThan(0); // they really raced

    const t = await DeltaTable.open(uri, { storageOptions });
    expect(t.version).toBe(160);
    const rows = await t.scan().toArray();
    expect(rows.length).toBe(160);
    const seen = new Set(rows.map((r) => `${String(r.writer)}:${String(r.seq)}`));
    expect(seen.size).toBe(160);
    for (let w = 0; w < 8; w++) for (let s = 0; s < 20; s++) expect(seen.has(`${w}:${s}`)).toBe(true);
    const commits = (await listAll(openStore(uri, storageOptions), '_delta_log/'))
      .map((m) => m.path)
      .filter((p) => /^_delta_log\/\d{20}\.json$/.test(p));
    expect(commits.length).toBe(161);
    expect(commits[160]).toBe('_delta_log/00000000000000000160.json');
  });
});

describe.skipIf(s3 === null)('Delta table on S3: killed writer', () => {
  it('a writer killed with SIGKILL mid-write leaves no visible partial commit; the table reads exactly the committed versions', async () => {
    const env = s3!;
    const uri = freshS3Uri(env, 'killed');
    const storageOptions = s3Options(env);
    await DeltaTable.create(uri, { schema, storageOptions });
    const worker = path.join(repoRoot, 'test', 'helpers', 'append_worker.ts');
    for (let round = 0; round < 2; round++) {
      const child = spawn(process.execPath, ['--import', 'tsx', worker, uri, String(round), '1000', JSON.stringify(storageOptions)], {
        cwd: repoRoot,
        env: { ...process.env, DELTATS_WORKER_PROGRESS: '1' },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      const exited = new Promise<void>((resolve) => child.on('exit', () => resolve()));
      await new Promise<void>((resolve) => {
        let seen = 0;
        child.stdout.on('data', (d: Buffer) => {
          seen += String(d).split('\n').filter(Boolean).length;
          if (seen >= 3 + round) {
            setTimeout(() => child.kill('SIGKILL'), Math.random() * 15);
            resolve();
          }
        });
      });
      await exited;
    }
    const t = await DeltaTable.open(uri, { storageOptions });
    const rows = await t.scan().toArray();
    expect(rows.length).toBe(t.version);
    for (let v = 0; v <= t.version; v++) {
      expect((await (await DeltaTable.open(uri, { version: v, storageOptions })).scan().toArray()).length).toBe(v);
    }
    const commits = (await listAll(openStore(uri, storageOptions), '_delta_log/')).map((m) => m.path).filter((p) => p.endsWith('.json'));
    expect(commits).toHaveLength(t.version + 1);
    await t.append([{ writer: 9, seq: 0n, payload: 'after' }]);
    expect((await t.scan().toArray()).length).toBe(t.version);
  });
});

interface Location {
  name: string;
  skip: boolean;
  make(): { uri: string; storageOptions: StorageOptions };
}

const locations: Location[] = [
  {
    name: 'local folder',
    skip: false,
    make: () => {
      const dir = mkdtempSync(path.join(tmpdir(), 'deltats-s3table-'));
      tempDirs.push(dir);
      return { uri: path.join(dir, 'table'), storageOptions: {} };
    },
  },
  {
    name: 's3://',
    skip: s3 === null,
    make: () => ({ uri: freshS3Uri(s3!, 'tablesuite'), storageOptions: s3Options(s3!) }),
  },
];

describe.each(locations)('Delta table suite on $name', (loc) => {
  if (loc.skip) {
    it.skip('S3 server not available (DELTATS_SKIP_S3=1)', () => {});
    return;
  }

  it('create / append / overwrite / time travel / history round-trip', async () => {
    const { uri, storageOptions } = loc.make();
    await expect(DeltaTable.open(uri, { storageOptions })).rejects.toThrow(TableNotFoundError);
    const t = await DeltaTable.create(uri, { schema, partitionBy: ['writer'], storageOptions });
    expect(t.version).toBe(0);
    await expect(DeltaTable.create(uri, { schema, storageOptions })).rejects.toThrow(TableExistsError);
    const r1 = await t.append([
      { writer: 1, seq: 1n, payload: 'a' },
      { writer: 2, seq: 2n, payload: 'b' },
    ]);
    expect(r1.version).toBe(1);
    expect(r1.addedFiles.length).toBe(2); // one file per partition
    await t.append([{ writer: 1, seq: 3n, payload: null }]);
    await t.overwrite([{ writer: 2, seq: 20n, payload: 'z' }], { replaceWhere: 'writer = 2' });

    const reopened = await DeltaTable.open(uri, { storageOptions });
    expect(reopened.version).toBe(3);
    const rows = (await reopened.scan().toArray()).map((r) => [Number(r.writer), Number(r.seq), r.payload]);
    rows.sort((a, b) => (a[1] as number) - (b[1] as number));
    expect(rows).toEqual([
      [1, 1, 'a'],
      [1, 3, null],
      [2, 20, 'z'],
    ]);
    const filtered = await reopened.scan({ filter: 'writer = 1', columns: ['seq'] }).toArray();
    expect(filtered.map((r) => Number(r.seq)).sort()).toEqual([1, 3]);
    const v1 = await DeltaTable.open(uri, { version: 1, storageOptions });
    expect((await v1.scan().toArray()).length).toBe(2);
    const history = await reopened.history();
    expect(history.length).toBe(4);
    // Every data file the log references exists in the store.
    const store = openStore(uri, storageOptions);
    for (const f of reopened.files()) expect(await store.head(decodeURIComponent(f.path))).not.toBeNull();
  });

  it('checkpoints are written and read back through the store', async () => {
    const { uri, storageOptions } = loc.make();
    const t = await DeltaTable.create(uri, { schema, properties: { 'delta.checkpointInterval': '5' }, storageOptions });
    for (let i = 1; i <= 12; i++) await t.append([{ writer: 0, seq: BigInt(i), payload: `p${i}` }]);
    const store = openStore(uri, storageOptions);
    const log = (await listAll(store, '_delta_log/')).map((m) => m.path);
    expect(log).toContain('_delta_log/00000000000000000010.checkpoint.parquet');
    expect(log).toContain('_delta_log/_last_checkpoint');
    const reopened = await DeltaTable.open(uri, { storageOptions });
    expect(reopened.version).toBe(12);
    expect((await reopened.scan().toArray()).length).toBe(12);
  });
});
