// What the protocol or the CLI refuses, the library refuses too (issue 11 item 10): duplicate metaData/protocol in
// one commit, malformed protocol feature lists and partition columns in the log, bad names and properties at create.
import { afterAll, describe, expect, it } from 'vitest';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DeltaTable } from '../../src/delta_table.js';
import { InvalidArgumentError, ProtocolError } from '../../src/errors.js';
import type { StructType } from '../../src/schema/types.js';
import { cleanupTempDirs, tempDir } from '../helpers/tmp.js';

afterAll(cleanupTempDirs);

const schemaString = JSON.stringify({
  type: 'struct',
  fields: [
    { name: 'id', type: 'long', nullable: true, metadata: {} },
    { name: 'p', type: 'string', nullable: true, metadata: {} },
  ],
});
const protocol = { protocol: { minReaderVersion: 1, minWriterVersion: 2 } };
const metaData = (extra: Record<string, unknown> = {}) => ({
  metaData: { id: 'id-1', format: { provider: 'parquet', options: {} }, schemaString, partitionColumns: [], configuration: {}, ...extra },
});

function rawTable(...commits: unknown[][]): string {
  const dir = join(tempDir('deltats-logval-'), 't');
  mkdirSync(join(dir, '_delta_log'), { recursive: true });
  commits.forEach((actions, v) =>
    writeFileSync(join(dir, '_delta_log', `${String(v).padStart(20, '0')}.json`), actions.map((a) => JSON.stringify(a)).join('\n') + '\n'),
  );
  return dir;
}

describe('log validation', () => {
  it('a commit with two metaData or two protocol actions is a ProtocolError naming file and line', async () => {
    const twoMeta = rawTable([protocol, metaData(), metaData({ id: 'id-2' })]);
    await expect(DeltaTable.open(twoMeta)).rejects.toThrow(ProtocolError);
    await expect(DeltaTable.open(twoMeta)).rejects.toThrow(/at most one 'metaData' action.*00000000000000000000\.json, line 3/);
    const twoProto = rawTable([protocol, metaData()], [protocol, { protocol: { minReaderVersion: 1, minWriterVersion: 3 } }]);
    await expect(DeltaTable.open(twoProto)).rejects.toThrow(/at most one 'protocol' action.*00000000000000000001\.json, line 2/);
  });

  it('readerFeatures given as a string is refused as malformed, not read letter by letter', async () => {
    const dir = rawTable([{ protocol: { minReaderVersion: 3, minWriterVersion: 7, readerFeatures: 'deletionVectors', writerFeatures: [] } }, metaData()]);
    const err = await DeltaTable.open(dir).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ProtocolError);
    expect(String(err)).toMatch(/'protocol\.readerFeatures' must be an array of feature names, got "deletionVectors"/);
    expect(String(err)).not.toMatch(/feature 'd'/);
  });

  it('partitionColumns naming a missing column or holding a number are ProtocolErrors', async () => {
    await expect(DeltaTable.open(rawTable([protocol, metaData({ partitionColumns: ['nope'] })]))).rejects.toThrow(
      /partition column 'nope' .* is not a column of the table schema/,
    );
    await expect(DeltaTable.open(rawTable([protocol, metaData({ partitionColumns: [7] })]))).rejects.toThrow(
      /'metaData\.partitionColumns' must hold column names, found 7/,
    );
  });

  it('numeric and boolean table properties in the log read as text (like Spark); objects are refused', async () => {
    const t = await DeltaTable.open(rawTable([protocol, metaData({ configuration: { 'delta.checkpointInterval': 5, 'delta.appendOnly': false } })]));
    expect(t.properties).toEqual({ 'delta.checkpointInterval': '5', 'delta.appendOnly': 'false' });
    await expect(DeltaTable.open(rawTable([protocol, metaData({ configuration: { x: { a: 1 } } })]))).rejects.toThrow(
      /table property 'x' in metaData\.configuration must be a string/,
    );
  });
});

describe('DeltaTable.create validation (what the CLI refuses)', () => {
  const field = (name: string, type: unknown = 'long') => ({ name, type, nullable: true, metadata: {} });
  const schemaOf = (...fields: unknown[]) => ({ type: 'struct', fields }) as StructType;
  const where = () => join(tempDir('deltats-logval-'), 't');

  it('refuses duplicate (case-insensitive) and empty column names, also nested', async () => {
    await expect(DeltaTable.create(where(), { schema: schemaOf(field('a'), field('a')) })).rejects.toThrow(/column 'a' twice/);
    await expect(DeltaTable.create(where(), { schema: schemaOf(field('A'), field('a')) })).rejects.toThrow(InvalidArgumentError);
    await expect(DeltaTable.create(where(), { schema: schemaOf(field('')) })).rejects.toThrow(/empty name/);
    await expect(
      DeltaTable.create(where(), { schema: schemaOf(field('s', { type: 'struct', fields: [field('x'), field('X')] })) }),
    ).rejects.toThrow(/column 's\.X' twice/);
  });

  it('refuses partition columns that are not names of the schema and non-string properties', async () => {
    const s = schemaOf(field('a'), field('b'));
    await expect(DeltaTable.create(where(), { schema: s, partitionBy: [1 as unknown as string] })).rejects.toThrow(/must be a column name/);
    await expect(DeltaTable.create(where(), { schema: s, partitionBy: ['c'] })).rejects.toThrow(/not in the schema/);
    await expect(
      DeltaTable.create(where(), { schema: s, properties: { 'delta.deletedFileRetentionDuration': 168 as unknown as string } }),
    ).rejects.toThrow(/table property 'delta\.deletedFileRetentionDuration' must be a string/);
  });
});
