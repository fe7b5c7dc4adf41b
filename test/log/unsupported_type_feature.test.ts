// A reader feature deltats cannot read is reported as that feature even when the schema uses its type (found by
// npm run interop: a Spark 4 VARIANT table gave "unknown data type 'variant'" instead of naming variantType).
import { afterAll, describe, expect, it } from 'vitest';
import { UnsupportedFeatureError } from '../../src/errors.js';
import { Snapshot } from '../../src/log/snapshot.js';
import { cleanupTempDirs } from '../helpers/tmp.js';
import { metaData, newTable, protocol, writeCommit } from './log_helpers.js';

afterAll(cleanupTempDirs);

describe('unsupported reader feature with its own type in the schema', () => {
  it('names variantType, not the unknown type', async () => {
    const t = newTable();
    const schemaString = JSON.stringify({
      type: 'struct',
      fields: [
        { name: 'id', type: 'integer', nullable: true, metadata: {} },
        { name: 'v', type: 'variant', nullable: true, metadata: {} },
      ],
    });
    await writeCommit(t.store, 0, [
      protocol({ minReaderVersion: 3, minWriterVersion: 7, readerFeatures: ['variantType'], writerFeatures: ['variantType'] }),
      metaData({ schemaString }),
    ]);
    const err = await Snapshot.load(t.store).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UnsupportedFeatureError);
    expect((err as UnsupportedFeatureError).feature).toBe('variantType');
  });
});
