// Tests of the Parquet worker pool: decode and encode in worker threads equal the calling thread's, buffers move by
// transfer, workers start lazily, a dead worker fails its task with ParquetWorkerError and is replaced, an idle pool
// never keeps a process alive (real child processes), and INT96 columns are still read exactly through the pool.
import { execFile } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, writeFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { Field, makeData, RecordBatch, Schema, Struct, Table, tableFromArrays, tableFromIPC, Utf8 } from 'apache-arrow';
import { afterAll, describe, expect, it } from 'vitest';
import { ParquetWorkerError, SchemaMismatchError } from '../../src/errors.js';
import { decodeParquet, encodeParquet, readParquet, readParquetFooter, writeParquet } from '../../src/storage/parquet.js';
import { ParquetWorkerPool, parquetPool } from '../../src/storage/parquet_pool.js';
import { decodeToIPC } from '../../src/storage/parquet_wasm.js';

const run = promisify(execFile);
const REPO = resolve(__dirname, '../..');
const CORPUS = process.env.DELTATS_CONFORMANCE_DIR ?? resolve(__dirname, '../../../shared/conformance');
const haveCorpus = existsSync(join(CORPUS, 'cases.json'));

function sample(n: number): Table {
  const id = BigInt64Array.from({ length: n }, (_, i) => BigInt(i));
  const name = Array.from({ length: n }, (_, i) => (i % 7 === 0 ? null : `n${i}`));
  const x = Float64Array.from({ length: n }, (_, i) => i / 4);
  return tableFromArrays({ id, name, x });
}
const rowsOf = (t: Table): string[] => t.toArray().map((r) => JSON.stringify(r, (_, v) => (typeof v === 'bigint' ? `${v}n` : v)));

const pools: ParquetWorkerPool[] = [];
function newPool(size: number): ParquetWorkerPool {
  const p = new ParquetWorkerPool(size);
  pools.push(p);
  return p;
}
afterAll(async () => {
  await Promise.all(pools.map((p) => p.close()));
  await parquetPool(2)!.close();
});

describe('Parquet worker pool', () => {
  const bytes = writeParquet(sample(5000), { rowGroupSize: 1000 });

  it('decodes in a worker exactly as the calling thread does (columns, row groups)', async () => {
    const pool = newPool(2);
    expect(pool.threads).toBe(0); // lazy: nothing started before the first task
    const all = tableFromIPC(await pool.decode({ bytes }, {}));
    expect(rowsOf(all)).toEqual(rowsOf(readParquet(bytes)));
    const request = { columns: ['name'], rowGroups: [1, 3] };
    const some = tableFromIPC(await pool.decode({ bytes }, request));
    expect(rowsOf(some)).toEqual(rowsOf(tableFromIPC(decodeToIPC(bytes, request))));
    expect(some.numRows).toBe(2000);
    expect(some.getChild('name')!.get(0)).toBe('n1000');
    expect(some.getChild('name')!.get(1000)).toBe('n3000');
    expect(pool.threads).toBeGreaterThanOrEqual(1);
    expect(pool.threads).toBeLessThanOrEqual(2);
  });

  it('runs tasks on at most `size` workers, in parallel when there are several', async () => {
    const pool = newPool(2);
    const out = await Promise.all(Array.from({ length: 6 }, () => pool.decode({ bytes }, { columns: ['id'] })));
    expect(out.map((b) => tableFromIPC(b).numRows)).toEqual(Array(6).fill(5000));
    expect(pool.threads).toBe(2);
    expect(pool.started).toBe(2);
  });

  it('moves a whole buffer the caller gives up, copies a view and leaves it intact', async () => {
    const pool = newPool(1);
    const own = bytes.slice();
    await pool.decode({ bytes: own, transfer: true }, {});
    expect(own.byteLength).toBe(0); // detached: moved, not copied
    const big = new Uint8Array(bytes.length + 16);
    big.set(bytes, 8);
    const view = big.subarray(8, 8 + bytes.length);
    const t = tableFromIPC(await pool.decode({ bytes: view, transfer: true }, {}));
    expect(t.numRows).toBe(5000);
    expect(big.byteLength).toBe(bytes.length + 16); // a view of a larger buffer is never detached
    expect(view[0]).toBe(bytes[0]);
  });

  it('encodes in a worker: the file reads back to the same rows (sliced, multi-chunk input)', async () => {
    const t = sample(3000);
    const multi = t.slice(100, 1500).concat(t.slice(2000, 3000));
    expect(multi.batches.length).toBeGreaterThan(1);
    const out = await encodeParquet(multi, { threads: 2, rowGroupSize: 500 });
    expect(readParquetFooter(out).rowGroups.length).toBe(5);
    expect(rowsOf(readParquet(out))).toEqual(rowsOf(multi));
  });

  it('a decode error in the worker is an error of that task only; the worker keeps serving', async () => {
    const pool = newPool(1);
    const junk = new Uint8Array(200).fill(7);
    await expect(pool.decode({ bytes: junk }, {})).rejects.toThrow(/./);
    expect(tableFromIPC(await pool.decode({ bytes }, {})).numRows).toBe(5000);
    await expect(encodeParquet(tableFromArrays({ s: ['ok'] }), { threads: 2 })).resolves.toBeInstanceOf(Uint8Array);
  });

  it('a worker that dies mid-task fails it with ParquetWorkerError naming the file; a fresh worker takes the next task', async () => {
    const pool = newPool(1);
    const big = writeParquet(sample(400_000));
    const task = pool.decode({ bytes: big, file: 'part-0.parquet' }, {});
    const failed = expect(task).rejects.toSatisfy((e: unknown) => e instanceof ParquetWorkerError && /died while decoding/.test(e.message) && e.file === 'part-0.parquet');
    expect(await pool.killBusyWorkerForTest()).toBe(true);
    await failed;
    expect(pool.threads).toBe(0);
    expect(tableFromIPC(await pool.decode({ bytes }, {})).numRows).toBe(5000);
    expect(pool.started).toBe(2);
  });

  it('a worker whose WASM memory grew past the limit is replaced after its task (WASM memory never shrinks)', async () => {
    const pool = new ParquetWorkerPool(1, 1);
    pools.push(pool);
    for (let i = 0; i < 3; i++) expect(tableFromIPC(await pool.decode({ bytes }, {})).numRows).toBe(5000);
    expect(pool.started).toBe(3);
    const roomy = newPool(1);
    for (let i = 0; i < 3; i++) await roomy.decode({ bytes }, {});
    expect(roomy.started).toBe(1);
  });

  it('an idle worker stops after idleMs (its WASM memory goes back); the next task starts a fresh one', async () => {
    const pool = new ParquetWorkerPool(1, undefined, 200);
    pools.push(pool);
    await pool.decode({ bytes }, {});
    expect(pool.threads).toBe(1);
    await new Promise((r) => setTimeout(r, 1000));
    expect(pool.threads).toBe(0);
    expect(tableFromIPC(await pool.decode({ bytes }, {})).numRows).toBe(5000);
    expect(pool.started).toBe(2);
  });

  it('encodeParquet keeps the typed error for data parquet-wasm refuses', async () => {
    // Arrow JS accepts invalid UTF-8 in a string column; Parquet (arrow-rs) refuses it.
    const bad = makeData({ type: new Utf8(), length: 1, nullCount: 0, valueOffsets: new Int32Array([0, 2]), data: new Uint8Array([0xff, 0xfe]) });
    const schema = new Schema([new Field('s', new Utf8(), true)]);
    const t = new Table(schema, [new RecordBatch(schema, makeData({ type: new Struct(schema.fields), length: 1, nullCount: 0, children: [bad] }))]);
    await expect(encodeParquet(t, { threads: 2 })).rejects.toBeInstanceOf(SchemaMismatchError);
  });

  it('threads 0 and 1 run on the calling thread; a negative count is refused', async () => {
    expect(parquetPool(0)).toBeNull();
    expect(parquetPool(1)).toBeNull();
    expect(() => parquetPool(-1)).toThrow(/non-negative/);
    const t = await decodeParquet(bytes.slice(), { threads: 1, transfer: true });
    expect(t.numRows).toBe(5000);
  });
});

