// Partition pruning and stats skipping, with stats strings copied from the conformance corpus logs.
import { describe, expect, it } from 'vitest';
import type { Add } from '../../src/log/actions.js';
import { parseSchema } from '../../src/schema/json.js';
import type { StructType } from '../../src/schema/types.js';
import { col, parsePredicate, timestampLit } from '../../src/expr/index.js';
import { fileMayMatch, type PruningContext } from '../../src/table/pruning.js';
import { configOf } from '../helpers/config.js';

function add(stats: string | null, partitionValues: Record<string, string | null> = {}, path = 'f.parquet'): Add {
  return { path, partitionValues, size: 1, modificationTime: 0, dataChange: true, stats };
}

const f = (name: string, type: StructType['fields'][number]['type'], metadata: Record<string, unknown> = {}) => ({ name, type, nullable: true, metadata });

// spark-basic-with-inserts-updates
const ID_COMMENT = '{"numRecords":4,"minValues":{"id":2,"comment":"insert1"},"maxValues":{"id":5,"comment":"insert1-delete2"},"nullCount":{"id":0,"comment":0},"tightBounds":true}';
const ID_COMMENT_WIDE = '{"numRecords":4,"minValues":{"id":2,"comment":"insert1"},"maxValues":{"id":5,"comment":"insert1-delete2"},"nullCount":{"id":0,"comment":0},"tightBounds":false}';
const idComment: PruningContext = {
  schema: { type: 'struct', fields: [f('id', 'long'), f('comment', 'string')] },
  partitionColumns: [],
};

const may = (stats: string | null, where: string, ctx: PruningContext, pv: Record<string, string | null> = {}) =>
  fileMayMatch(add(stats, pv), parsePredicate(where), ctx);

