// Table features registry: what deltats reads and writes, legacy protocol versions, protocolFor.
import { describe, expect, it } from 'vitest';
import { UnsupportedFeatureError } from '../../src/errors.js';
import type { Metadata, Protocol } from '../../src/log/actions.js';
import {
  FEATURES,
  assertReadable,
  assertWritable,
  hasFeature,
  protocolFor,
  readerFeaturesOf,
  writerFeaturesOf,
} from '../../src/log/features.js';

const md = (over: Partial<Metadata> = {}, fieldMetadata: Record<string, unknown> = {}): Metadata => ({
  id: 't',
  format: { provider: 'parquet', options: {} },
  schemaString: JSON.stringify({
    type: 'struct',
    fields: [
      { name: 'id', type: 'long', nullable: true, metadata: {} },
      { name: 's', type: { type: 'struct', fields: [{ name: 'x', type: 'integer', nullable: true, metadata: fieldMetadata }] }, nullable: true, metadata: {} },
    ],
  }),
  partitionColumns: [],
  configuration: {},
  ...over,
});

function thrown(f: () => void): UnsupportedFeatureError {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(UnsupportedFeatureError);
    return e as UnsupportedFeatureError;
  }
  throw new Error('expected UnsupportedFeatureError');
}

const tf = (readerFeatures: string[] | null, writerFeatures: string[]): Protocol =>
  readerFeatures
    ? { minReaderVersion: 3, minWriterVersion: 7, readerFeatures, writerFeatures }
    : { minReaderVersion: 1, minWriterVersion: 7, writerFeatures };

describe('features registry', () => {
  it('has one entry per feature name', () => {
    expect(new Set(FEATURES.map((f) => f.name)).size).toBe(FEATURES.length);
    expect(FEATURES.filter((f) => f.kind === 'writer').every((f) => f.read)).toBe(true);
  });

  it('expands legacy protocol versions', () => {
    expect(writerFeaturesOf({ minReaderVersion: 1, minWriterVersion: 2 }).sort()).toEqual(['appendOnly', 'invariants']);
    expect(writerFeaturesOf({ minReaderVersion: 1, minWriterVersion: 4 }).sort()).toEqual(
      ['appendOnly', 'changeDataFeed', 'checkConstraints', 'generatedColumns', 'invariants'].sort(),
    );
    expect(writerFeaturesOf({ minReaderVersion: 2, minWriterVersion: 6 })).toContain('identityColumns');
    expect(readerFeaturesOf({ minReaderVersion: 2, minWriterVersion: 5 })).toEqual(['columnMapping']);
    expect(readerFeaturesOf({ minReaderVersion: 1, minWriterVersion: 2 })).toEqual([]);
  });
});

describe('assertReadable', () => {
  it('accepts every reader feature the corpus uses and legacy versions', () => {
    for (const p of [
      { minReaderVersion: 1, minWriterVersion: 2 },
      { minReaderVersion: 2, minWriterVersion: 5 },
      tf(['deletionVectors', 'columnMapping', 'timestampNtz', 'v2Checkpoint', 'typeWidening-preview', 'typeWidening', 'vacuumProtocolCheck'], []),
      tf(null, ['domainMetadata', 'rowTracking', 'liquid', 'clustering', 'inCommitTimestamp', 'icebergCompatV2', 'unknownWriterOnly']),
    ]) {
      expect(() => assertReadable(p)).not.toThrow();
    }
  });

  it('names the first unsupported or unknown reader feature, and too-new versions', () => {
    const e1 = thrown(() => assertReadable(tf(['deletionVectors', 'variantType', 'x'], [])));
    expect(e1.feature).toBe('variantType');
    expect(e1.kind).toBe('reader');
    expect(thrown(() => assertReadable(tf(['brandNewThing'], []))).message).toMatch(/'brandNewThing'.*unknown reader feature/);
    expect(thrown(() => assertReadable({ minReaderVersion: 4, minWriterVersion: 7 })).feature).toBe('readerVersion 4');
  });
});

