// TableConfiguration and TableProperties: defaults, typed parsing, typed errors naming the property (also through
// real operations on a table whose log holds a malformed value), column mapping and the commit-time rule.
import { afterAll, describe, expect, it } from 'vitest';
import { InvalidTablePropertyError, UnsupportedFeatureError } from '../../src/errors.js';
import { TableConfiguration } from '../../src/log/table_configuration.js';
import { parseIntervalMs, TABLE_PROPERTIES, TableProperties, type TablePropertyName } from '../../src/log/table_properties.js';
import { parseSchema } from '../../src/schema/json.js';
import { DeltaTable, vacuum } from '../../src/delta_table.js';
import { cleanupTempDirs } from '../helpers/tmp.js';
import { loadCases } from '../schema/helpers.js';
import { SCHEMA, commitInfo, metaData, newTable, protocol, writeCommit } from './log_helpers.js';

afterAll(cleanupTempDirs);

const DAY = 86_400_000;
const props = (raw: Record<string, unknown>): TableProperties => new TableProperties(raw);

describe('TableProperties', () => {
  it('gives each property its documented default when unset', () => {
    const p = props({});
    expect(p.checkpointInterval).toBe(10);
    expect(p.checkpointPolicy).toBe('classic');
    expect(p.targetFileSize).toBeUndefined();
    expect(p.dataSkippingNumIndexedCols).toBe(32);
    expect(p.dataSkippingStatsColumns).toBeUndefined();
    expect(p.dataSkippingStringPrefixLength).toBe(32);
    expect(p.logRetentionMs).toBe(30 * DAY);
    expect(p.deletedFileRetentionMs).toBe(7 * DAY);
    expect(p.appendOnly).toBe(false);
    expect(p.enableInCommitTimestamps).toBe(false);
    expect(p.inCommitTimestampEnablementVersion).toBeUndefined();
    expect(p.enableDeletionVectors).toBe(false);
    expect(p.enableChangeDataFeed).toBe(false);
    expect(p.columnMappingMode).toBe('none');
    expect(() => p.validate()).not.toThrow();
  });

  it('parses set values', () => {
    const p = props({
      'delta.checkpointInterval': '3',
      'delta.checkpointPolicy': 'v2',
      'delta.targetFileSize': '1048576',
      'delta.dataSkippingNumIndexedCols': '-1',
      'delta.dataSkippingStatsColumns': 'a, b.c ,',
      'delta.logRetentionDuration': 'interval 2 days',
      'delta.deletedFileRetentionDuration': 'interval 1 day 12 hours',
      'delta.appendOnly': 'TRUE',
      'delta.enableInCommitTimestamps': 'true',
      'delta.inCommitTimestampEnablementVersion': '4',
      'delta.inCommitTimestampEnablementTimestamp': '1700000000000',
      'delta.columnMapping.mode': 'name',
    });
    expect(p.checkpointInterval).toBe(3);
    expect(p.checkpointPolicy).toBe('v2');
    expect(p.targetFileSize).toBe(1048576);
    expect(p.dataSkippingNumIndexedCols).toBe(-1);
    expect(p.dataSkippingStatsColumns).toEqual(['a', 'b.c']);
    expect(p.logRetentionMs).toBe(2 * DAY);
    expect(p.deletedFileRetentionMs).toBe(1.5 * DAY);
    expect(p.appendOnly).toBe(true);
    expect(p.inCommitTimestampEnablementVersion).toBe(4);
    expect(p.inCommitTimestampEnablementTimestamp).toBe(1700000000000);
    expect(p.columnMappingMode).toBe('name');
  });

  it('parses retention intervals and rejects bad ones', () => {
    expect(parseIntervalMs('interval 1 week', 'x')).toBe(7 * DAY);
    expect(parseIntervalMs('INTERVAL 7 DAYS', 'x')).toBe(7 * DAY);
    expect(parseIntervalMs('interval 1 day 12 hours', 'x')).toBe(1.5 * DAY);
    expect(parseIntervalMs('30 minutes', 'x')).toBe(30 * 60_000);
    expect(() => parseIntervalMs('one week', 'delta.deletedFileRetentionDuration')).toThrow(
      /delta.deletedFileRetentionDuration = 'one week' is not an interval/,
    );
  });

  // Each malformed value is a typed error naming the property, never a TypeError from deep inside.
  const malformed: Array<[TablePropertyName, unknown]> = [
    ['deletedFileRetentionMs', 5],
    ['deletedFileRetentionMs', 'soon'],
    ['deletedFileRetentionMs', 'interval -3 days'],
    ['logRetentionMs', { days: 30 }],
    ['logRetentionMs', null],
    ['checkpointInterval', 'often'],
    ['checkpointInterval', '0'],
    ['checkpointInterval', '2.5'],
    ['targetFileSize', '128MB'],
    ['dataSkippingNumIndexedCols', '-2'],
    ['dataSkippingStatsColumns', 7],
    ['appendOnly', 'yes'],
    ['appendOnly', 1],
    ['enableInCommitTimestamps', ''],
    ['inCommitTimestampEnablementVersion', 'v3'],
    ['checkpointPolicy', 'sometimes'],
  ];
  for (const [name, value] of malformed) {
    it(`${TABLE_PROPERTIES[name].key} = ${JSON.stringify(value)} is an InvalidTablePropertyError naming it`, () => {
      const key = TABLE_PROPERTIES[name].key;
      const p = props({ [key]: value });
      let err: unknown;
      try {
        p.get(name);
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(InvalidTablePropertyError);
      expect((err as InvalidTablePropertyError).property).toBe(key);
      expect((err as Error).message).toContain(key);
      expect(() => p.validate()).toThrow(InvalidTablePropertyError);
      // Other properties stay readable: only the operations that need this one fail.
      if (name !== 'appendOnly') expect(p.appendOnly).toBe(false);
    });
  }

  it('column mapping mode: known modes, an unknown one is an UnsupportedFeatureError naming it', () => {
    for (const m of ['none', 'name', 'id'] as const) expect(props({ 'delta.columnMapping.mode': m }).columnMappingMode).toBe(m);
    const f = (): unknown => props({ 'delta.columnMapping.mode': 'magic' }).columnMappingMode;
    expect(f).toThrow(UnsupportedFeatureError);
    expect(f).toThrow(/columnMapping.*'magic'/);
  });

  it('column mapping mode agrees with cases.json on every corpus table', () => {
    for (const c of loadCases()) {
      const mode = (c as { columnMappingMode?: string }).columnMappingMode ?? 'none';
      const configuration: Record<string, string> = mode === 'none' ? {} : { 'delta.columnMapping.mode': mode };
      expect(props(configuration).columnMappingMode, c.name).toBe(mode);
    }
  });
});

describe('TableConfiguration', () => {
  const md = (configuration: Record<string, string>, schemaString = SCHEMA) =>
    ({ id: 't', format: { provider: 'parquet' }, schemaString, partitionColumns: ['p'], configuration }) as const;

  it('owns schema, partition columns, features and checkpoint policy', () => {
    const c = new TableConfiguration({ minReaderVersion: 3, minWriterVersion: 7, readerFeatures: ['v2Checkpoint'], writerFeatures: ['v2Checkpoint'] }, md({}));
    expect(c.schema.fields.map((f) => f.name)).toEqual(['id', 'p']);
    expect(c.partitionColumns).toEqual(['p']);
    expect(c.hasFeature('v2Checkpoint')).toBe(true);
    expect(c.requiresV2Checkpoints).toBe(true);
    const plain = new TableConfiguration({ minReaderVersion: 1, minWriterVersion: 2 }, md({ 'delta.checkpointInterval': '5' }));
    expect(plain.requiresV2Checkpoints).toBe(false);
    expect([0, 4, 5, 10].map((v) => plain.checkpointDue(v))).toEqual([false, false, true, true]);
    expect(plain.deletionVectorsEnabled).toBe(false);
  });

  it('maps logical to physical names, paths and partition values by the mode', () => {
    const schemaString = JSON.stringify({
      type: 'struct',
      fields: [
        { name: 'id', type: 'long', nullable: true, metadata: { 'delta.columnMapping.id': 1, 'delta.columnMapping.physicalName': 'col-1' } },
        { name: 'p', type: 'string', nullable: true, metadata: { 'delta.columnMapping.id': 2, 'delta.columnMapping.physicalName': 'col-2' } },
      ],
    });
    const named = new TableConfiguration({ minReaderVersion: 2, minWriterVersion: 5 }, md({ 'delta.columnMapping.mode': 'name' }, schemaString));
    const p = named.schema.fields[1]!;
    expect(named.physicalName(p)).toBe('col-2');
    expect(named.physicalPath(['id'])).toEqual(['col-1']);
    expect(named.physicalSchema().fields.map((f) => f.name)).toEqual(['col-1', 'col-2']);
    expect(named.partitionValue({ 'col-2': 'x' }, p)).toBe('x');
    const none = new TableConfiguration({ minReaderVersion: 1, minWriterVersion: 2 }, md({}, schemaString));
    expect(none.physicalPath(['id'])).toEqual(['id']);
    expect(none.partitionValue({ p: 'y', 'col-2': 'x' }, p)).toBe('y');
    expect(parseSchema(schemaString).fields[0]!.name).toBe('id');
  });

  it('commit-time rule: in-commit timestamps from the enablement version on, file mtime before', () => {
    const c = new TableConfiguration(
      { minReaderVersion: 1, minWriterVersion: 7, writerFeatures: ['inCommitTimestamp'] },
      md({ 'delta.enableInCommitTimestamps': 'true', 'delta.inCommitTimestampEnablementVersion': '3' }),
    );
    expect(c.inCommitTimestampsAt(2)).toBe(false);
    expect(c.inCommitTimestampsAt(3)).toBe(true);
    expect(c.commitTimestamp(2, 999, 50)).toBe(50);
    expect(c.commitTimestamp(3, 999, 50)).toBe(999);
    expect(c.commitTimestamp(4, undefined, 60)).toBe(60);
    const off = new TableConfiguration({ minReaderVersion: 1, minWriterVersion: 2 }, md({}));
    expect(off.commitTimestamp(7, 999, 50)).toBe(50);
  });

  it('in-commit timestamps are enabled by the property (the writer then times every commit)', () => {
    const p = { minReaderVersion: 1, minWriterVersion: 7, writerFeatures: ['inCommitTimestamp'] };
    const c = new TableConfiguration(p, md({ 'delta.enableInCommitTimestamps': 'true' }));
    expect(() => c.assertWritable()).not.toThrow();
    expect(c.inCommitTimestampsEnabled).toBe(true);
    expect(new TableConfiguration(p, md({})).inCommitTimestampsEnabled).toBe(false);
  });
});

describe('malformed properties through real operations', () => {
  it('a table whose log holds a number for an interval reads, and vacuum names the property', async () => {
    const t = newTable();
    // Written raw, as a foreign writer could: a JSON number where the protocol wants a string (read as its text, '5').
    const md = metaData({ configuration: { 'delta.deletedFileRetentionDuration': 5 as unknown as string } });
    await writeCommit(t.store, 0, [commitInfo('CREATE TABLE'), protocol(), md]);
    const table = await DeltaTable.open(t.dir);
    expect(await table.scan().toArray()).toEqual([]);
    const err = await vacuum(table, { dryRun: true }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(InvalidTablePropertyError);
    expect((err as Error).message).toMatch(/delta\.deletedFileRetentionDuration = '5' is not an interval/);
  });

  it('a garbage checkpoint interval fails the write before anything is committed', async () => {
    const t = newTable();
    await writeCommit(t.store, 0, [commitInfo('CREATE TABLE'), protocol(), metaData({ configuration: { 'delta.checkpointInterval': 'often' } })]);
    const table = await DeltaTable.open(t.dir);
    const err = await table.append([{ id: 1n, p: 'a' }]).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(InvalidTablePropertyError);
    expect((err as Error).message).toContain('delta.checkpointInterval');
    expect((await DeltaTable.open(t.dir)).version).toBe(0);
  });

  it('create() refuses malformed properties and writes nothing', async () => {
    const t = newTable();
    const schema = parseSchema(SCHEMA);
    const err = await DeltaTable.create(t.dir, { schema, properties: { 'delta.appendOnly': 'maybe' } }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(InvalidTablePropertyError);
    expect((err as Error).message).toContain('delta.appendOnly');
    expect(await DeltaTable.exists(t.dir)).toBe(false);
  });
});