describe('stats skipping', () => {
  it('uses min/max of longs and strings', () => {
    expect(may(ID_COMMENT, 'id = 3', idComment)).toBe(true);
    expect(may(ID_COMMENT, 'id = 6', idComment)).toBe(false);
    expect(may(ID_COMMENT, 'id > 5', idComment)).toBe(false);
    expect(may(ID_COMMENT, 'id >= 5', idComment)).toBe(true);
    expect(may(ID_COMMENT, 'id < 2', idComment)).toBe(false);
    expect(may(ID_COMMENT, 'id <= 2', idComment)).toBe(true);
    expect(may(ID_COMMENT, 'id < 2.5', idComment)).toBe(true);
    expect(may(ID_COMMENT, 'id = 2.5', idComment)).toBe(false);
    expect(may(ID_COMMENT, 'id > 4.5', idComment)).toBe(true);
    expect(may(ID_COMMENT, 'id > 5.5', idComment)).toBe(false);
    expect(may(ID_COMMENT, 'id IN (0, 1, 7)', idComment)).toBe(false);
    expect(may(ID_COMMENT, 'id IN (0, 4)', idComment)).toBe(true);
    expect(may(ID_COMMENT, "comment = 'insert1-a'", idComment)).toBe(true);
    expect(may(ID_COMMENT, "comment = 'update'", idComment)).toBe(false);
    expect(may(ID_COMMENT, "comment < 'insert1'", idComment)).toBe(false);
    expect(may(ID_COMMENT_WIDE, 'id = 6', idComment)).toBe(false); // wide bounds are still bounds
  });

  it('combines with AND / OR / NOT via negation normal form', () => {
    expect(may(ID_COMMENT, 'id = 3 AND id = 9', idComment)).toBe(false);
    expect(may(ID_COMMENT, 'id = 9 OR id = 3', idComment)).toBe(true);
    expect(may(ID_COMMENT, 'id = 9 OR id = 10', idComment)).toBe(false);
    expect(may(ID_COMMENT, 'NOT id <= 5', idComment)).toBe(false); // = id > 5
    expect(may(ID_COMMENT, 'NOT (id >= 2 AND id <= 5)', idComment)).toBe(false);
    expect(may(ID_COMMENT, 'NOT (id > 3 OR id < 1)', idComment)).toBe(true);
    expect(may(ID_COMMENT, 'id IS NULL', idComment)).toBe(false); // nullCount 0
    expect(may(ID_COMMENT, 'NOT id IS NOT NULL', idComment)).toBe(false);
    expect(may(ID_COMMENT, 'id IS NOT NULL', idComment)).toBe(true);
    expect(may(ID_COMMENT, 'id != 3', idComment)).toBe(true);
    expect(may(ID_COMMENT, 'id = NULL', idComment)).toBe(false);
    expect(may(ID_COMMENT, 'id NOT IN (1, NULL)', idComment)).toBe(false);
  });

  it('skips != and NOT IN only when every value equals the literal', () => {
    const one = '{"numRecords":1,"minValues":{"id":7,"comment":"x"},"maxValues":{"id":7,"comment":"x"},"nullCount":{"id":0,"comment":0}}';
    expect(may(one, 'id != 7', idComment)).toBe(false);
    expect(may(one, 'id NOT IN (7, 8)', idComment)).toBe(false);
    expect(may(one, 'id NOT IN (8)', idComment)).toBe(true);
    expect(may(one, "comment != 'x'", idComment)).toBe(true); // strings may be truncated: no proof
  });

  it('uses nullCount == numRecords (all null) and nullCount == 0', () => {
    // spark-data-reader-partition-values style: letter has nulls
    const s = '{"numRecords":5,"minValues":{"letter":"b","int":288,"date":"1978-02-01"},"maxValues":{"letter":"c","int":988,"date":"2020-05-01"},"nullCount":{"letter":3,"int":0,"date":0}}';
    const ctx: PruningContext = { schema: { type: 'struct', fields: [f('letter', 'string'), f('int', 'integer'), f('date', 'date')] }, partitionColumns: [] };
    expect(may(s, 'letter IS NULL', ctx)).toBe(true);
    expect(may(s, 'int IS NULL', ctx)).toBe(false);
    expect(may(s, "letter = 'a'", ctx)).toBe(false);
    expect(may(s, "date = DATE '2020-05-01'", ctx)).toBe(true);
    expect(may(s, "date > '2020-05-01'", ctx)).toBe(false);
    expect(may(s, "date >= TIMESTAMP '2020-05-01 10:00:00'", ctx)).toBe(false); // date promoted to midnight
    expect(may(s, "date < TIMESTAMP '1978-02-01 10:00:00'", ctx)).toBe(true);
    const allNull = '{"numRecords":3,"minValues":{},"maxValues":{},"nullCount":{"letter":3,"int":0,"date":0}}';
    expect(may(allNull, "letter = 'b'", ctx)).toBe(false);
    expect(may(allNull, "letter != 'b'", ctx)).toBe(false);
    expect(may(allNull, "NOT letter IN ('b')", ctx)).toBe(false);
    expect(may(allNull, 'letter IS NOT NULL', ctx)).toBe(false);
    expect(may(allNull, 'letter IS NULL', ctx)).toBe(true);
    expect(may(allNull, 'int = 5', ctx)).toBe(true); // no min/max: unknown
  });

  it('is conservative without stats, with malformed stats, and for empty files skips everything', () => {
    expect(may(null, 'id = 100', idComment)).toBe(true);
    expect(may('{"numRecords":3}', 'id = 100', idComment)).toBe(true);
    expect(may('{ "numRecords" : 3 }', 'id IS NULL', idComment)).toBe(true);
    expect(may('{not json', 'id = 100', idComment)).toBe(true);
    expect(may('{"numRecords":0,"minValues":{},"maxValues":{},"nullCount":{}}', 'id IS NULL', idComment)).toBe(false);
    expect(may(ID_COMMENT, 'id = comment', idComment)).toBe(true); // column vs column on data columns
    expect(fileMayMatch(add(ID_COMMENT), col('id').eq('abc'), idComment)).toBe(true); // incomparable literal: let evaluate report it
    expect(may(ID_COMMENT, 'nope = 1', idComment)).toBe(true);
  });

  it('widens millisecond timestamp stats to microseconds', () => {
    // rs-delta-1.2.1-only-struct-stats
    const s = '{"numRecords":1,"minValues":{"integer":0,"timestamp":"2022-10-24T22:59:32.846Z"},"maxValues":{"integer":0,"timestamp":"2022-10-24T22:59:32.846Z"},"nullCount":{"integer":0,"timestamp":0}}';
    const ctx: PruningContext = { schema: { type: 'struct', fields: [f('integer', 'integer'), f('timestamp', 'timestamp')] }, partitionColumns: [] };
    expect(fileMayMatch(add(s), col('timestamp').eq(timestampLit('2022-10-24 22:59:32.846999')), ctx)).toBe(true);
    expect(fileMayMatch(add(s), col('timestamp').gt(timestampLit('2022-10-24 22:59:32.846500')), ctx)).toBe(true);
    expect(fileMayMatch(add(s), col('timestamp').gte(timestampLit('2022-10-24 22:59:32.847')), ctx)).toBe(false);
    expect(fileMayMatch(add(s), col('timestamp').lt(timestampLit('2022-10-24 22:59:32.846')), ctx)).toBe(false);
    expect(fileMayMatch(add(s), col('timestamp').lt(new Date('2022-10-24T22:59:32.847Z')), ctx)).toBe(true);
    // timestamp_ntz stats have no zone (spark-data-reader-timestamp_ntz)
    const ntz = '{"numRecords":1,"minValues":{"id":3,"tsNtz":"2021-11-18T02:30:00.123"},"maxValues":{"id":3,"tsNtz":"2021-11-18T02:30:00.123"},"nullCount":{"id":0,"tsNtz":0}}';
    const nctx: PruningContext = { schema: { type: 'struct', fields: [f('id', 'integer'), f('tsNtz', 'timestamp_ntz')] }, partitionColumns: [] };
    expect(may(ntz, "tsNtz = TIMESTAMP '2021-11-18 02:30:00.123456'", nctx)).toBe(true);
    expect(may(ntz, "tsNtz = TIMESTAMP '2021-11-18 02:30:00.124'", nctx)).toBe(false);
  });

  it('compares decimals exactly (including exponent forms) and floats as float32', () => {
    // spark-decimal-various-scale-precision / spark-basic-decimal-table
    const s = '{"numRecords":3,"minValues":{"d25_12":-3.1661E-8,"d18_6":-22641.000000,"big":123456789012345678.9,"f":3.4},"maxValues":{"d25_12":5.1E-7,"d18_6":0.5,"big":123456789012345678.9,"f":3.4},"nullCount":{"d25_12":0,"d18_6":0,"big":0,"f":0}}';
    const ctx: PruningContext = {
      schema: { type: 'struct', fields: [f('d25_12', 'decimal(25,12)'), f('d18_6', 'decimal(18,6)'), f('big', 'decimal(38,1)'), f('f', 'float')] },
      partitionColumns: [],
    };
    expect(may(s, 'd25_12 = -0.000000031661', ctx)).toBe(true);
    expect(may(s, 'd25_12 < -0.000000031661', ctx)).toBe(false);
    expect(may(s, 'd25_12 > 0.00000051', ctx)).toBe(false);
    expect(may(s, 'd18_6 = -22641', ctx)).toBe(true);
    expect(may(s, 'd18_6 < -22641', ctx)).toBe(false);
    // the double read of 123456789012345678.9 is imprecise: bounds are widened, never narrowed
    expect(may(s, 'big = 123456789012345678.9', ctx)).toBe(true);
    expect(may(s, 'big > 123456789012345678.8', ctx)).toBe(true);
    expect(may(s, 'big > 123456789012345999', ctx)).toBe(false);
    // float 3.4f is 3.4000000953674316 as a double: `f > 3.4` is true for it
    expect(may(s, 'f > 3.4', ctx)).toBe(true);
    expect(may(s, 'f = 3.41', ctx)).toBe(false);
    expect(may(s, 'f IN (3.41, 1)', ctx)).toBe(false);
    // a float max bounds the values other than NaN only (delta-rs leaves NaN out of it): `f > 3.41` may hold for a NaN
    expect(may(s, 'f > 3.41', ctx)).toBe(true);
  });

  it('does not trust a long max string without a tie-breaker, but trusts tie-broken maxes', () => {
    const long = 'a'.repeat(32);
    const ctx: PruningContext = { schema: { type: 'struct', fields: [f('s', 'string')] }, partitionColumns: [] };
    const cut = `{"numRecords":2,"minValues":{"s":"${long}"},"maxValues":{"s":"${long}"},"nullCount":{"s":0}}`;
    expect(may(cut, `s > '${long}'`, ctx)).toBe(true);
    const tied = `{"numRecords":2,"minValues":{"s":"${long}"},"maxValues":{"s":"${long}\u007f"},"nullCount":{"s":0}}`;
    expect(may(tied, `s > '${long}'`, ctx)).toBe(true);
    expect(may(tied, `s > '${long}\u0080'`, ctx)).toBe(false);
    // code point order: U+1F600 sorts above U+FFFD
    const astral = '{"numRecords":2,"minValues":{"s":"\\ufffd"},"maxValues":{"s":"\\ufffd"},"nullCount":{"s":0}}';
    expect(may(astral, "s >= '\u{1F600}'", ctx)).toBe(false);
    expect(may(astral, "s < '\u{1F600}'", ctx)).toBe(true);
  });

  it('reads nested struct stats', () => {
    const s = '{"numRecords":1,"minValues":{"integer":0,"nested_struct":{"struct_element":{"nested_struct_element":"nested_struct_value"}}},"maxValues":{"integer":0,"nested_struct":{"struct_element":{"nested_struct_element":"nested_struct_value"}}},"nullCount":{"integer":0,"nested_struct":{"struct_element":{"nested_struct_element":0}}}}';
    const ctx: PruningContext = {
      schema: parseSchema(
        '{"type":"struct","fields":[{"name":"integer","type":"integer","nullable":true,"metadata":{}},{"name":"nested_struct","type":{"type":"struct","fields":[{"name":"struct_element","type":{"type":"struct","fields":[{"name":"nested_struct_element","type":"string","nullable":true,"metadata":{}}]},"nullable":true,"metadata":{}}]},"nullable":true,"metadata":{}}]}',
      ),
      partitionColumns: [],
    };
    expect(may(s, "nested_struct.struct_element.nested_struct_element = 'nested_struct_value'", ctx)).toBe(true);
    expect(may(s, "nested_struct.struct_element.nested_struct_element = 'other'", ctx)).toBe(false);
    expect(may(s, 'nested_struct.struct_element.nested_struct_element IS NULL', ctx)).toBe(false);
  });
});