describe('Parquet worker pool in a real process', () => {
  // tsx runs the script from source; the pool then starts its worker from the .ts entry.
  const script = (body: string): string => {
    const dir = mkdtempSync(join(tmpdir(), 'deltats-pool-'));
    const file = join(dir, 'child.mts');
    writeFileSync(
      file,
      `import { tableFromArrays } from ${JSON.stringify(pathToFileURL(join(REPO, 'node_modules/apache-arrow/Arrow.node.mjs')).href)};\n` +
        `import { decodeParquet, writeParquet } from ${JSON.stringify(join(REPO, 'src/storage/parquet.ts'))};\n` +
        `const bytes = writeParquet(tableFromArrays({ id: Int32Array.from({ length: 200000 }, (_, i) => i) }));\n${body}\n`,
    );
    return file;
  };
  const tsx = join(REPO, 'node_modules', '.bin', 'tsx');

  it('stays alive while a worker holds its only pending task, and exits by itself once the pool is idle', async () => {
    // A worker unref'd during a task would let this top-level await end the process (exit 13) before the answer.
    const file = script(`const t = await decodeParquet(bytes, { threads: 2, transfer: true });\nconsole.log('rows', t.numRows);`);
    try {
      const { stdout } = await run(tsx, [file], { cwd: REPO, timeout: 60_000 });
      expect(stdout.trim()).toBe('rows 200000');
    } finally {
      rmSync(join(file, '..'), { recursive: true, force: true });
    }
  });
});

describe.skipIf(!haveCorpus)('INT96 through the pool', () => {
  it('spark-kernel-timestamp-INT96 and rs-table_with_edge_timestamps decode as on the calling thread', async () => {
    await parquetPool(2)!.close();
    expect(parquetPool(2)!.threads).toBe(0);
    for (const name of ['spark-kernel-timestamp-INT96', 'rs-table_with_edge_timestamps']) {
      const dir = join(CORPUS, 'tables', name);
      const files = (readdirSync(dir, { recursive: true }) as string[]).filter((f) => f.endsWith('.parquet') && !f.includes('_delta_log'));
      expect(files.length).toBeGreaterThan(0);
      for (const f of files) {
        const b = readFileSync(join(dir, f));
        const own = new Uint8Array(b); // a whole buffer: offered for transfer, kept because INT96 needs it here
        const viaPool = await decodeParquet(own, { threads: 2, inlineBelow: 0, transfer: true, file: f });
        expect(rowsOf(viaPool)).toEqual(rowsOf(readParquet(b, { file: f })));
        expect(own.byteLength).toBe(b.length);
      }
    }
    expect(parquetPool(2)!.threads).toBeGreaterThan(0);
  });
});
