import { existsSync, readdirSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ProtocolError } from '../../src/errors.js';
import {
  addPathFor,
  canonicalPartitionValue,
  escapePartitionPathSegment,
  HIVE_DEFAULT_PARTITION,
  parsePartitionPath,
  parsePartitionValue,
  partitionColumnData,
  partitionPath,
  serializePartitionValue,
  unescapePartitionPathSegment,
} from '../../src/schema/partition_values.js';
import { readValues } from '../../src/schema/access/get.js';
import { CONFORMANCE_DIR, HAVE_CONFORMANCE, readLogActions } from './helpers.js';

describe('partition value serialization', () => {
  it('serializes every primitive type', () => {
    expect(serializePartitionValue(null, 'string')).toBeNull();
    expect(serializePartitionValue('a/b', 'string')).toBe('a/b');
    expect(serializePartitionValue(9007199254740993n, 'long')).toBe('9007199254740993');
    expect(serializePartitionValue(-3, 'integer')).toBe('-3');
    expect(serializePartitionValue(1, 'double')).toBe('1.0');
    expect(serializePartitionValue(0.5, 'float')).toBe('0.5');
    expect(serializePartitionValue(true, 'boolean')).toBe('true');
    expect(serializePartitionValue('2021-09-08', 'date')).toBe('2021-09-08');
    expect(serializePartitionValue(new Date(Date.UTC(1969, 0, 1)), 'date')).toBe('1969-01-01');
    expect(serializePartitionValue('2020-01-01T08:09:10.001Z', 'timestamp')).toBe('2020-01-01 08:09:10.001000');
    expect(serializePartitionValue(-1n, 'timestamp')).toBe('1969-12-31 23:59:59.999999');
    expect(serializePartitionValue('1.5', 'decimal(5,2)')).toBe('1.50');
    expect(serializePartitionValue(-0.01, 'decimal(5,2)')).toBe('-0.01');
    expect(serializePartitionValue(new Uint8Array([104, 105]), 'binary')).toBe('hi');
    expect(() => serializePartitionValue('1.234', 'decimal(5,2)')).toThrow(/fractional digits/);
  });

  it('parses the forms Spark and delta-rs write', () => {
    expect(parsePartitionValue('', 'integer')).toBeNull();
    expect(parsePartitionValue(null, 'string')).toBeNull();
    expect(parsePartitionValue('null', 'string')).toBe('null');
    expect(parsePartitionValue('9223372036854775807', 'long')).toBe(9223372036854775807n);
    expect(parsePartitionValue('1.0', 'float')).toBe(1);
    expect(parsePartitionValue('NaN', 'double')).toBeNaN();
    expect(parsePartitionValue('2021-09-08', 'date')).toBe(18878);
    expect(parsePartitionValue('2021-09-08 11:11:11', 'timestamp')).toBe(1631099471000000n);
    expect(parsePartitionValue('2020-01-01 08:09:10.001', 'timestamp')).toBe(1577866150001000n);
    expect(parsePartitionValue('2024-01-01T10:00:00.000000Z', 'timestamp')).toBe(1704103200000000n);
    expect(parsePartitionValue('2024-01-01T12:00:00+02:00', 'timestamp')).toBe(1704103200000000n);
    expect(parsePartitionValue('1969-01-01 00:00:00', 'timestamp_ntz')).toBe(-31536000000000n);
    expect(parsePartitionValue('1', 'decimal(10,2)')).toBe('1.00');
    expect(parsePartitionValue('-0.5', 'decimal(3,1)')).toBe('-0.5');
    expect(parsePartitionValue('TRUE', 'boolean')).toBe(true);
    expect(() => parsePartitionValue('abc', 'integer', 'p')).toThrow(ProtocolError);
    expect(() => parsePartitionValue('abc', 'integer', 'p')).toThrow(/"abc" of column 'p' is not a valid integer/);
    expect(() => parsePartitionValue('40000', 'short')).toThrow(/short/);
  });

  it('round-trips serialize -> parse', () => {
    const cases: [unknown, string][] = [
      [123n, 'long'],
      [-7, 'byte'],
      [2.25, 'double'],
      [false, 'boolean'],
      [1704103200123456n, 'timestamp'],
      [19000, 'date'],
    ];
    for (const [v, t] of cases) expect(parsePartitionValue(serializePartitionValue(v, t as 'long'), t as 'long')).toEqual(v);
  });

  it('builds a constant Arrow column of a partition value', () => {
    const d = partitionColumnData('2021-09-08 11:11:11', 'timestamp', 3);
    expect(d.length).toBe(3);
    expect(readValues(d, 'timestamp', { loss: 'error', path: 'p' })).toEqual([1631099471000000n, 1631099471000000n, 1631099471000000n]);
    expect(readValues(partitionColumnData(null, 'decimal(5,1)', 2), 'decimal(5,1)', { loss: 'error', path: 'p' })).toEqual([null, null]);
  });
});