describe('partition pruning', () => {
  // rs-delta-2.2.0-partitioned-types: c1 integer, c2 string partitions
  const ctx: PruningContext = {
    schema: { type: 'struct', fields: [f('c1', 'integer'), f('c2', 'string'), f('c3', 'integer')] },
    partitionColumns: ['c1', 'c2'],
  };
  const files = [
    add('{"numRecords":1,"minValues":{"c3":5},"maxValues":{"c3":5},"nullCount":{"c3":0}}', { c1: '4', c2: 'c' }, 'c1=4/c2=c/a.parquet'),
    add('{"numRecords":1,"minValues":{"c3":6},"maxValues":{"c3":6},"nullCount":{"c3":0}}', { c1: '5', c2: 'b' }, 'c1=5/c2=b/b.parquet'),
    add('{"numRecords":1,"minValues":{"c3":4},"maxValues":{"c3":4},"nullCount":{"c3":0}}', { c1: '6', c2: 'a' }, 'c1=6/c2=a/c.parquet'),
    add(null, { c1: null, c2: '' }, 'c1=__HIVE_DEFAULT_PARTITION__/c2=__HIVE_DEFAULT_PARTITION__/d.parquet'),
  ];
  const paths = (where: string) => files.filter((a) => fileMayMatch(a, parsePredicate(where), ctx)).map((a) => a.path[3]);

  it('evaluates predicates exactly on partition values with SQL null semantics', () => {
    expect(paths('c1 = 5')).toEqual(['5']);
    expect(paths('c1 >= 5')).toEqual(['5', '6']);
    expect(paths("c2 IN ('a', 'c')")).toEqual(['4', '6']);
    expect(paths("NOT c2 IN ('a', 'c')")).toEqual(['5']); // null partition: NOT IN is NULL -> not matched
    expect(paths('c1 IS NULL')).toEqual(['_']);
    expect(paths("c2 IS NULL AND c1 IS NULL")).toEqual(['_']); // '' is null too
    expect(paths('c1 != 5')).toEqual(['4', '6']);
    expect(paths("c1 = 5 OR c2 = 'a'")).toEqual(['5', '6']);
    expect(paths('c1 = 4 AND c3 = 5')).toEqual(['4']);
    expect(paths('c1 = 4 AND c3 = 6')).toEqual([]);
    expect(paths('c3 = 6 OR c1 IS NULL')).toEqual(['5', '_']); // no stats on the null-partition file
    expect(paths("C1 = '6'")).toEqual(['6']); // case-insensitive name, string literal cast to integer
    expect(paths('c1 < c3')).toEqual(['4', '5', '6', '_']); // partition vs data column: unknown
  });

  it('uses physical names under column mapping (rs-table_with_column_mapping), by the table configuration', () => {
    const cm: PruningContext = configOf(
      parseSchema(
        '{"type":"struct","fields":[{"name":"Company Very Short","type":"string","nullable":true,"metadata":{"delta.columnMapping.id":1,"delta.columnMapping.physicalName":"col-173b4db9-b5ad-427f-9e75-516aae37fbbb"}},{"name":"Super Name","type":"string","nullable":true,"metadata":{"delta.columnMapping.id":2,"delta.columnMapping.physicalName":"col-3877fd94-0973-4941-ac6b-646849a1ff65"}}]}',
      ),
      ['Company Very Short'],
      'name',
    );
    const a = add(
      '{"numRecords":4,"minValues":{"col-3877fd94-0973-4941-ac6b-646849a1ff65":"Anthony Johnson"},"maxValues":{"col-3877fd94-0973-4941-ac6b-646849a1ff65":"Stephanie Mcgrath"},"nullCount":{"col-3877fd94-0973-4941-ac6b-646849a1ff65":0}}',
      { 'col-173b4db9-b5ad-427f-9e75-516aae37fbbb': 'BMS' },
    );
    expect(fileMayMatch(a, parsePredicate("`Company Very Short` = 'BMS'"), cm)).toBe(true);
    expect(fileMayMatch(a, parsePredicate("`Company Very Short` = 'BME'"), cm)).toBe(false);
    expect(fileMayMatch(a, parsePredicate("`Super Name` = 'Timothy Lamb'"), cm)).toBe(false);
    expect(fileMayMatch(a, parsePredicate("`Super Name` = 'Bob'"), cm)).toBe(true);
  });

  it('parses typed partition values: dates, timestamps, decimals, booleans', () => {
    const tctx: PruningContext = {
      schema: { type: 'struct', fields: [f('d', 'date'), f('ts', 'timestamp'), f('dec', 'decimal(5,2)'), f('b', 'boolean')] },
      partitionColumns: ['d', 'ts', 'dec', 'b'],
    };
    const a = add(null, { d: '2021-09-08', ts: '2021-09-08 11:11:11', dec: '123.40', b: 'true' });
    const m = (w: string) => fileMayMatch(a, parsePredicate(w), tctx);
    expect(m("d = DATE '2021-09-08'")).toBe(true);
    expect(m("d > '2021-09-08'")).toBe(false);
    expect(m("ts = TIMESTAMP '2021-09-08 11:11:11'")).toBe(true);
    expect(m("ts > TIMESTAMP '2021-09-08 11:11:11'")).toBe(false);
    expect(m('dec = 123.4')).toBe(true);
    expect(m('dec > 123.4')).toBe(false);
    expect(m('b = false')).toBe(false);
    const iso = add(null, { d: '2021-09-08', ts: '2021-09-08T11:11:11.000001Z', dec: '', b: null });
    expect(fileMayMatch(iso, parsePredicate("ts > TIMESTAMP '2021-09-08 11:11:11'"), tctx)).toBe(true);
    expect(fileMayMatch(iso, parsePredicate('dec IS NULL AND b IS NULL'), tctx)).toBe(true);
    expect(fileMayMatch(iso, parsePredicate('dec = 1'), tctx)).toBe(false);
    const bad = add(null, { d: 'not-a-date' });
    expect(fileMayMatch(bad, parsePredicate("d = DATE '2021-09-08'"), tctx)).toBe(true); // unparsable: no proof
  });
});
