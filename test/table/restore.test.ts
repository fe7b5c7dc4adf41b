// restore(): one commit that makes the table read like an earlier version; metadata restored, protocol never downgraded.
import { afterAll, describe, expect, it } from 'vitest';
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { DeltaTable, restore } from '../../src/delta_table.js';
import { restoredProtocol } from '../../src/table/operations/restore.js';
import { DataFileNotFoundError, InvalidArgumentError } from '../../src/errors.js';
import type { StructType } from '../../src/schema/types.js';
import { cleanupTempDirs, tempDir } from '../helpers/tmp.js';
import { rowSet } from './maintenance_helpers.js';

afterAll(cleanupTempDirs);

const schema: StructType = {
  type: 'struct',
  fields: [
    { name: 'id', type: 'long', nullable: true, metadata: {} },
    { name: 's', type: 'string', nullable: true, metadata: {} },
  ],
};

function commitLines(dir: string, v: number): Array<Record<string, any>> {
  return readFileSync(join(dir, '_delta_log', `${String(v).padStart(20, '0')}.json`), 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l));
}

describe('restore', () => {
  it('restores rows and schema of an earlier version in one commit', async () => {
    const dir = join(tempDir('deltats-restore-'), 't');
    const t = await DeltaTable.create(dir, { schema });
    await t.append([{ id: 1n, s: 'a' }, { id: 2n, s: 'b' }]); // v1
    const v1Rows = rowSet(await t.scan().toArray());
    await t.append([{ id: 3n, s: 'c', extra: true }], { schemaMode: 'merge' }); // v2: new column
    await t.overwrite([{ id: 4n, s: 'd', extra: false }]); // v3
    expect(t.schema.fields.map((f) => f.name)).toEqual(['id', 's', 'extra']);

    const res = await restore(t, { version: 1 });
    expect(res.version).toBe(4);
    expect(res.restoredVersion).toBe(1);
    expect(res.metrics).toMatchObject({ numRestoredFiles: 1, numRemovedFiles: 1, numOfFilesAfterRestore: 1 });
    const after = await DeltaTable.open(dir);
    expect(after.version).toBe(4);
    expect(after.schema.fields.map((f) => f.name)).toEqual(['id', 's']);
    expect(rowSet(await after.scan().toArray())).toEqual(v1Rows);
    // The passed handle sees the new version too.
    expect(t.version).toBe(4);

    const lines = commitLines(dir, 4);
    const info = lines.find((l) => l.commitInfo)!.commitInfo;
    expect(info.operation).toBe('RESTORE');
    expect(info.operationParameters.version).toBe('1');
    // Spark writes "timestamp": null; the Transaction drops null parameters.
    expect([undefined, null, 'null']).toContain(info.operationParameters.timestamp);
    expect(info.operationMetrics.numRestoredFiles).toBe('1');
    expect(lines.some((l) => l.metaData)).toBe(true);
    expect(lines.filter((l) => l.add).every((l) => l.add.dataChange === true)).toBe(true);
    expect(lines.filter((l) => l.remove).every((l) => l.remove.dataChange === true)).toBe(true);
  });

  it('restores by timestamp', async () => {
    const dir = join(tempDir('deltats-restore-'), 't');
    const t = await DeltaTable.create(dir, { schema });
    await t.append([{ id: 1n, s: 'a' }]);
    await new Promise((r) => setTimeout(r, 30));
    const between = new Date();
    await new Promise((r) => setTimeout(r, 30));
    await t.append([{ id: 2n, s: 'b' }]);
    const res = await restore(t, { timestamp: between.toISOString() });
    expect(res.restoredVersion).toBe(1);
    expect(rowSet(await (await DeltaTable.open(dir)).scan().toArray())).toEqual(rowSet([{ id: 1n, s: 'a' }]));
  });

  it('refuses with DataFileNotFoundError naming a vacuumed file, and commits nothing', async () => {
    const dir = join(tempDir('deltats-restore-'), 't');
    const t = await DeltaTable.create(dir, { schema });
    await t.append([{ id: 1n, s: 'a' }]);
    const gone = t.files()[0]!.path;
    await t.overwrite([{ id: 2n, s: 'b' }]);
    rmSync(join(dir, decodeURIComponent(gone)));
    const err = await restore(t, { version: 1 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DataFileNotFoundError);
    expect((err as DataFileNotFoundError).path).toBe(gone);
    expect((err as Error).message).toMatch(/cannot restore .* to version 1/);
    expect((await DeltaTable.open(dir)).version).toBe(2);
  });

  it('rejects versions newer than the latest', async () => {
    const dir = join(tempDir('deltats-restore-'), 't');
    const t = await DeltaTable.create(dir, { schema });
    await expect(restore(t, { version: 5 })).rejects.toThrow(InvalidArgumentError);
  });

  it('never downgrades the protocol', () => {
    const cur = { minReaderVersion: 3, minWriterVersion: 7, readerFeatures: ['deletionVectors'], writerFeatures: ['deletionVectors'] };
    expect(restoredProtocol(cur, { minReaderVersion: 1, minWriterVersion: 2 })).toBeNull();
    expect(restoredProtocol({ minReaderVersion: 1, minWriterVersion: 2 }, cur)).toEqual(cur);
    expect(
      restoredProtocol(cur, { minReaderVersion: 3, minWriterVersion: 7, readerFeatures: ['timestampNtz'], writerFeatures: ['timestampNtz'] }),
    ).toEqual({
      minReaderVersion: 3,
      minWriterVersion: 7,
      readerFeatures: ['deletionVectors', 'timestampNtz'],
      writerFeatures: ['deletionVectors', 'timestampNtz'],
    });
    expect(restoredProtocol({ minReaderVersion: 1, minWriterVersion: 2 }, { minReaderVersion: 1, minWriterVersion: 4 })).toEqual({
      minReaderVersion: 1,
      minWriterVersion: 4,
    });
  });
});
