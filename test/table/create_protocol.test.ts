// The protocol a new table gets from its schema and properties, as Spark 4 requires it (found by npm run interop).
import { afterAll, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { DeltaTable, objectsToArrow } from '../../src/index.js';
import type { StructType } from '../../src/index.js';
import { cleanupTempDirs, tempDir } from '../helpers/tmp.js';

afterAll(cleanupTempDirs);

const schema = (extra: StructType['fields'] = []): StructType => ({
  type: 'struct',
  fields: [{ name: 'id', type: 'long', nullable: false, metadata: {} }, ...extra],
});

describe('DeltaTable.create protocol', () => {
  it('lists invariants (NOT NULL columns) and appendOnly when table features are needed', async () => {
    const t = await DeltaTable.create(join(tempDir(), 't'), {
      schema: schema([{ name: 'ntz', type: 'timestamp_ntz', nullable: true, metadata: {} }]),
    });
    expect(t.protocol).toEqual({
      minReaderVersion: 3,
      minWriterVersion: 7,
      readerFeatures: ['timestampNtz'],
      writerFeatures: ['appendOnly', 'invariants', 'timestampNtz'],
    });
  });
});

describe('schema evolution protocol', () => {
  it('adding a timestamp_ntz column upgrades 1/2 to table features with timestampNtz (and keeps writer-2 features)', async () => {
    const uri = join(tempDir(), 't');
    const t = await DeltaTable.create(uri, { schema: schema() });
    expect(t.protocol).toEqual({ minReaderVersion: 1, minWriterVersion: 2 });
    await t.append([{ id: 1n }]);
    const withNtz = schema([{ name: 'ntz', type: 'timestamp_ntz', nullable: true, metadata: {} }]);
    await t.append(objectsToArrow([{ id: 2n, ntz: '2024-01-02T03:04:05.000006' }], withNtz), { schemaMode: 'merge' });
    const reopened = await DeltaTable.open(uri);
    expect(reopened.protocol).toEqual({
      minReaderVersion: 3,
      minWriterVersion: 7,
      readerFeatures: ['timestampNtz'],
      writerFeatures: ['appendOnly', 'invariants', 'timestampNtz'],
    });
    // Still writable by deltats, and the column reads back.
    await reopened.append([{ id: 3n, ntz: null }]);
    const rows = await (await DeltaTable.open(uri)).scan().toArray();
    expect(rows.map((r) => r.id)).toEqual([1n, 2n, 3n]);
    expect(rows.map((r) => r.ntz === null)).toEqual([true, false, true]);
  });

  it('a CDF table (1/4) upgraded for timestamp_ntz keeps changeDataFeed and drops inactive generatedColumns', async () => {
    const uri = join(tempDir(), 't');
    const t = await DeltaTable.create(uri, { schema: schema(), properties: { 'delta.enableChangeDataFeed': 'true' } });
    expect(t.protocol).toEqual({ minReaderVersion: 1, minWriterVersion: 4 });
    const withNtz = schema([{ name: 'ntz', type: 'timestamp_ntz', nullable: true, metadata: {} }]);
    await t.append(objectsToArrow([{ id: 2n, ntz: '2024-01-02T03:04:05' }], withNtz), { schemaMode: 'merge' });
    const reopened = await DeltaTable.open(uri);
    expect(reopened.protocol.writerFeatures).toEqual(['appendOnly', 'invariants', 'checkConstraints', 'changeDataFeed', 'timestampNtz']);
    await reopened.append([{ id: 3n, ntz: null }]);
    expect((await (await DeltaTable.open(uri)).scan().toArray()).length).toBe(2);
  });
});
