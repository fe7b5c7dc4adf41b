// The protocol a new table gets from its schema and properties, as Spark 4 requires it (found by npm run interop).
import { afterAll, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { DeltaTable } from '../../src/index.js';
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