describe('partition paths', () => {
  it('escapes like Spark (Hive char set, uppercase hex, unicode and space kept)', () => {
    expect(escapePartitionPathSegment('a/b:c%d=e?f#g')).toBe('a%2Fb%3Ac%25d%3De%3Ff%23g');
    expect(escapePartitionPathSegment("x'*\"\\[]{^\u0001\u007f")).toBe('x%27%2A%22%5C%5B%5D%7B%5E%01%7F');
    expect(escapePartitionPathSegment('B B + ü 日本')).toBe('B B + ü 日本');
    expect(unescapePartitionPathSegment('a%2Fb%3Ac%25d%zz')).toBe('a/b:c%d%zz');
    expect(partitionPath(['a', 'b', 'c'], { a: '1', b: 'x/y', c: null })).toBe(`a=1/b=x%2Fy/c=${HIVE_DEFAULT_PARTITION}`);
    expect(partitionPath(['a'], { a: '' })).toBe(`a=${HIVE_DEFAULT_PARTITION}`);
    expect(parsePartitionPath(`a=1/b=x%2Fy/c=${HIVE_DEFAULT_PARTITION}`)).toEqual({ a: '1', b: 'x/y', c: null });
  });

  it('addPathFor URI-encodes the escaped directory', () => {
    expect(addPathFor('x=A%2FA', 'part-0.parquet')).toBe('x=A%252FA/part-0.parquet');
    expect(addPathFor('', 'part-0.parquet')).toBe('part-0.parquet');
    expect(addPathFor('ts=2024-01-01 10%3A00%3A00', 'f.parquet')).toBe('ts=2024-01-01%2010%253A00%253A00/f.parquet');
  });

  it.skipIf(!HAVE_CONFORMANCE)('reproduces the directories and add.path strings of real Spark tables', () => {
    const tables = [
      'spark-data-reader-escaped-chars',
      'spark-data-reader-partition-values',
      'spark-kernel-timestamp-INT96',
      'spark-kernel-timestamp-partition-col-ISO8601',
    ];
    let checked = 0;
    for (const t of tables) {
      const metaData = readLogActions(t).find((a) => a.metaData)!.metaData as { partitionColumns: string[] };
      for (const a of readLogActions(t)) {
        const add = a.add as { path: string; partitionValues: Record<string, string | null> } | undefined;
        if (!add) continue;
        const file = add.path.slice(add.path.lastIndexOf('/') + 1);
        // ISO-8601 values: Spark names the directory after the session-zone rendering, not the stored text.
        const values = Object.fromEntries(
          Object.entries(add.partitionValues).map(([k, v]) => [k, v && /T.*Z$/.test(v) ? v.replace('T', ' ').replace(/\.0+Z$/, '') : v]),
        );
        const dir = partitionPath(metaData.partitionColumns, values);
        expect(addPathFor(dir, file), t).toBe(add.path);
        expect(existsSync(resolve(CONFORMANCE_DIR, 'tables', t, dir)), `${t}/${dir}`).toBe(true);
        expect(readdirSync(resolve(CONFORMANCE_DIR, 'tables', t, dir)).length).toBeGreaterThan(0);
        checked++;
      }
    }
    expect(checked).toBeGreaterThan(8);
  });
});

describe('canonicalPartitionValue', () => {
  it('gives every spelling of one value the string deltats writes; strings, binary and invalid text stay', () => {
    const cases: Array<[string | null, string, string | null]> = [
      ['100000000000000000000', 'double', '1.0E20'],
      ['1.0E20', 'double', '1.0E20'],
      ['1e20', 'double', '1.0E20'],
      ['2.50', 'double', '2.5'],
      ['-0.0', 'double', '-0.0'], // not 0.0: OPTIMIZE must not change a value's sign
      ['NaN', 'double', 'NaN'],
      ['0.1', 'float', '0.1'],
      ['1.2', 'decimal(5,2)', '1.20'],
      ['0', 'decimal(5,2)', '0.00'],
      ['+7', 'integer', '7'],
      ['2021-09-08T11:11:11.000000Z', 'timestamp', '2021-09-08 11:11:11.000000'],
      ['2021-09-08 11:11:11', 'timestamp', '2021-09-08 11:11:11.000000'],
      ['', 'integer', null],
      [null, 'double', null],
      ['', 'string', null],
      [' a ', 'string', ' a '],
      ['\u00e9', 'binary', '\u00e9'],
      ['abc', 'double', 'abc'],
    ];
    for (const [raw, type, want] of cases) expect(canonicalPartitionValue(raw, type as never), `${raw} ${type}`).toBe(want);
  });
});
