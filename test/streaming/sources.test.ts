// JsonDirSource and IterableSource: offsets, new-file discovery, bad records named by file/line, replay by factory.
import { afterAll, describe, expect, it } from 'vitest';
import * as arrow from 'apache-arrow';
import { LocalStore } from '../../src/storage/local.js';
import { JsonDirSource, type JsonDirOffset } from '../../src/streaming/json_dir_source.js';
import { IterableSource, type StreamItem } from '../../src/streaming/iterable_source.js';
import { runStream } from '../../src/streaming/runner.js';
import { DeltaSink } from '../../src/streaming/sink.js';
import { DeltaTable } from '../../src/delta_table.js';
import { InvalidArgumentError, SchemaMismatchError } from '../../src/errors.js';
import type { StructType } from '../../src/schema/types.js';
import { cleanupTempDirs, tempDir } from '../helpers/tmp.js';

afterAll(cleanupTempDirs);

const schema: StructType = {
  type: 'struct',
  fields: [
    { name: 'id', type: 'long', nullable: false, metadata: {} },
    { name: 'name', type: 'string', nullable: true, metadata: {} },
  ],
};
const enc = new TextEncoder();
const lines = (rows: object[]): Uint8Array => enc.encode(rows.map((r) => JSON.stringify(r)).join('\n') + '\n');
const ids = (t: arrow.Table): number[] => t.toArray().map((r) => Number((r as { id: bigint }).id));

describe('JsonDirSource', () => {
  it('reads new files in name order, with offsets {file, line}', async () => {
    const dir = tempDir('jsondir-');
    const store = new LocalStore(dir);
    await store.put('in/0001.json', lines([{ id: 1, name: 'a' }, { id: 2, name: 'b' }]));
    await store.put('in/0002.json', lines([{ id: 3 }]));
    await store.put('in/_ignored.json', lines([{ id: 99 }]));
    await store.put('in/notes.txt', enc.encode('not data'));
    const src = new JsonDirSource(dir, { schema, prefix: 'in', maxFilesPerTrigger: 1 });
    const o1 = await src.latestOffset(null);
    expect(o1).toEqual({ file: 'in/0001.json', line: 2 });
    expect(ids(await src.getBatch(null, o1!))).toEqual([1, 2]);
    const o2 = await src.latestOffset(o1);
    expect(o2).toEqual({ file: 'in/0002.json', line: 1 });
    expect(ids(await src.getBatch(o1, o2!))).toEqual([3]);
    expect(await src.latestOffset(o2)).toEqual(o2);
    await store.put('in/0003.json', lines([{ id: 4 }, { id: 5 }]));
    await store.put('in/0004.json', lines([{ id: 6 }]));
    const o3 = await src.latestOffset(o2, { maxFiles: 10 });
    expect(ids(await src.getBatch(o2, o3 as JsonDirOffset))).toEqual([4, 5, 6]);
  });

  it('a record that does not fit fails the batch naming file, line and column; the retry starts at the same offset', async () => {
    const dir = tempDir('jsondir-');
    const store = new LocalStore(dir);
    await store.put('0001.json', lines([{ id: 1 }]));
    await store.put('0002.json', lines([{ id: 2 }, { id: 'three' }]));
    const sinkUri = tempDir('jsondir-sink-');
    const ckpt = tempDir('jsondir-ckpt-');
    const run = () =>
      runStream({
        source: new JsonDirSource(dir, { schema, maxFilesPerTrigger: 1 }),
        sink: new DeltaSink(sinkUri, { queryId: 'json' }),
        checkpointLocation: ckpt,
        trigger: { availableNow: true },
      });
    const err = await run().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SchemaMismatchError);
    expect((err as Error).message).toMatch(/0002\.json line 2/);
    expect((err as SchemaMismatchError).column).toBe('id');
    expect(await (await DeltaTable.open(sinkUri)).scan().toArray()).toHaveLength(1);
    // Fix the file (same name) and re-run: batch 1 is retried from the same offset.
    await store.put('0002.json', lines([{ id: 2 }, { id: 3 }]));
    const res = await run();
    expect(res.batches).toBe(1);
    const rows = await (await DeltaTable.open(sinkUri)).scan().toArrow();
    expect(ids(rows).sort()).toEqual([1, 2, 3]);
  });

  it('names invalid JSON by file and line', async () => {
    const dir = tempDir('jsondir-');
    await new LocalStore(dir).put('a.json', enc.encode('{"id": 1}\n{"id": \n'));
    const src = new JsonDirSource(dir, { schema });
    const end = await src.latestOffset(null);
    await expect(src.getBatch(null, end!)).rejects.toThrow(/invalid JSON in a\.json line 2/);
  });
});

describe('IterableSource', () => {
  it('batches objects and RecordBatches with offsets = items consumed', async () => {
    async function* gen(): AsyncGenerator<StreamItem> {
      for (let i = 0; i < 5; i++) yield { id: BigInt(i), name: `n${i}` };
    }
    const src = new IterableSource(gen(), { schema, maxRecordsPerTrigger: 2 });
    const got: number[][] = [];
    let cur = null as { records: number } | null;
    for (;;) {
      const end = await src.latestOffset(cur);
      if (!end || end.records === cur?.records) break;
      got.push(ids(await src.getBatch(cur, end)));
      cur = end;
    }
    expect(got).toEqual([[0, 1], [2, 3], [4]]);
    expect(cur).toEqual({ records: 5 });
    expect(src.done).toBe(true);
  });

  it('a plain iterable cannot resume at a non-zero offset; a factory replays from the offset', async () => {
    const plain = new IterableSource([{ id: 1n }], { schema });
    await expect(plain.latestOffset({ records: 3 })).rejects.toBeInstanceOf(InvalidArgumentError);
    const calls: number[] = [];
    const factory = (from: number): Iterable<StreamItem> => {
      calls.push(from);
      return Array.from({ length: 10 - from }, (_, i) => ({ id: BigInt(from + i) }));
    };
    const src = new IterableSource(factory, { schema, maxRecordsPerTrigger: 4 });
    expect(ids(await src.getBatch({ records: 6 }, { records: 8 }))).toEqual([6, 7]);
    expect(calls).toEqual([6]);
  });

  it('runs end to end into a Delta sink, mixing objects and RecordBatches', async () => {
    const batch = new arrow.Table({ id: arrow.vectorFromArray([100n, 101n], new arrow.Int64()), name: arrow.vectorFromArray(['x', 'y'], new arrow.Utf8()) }).batches[0]!;
    const items: StreamItem[] = [{ id: 1n, name: 'a' }, batch, { id: 2n, name: null }];
    const sinkUri = tempDir('iter-sink-');
    const res = await runStream({
      source: new IterableSource(items, { schema }),
      sink: new DeltaSink(sinkUri, { queryId: 'iter', schema }),
      checkpointLocation: tempDir('iter-ckpt-'),
      trigger: { availableNow: true },
    });
    expect(res.batches).toBe(1);
    const rows = await (await DeltaTable.open(sinkUri)).scan().toArrow();
    expect(ids(rows)).toEqual([1, 100, 101, 2]);
  });
});