describe('assertWritable', () => {
  it('allows plain legacy tables and writable table features', () => {
    expect(() => assertWritable({ minReaderVersion: 1, minWriterVersion: 2 }, md())).not.toThrow();
    // Writer 4 implies generatedColumns/changeDataFeed; only active ones matter.
    expect(() => assertWritable({ minReaderVersion: 1, minWriterVersion: 4 }, md())).not.toThrow();
    expect(() => assertWritable({ minReaderVersion: 2, minWriterVersion: 5 }, md())).not.toThrow(); // mapping mode none
    expect(() =>
      assertWritable(tf(['deletionVectors', 'timestampNtz', 'v2Checkpoint'], ['deletionVectors', 'timestampNtz', 'v2Checkpoint', 'appendOnly', 'invariants', 'domainMetadata', 'changeDataFeed']), md()),
    ).not.toThrow();
    expect(() => assertWritable(tf(null, ['inCommitTimestamp']), md({ configuration: { 'delta.enableInCommitTimestamps': 'true' } }))).not.toThrow();
  });

  it('refuses features the writer cannot honour, naming them', () => {
    expect(thrown(() => assertWritable(tf(null, ['appendOnly', 'generatedColumns']), md())).feature).toBe('generatedColumns');
    expect(thrown(() => assertWritable(tf(['columnMapping'], ['columnMapping']), md())).feature).toBe('columnMapping');
    expect(thrown(() => assertWritable(tf(null, ['rowTracking']), md())).feature).toBe('rowTracking');
    expect(thrown(() => assertWritable(tf(null, ['somethingNew']), md())).kind).toBe('writer');
    expect(thrown(() => assertWritable({ minReaderVersion: 1, minWriterVersion: 8 }, md())).feature).toBe('writerVersion 8');
    // Active legacy features.
    const cm = md({ configuration: { 'delta.columnMapping.mode': 'name' } });
    expect(thrown(() => assertWritable({ minReaderVersion: 2, minWriterVersion: 5 }, cm)).feature).toBe('columnMapping');
    const gen = md({}, { 'delta.generationExpression': 'id + 1' });
    expect(thrown(() => assertWritable({ minReaderVersion: 1, minWriterVersion: 4 }, gen)).feature).toBe('generatedColumns');
    const inv = md({}, { 'delta.invariants': '{"expression":{"expression":"x > 3"}}' });
    expect(thrown(() => assertWritable({ minReaderVersion: 1, minWriterVersion: 2 }, inv)).feature).toBe('invariants');
    const cc = md({ configuration: { 'delta.constraints.pos': 'id > 0' } });
    expect(thrown(() => assertWritable({ minReaderVersion: 1, minWriterVersion: 3 }, cc)).feature).toBe('checkConstraints');
    // Reads are still fine for all of them.
    expect(() => assertReadable({ minReaderVersion: 1, minWriterVersion: 4 }, gen)).not.toThrow();
  });

  it('flags V2 checkpoints', () => {
    expect(hasFeature(tf(['v2Checkpoint'], ['v2Checkpoint']), 'v2Checkpoint')).toBe(true);
    expect(hasFeature({ minReaderVersion: 1, minWriterVersion: 2 }, 'v2Checkpoint')).toBe(false);
  });
});

describe('protocolFor', () => {
  it('gives the minimal protocol', () => {
    expect(protocolFor()).toEqual({ minReaderVersion: 1, minWriterVersion: 2 });
    expect(protocolFor({ appendOnly: true })).toEqual({ minReaderVersion: 1, minWriterVersion: 2 });
    expect(protocolFor({ changeDataFeed: true })).toEqual({ minReaderVersion: 1, minWriterVersion: 4 });
    expect(protocolFor({ columnMapping: true })).toEqual({ minReaderVersion: 2, minWriterVersion: 5 });
    expect(protocolFor({ timestampNtz: true, deletionVectors: true, changeDataFeed: true })).toEqual({
      minReaderVersion: 3,
      minWriterVersion: 7,
      readerFeatures: ['deletionVectors', 'timestampNtz'],
      writerFeatures: ['appendOnly', 'invariants', 'changeDataFeed', 'deletionVectors', 'timestampNtz'],
    });
    expect(protocolFor({ domainMetadata: true })).toEqual({
      minReaderVersion: 1,
      minWriterVersion: 7,
      writerFeatures: ['appendOnly', 'invariants', 'domainMetadata'],
    });
    // Found by interop: Spark 4.0 refused (even to read) a writer-7 table with a NOT NULL column whose writerFeatures
    // lacked 'invariants': "DELTA_FEATURES_PROTOCOL_METADATA_MISMATCH ... enabled in metadata but not listed in
    // protocol: invariants". Writer 7 keeps what writer 2 implied.
    expect(protocolFor({ timestampNtz: true }).writerFeatures).toEqual(['appendOnly', 'invariants', 'timestampNtz']);
    for (const p of [protocolFor({ timestampNtz: true }), protocolFor({ deletionVectors: true, v2Checkpoint: true })]) {
      expect(() => assertWritable(p, md())).not.toThrow();
    }
  });
});
