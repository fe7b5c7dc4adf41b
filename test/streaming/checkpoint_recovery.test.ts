// A damaged stream checkpoint never silently drops or duplicates rows (issue 11 items 2 and 7): a lost checkpoint
// against a sink that is ahead is refused, and a checkpoint file that does not parse is a StreamCheckpointError
// naming the file.
import { afterAll, describe, expect, it } from 'vitest';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DeltaTable } from '../../src/delta_table.js';
import { DeltaSource } from '../../src/streaming/source.js';
import { DeltaSink } from '../../src/streaming/sink.js';
import { runStream } from '../../src/streaming/runner.js';
import { StreamCheckpointError } from '../../src/errors.js';
import type { StructType } from '../../src/schema/types.js';
import { cleanupTempDirs, tempDir } from '../helpers/tmp.js';

afterAll(cleanupTempDirs);

const schema: StructType = { type: 'struct', fields: [{ name: 'id', type: 'long', nullable: false, metadata: {} }] };

async function setup(commits: number): Promise<{ src: DeltaTable; srcUri: string; sinkUri: string; ckpt: string; nextId: () => bigint }> {
  const root = tempDir('deltats-ckpt-');
  const srcUri = join(root, 'src');
  const src = await DeltaTable.create(srcUri, { schema });
  let id = 0n;
  const nextId = (): bigint => id++;
  for (let i = 0; i < commits; i++) await src.append([{ id: nextId() }]);
  return { src, srcUri, sinkUri: join(root, 'sink'), ckpt: join(root, 'ckpt'), nextId };
}

const run = (srcUri: string, sinkUri: string, ckpt: string) =>
  runStream({
    source: new DeltaSource(srcUri, { maxFilesPerTrigger: 1 }),
    sink: new DeltaSink(sinkUri, { queryId: 'q1' }),
    checkpointLocation: ckpt,
    trigger: { availableNow: true },
  });

async function sinkIds(uri: string): Promise<bigint[]> {
  const rows = await (await DeltaTable.open(uri)).scan().toArray();
  return rows.map((r) => r.id as bigint).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
}

describe('stream checkpoint recovery', () => {
  it('a deleted checkpoint folder against a sink that already has the query is refused, not skipped (item 2)', async () => {
    const { src, srcUri, sinkUri, ckpt, nextId } = await setup(4);
    expect(await run(srcUri, sinkUri, ckpt)).toMatchObject({ batches: 4, lastBatchId: 3 });
    rmSync(ckpt, { recursive: true, force: true });
    for (let i = 0; i < 3; i++) await src.append([{ id: nextId() }]);
    const err = await run(srcUri, sinkUri, ckpt).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(StreamCheckpointError);
    expect(String(err)).toMatch(/already committed batch 3 of query q1.*has no batches/);
    expect(await sinkIds(sinkUri)).toEqual([0n, 1n, 2n, 3n]);
  });

  it('a checkpoint that lost its newest batches (older copy) is refused too; an intact one resumes all rows', async () => {
    const { srcUri, sinkUri, ckpt } = await setup(4);
    await run(srcUri, sinkUri, ckpt);
    rmSync(join(ckpt, 'offsets', '3'));
    rmSync(join(ckpt, 'commits', '3'));
    rmSync(join(ckpt, 'commits', '2'));
    await expect(run(srcUri, sinkUri, ckpt)).rejects.toThrow(/knows batches up to 2 only/);
    // With the pending batch 2 only (its commit entry lost), batch 2 is re-run idempotently: nothing refused.
    const { srcUri: s2, sinkUri: k2, ckpt: c2, src: t2, nextId: n2 } = await setup(3);
    await run(s2, k2, c2);
    rmSync(join(c2, 'commits', '2'));
    await t2.append([{ id: n2() }]);
    expect(await run(s2, k2, c2)).toMatchObject({ lastBatchId: 3 });
    expect(await sinkIds(k2)).toEqual([0n, 1n, 2n, 3n]);
  });

  it('an offsets entry without endOffset is a StreamCheckpointError naming the file, never a restart (item 7)', async () => {
    const { src, srcUri, sinkUri, ckpt, nextId } = await setup(4);
    await run(srcUri, sinkUri, ckpt);
    const file = join(ckpt, 'offsets', '3');
    const entry = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
    delete entry.endOffset;
    writeFileSync(file, JSON.stringify(entry));
    await src.append([{ id: nextId() }]);
    const err = (await run(srcUri, sinkUri, ckpt).catch((e: unknown) => e)) as StreamCheckpointError;
    expect(err).toBeInstanceOf(StreamCheckpointError);
    expect(err.message).toMatch(/offsets\/3: it has no endOffset/);
    expect(err.file).toMatch(/ckpt\/offsets\/3$/);
    expect(await sinkIds(sinkUri)).toEqual([0n, 1n, 2n, 3n]); // nothing duplicated
  });

  it('a null offsets entry, a truncated commits entry and metadata without id name their files (item 7)', async () => {
    const { srcUri, sinkUri, ckpt } = await setup(2);
    await run(srcUri, sinkUri, ckpt);
    const offsets = join(ckpt, 'offsets', '1');
    const saved = readFileSync(offsets, 'utf8');
    writeFileSync(offsets, 'null');
    await expect(run(srcUri, sinkUri, ckpt)).rejects.toThrow(/corrupt checkpoint file .*offsets\/1: it is not an offsets entry/);
    writeFileSync(offsets, saved);
    writeFileSync(join(ckpt, 'commits', '1'), '{"batchId":1,"ski');
    await expect(run(srcUri, sinkUri, ckpt)).rejects.toThrow(/corrupt checkpoint file .*commits\/1/);
    writeFileSync(join(ckpt, 'commits', '1'), '{"batchId":1,"skipped":false,"timestamp":1}');
    writeFileSync(join(ckpt, 'metadata'), '{}');
    await expect(run(srcUri, sinkUri, ckpt)).rejects.toThrow(/corrupt checkpoint file .*metadata: it has no query id/);
    expect(await sinkIds(sinkUri)).toEqual([0n, 1n]);
  });
});
