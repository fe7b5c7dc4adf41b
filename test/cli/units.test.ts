// Unit tests of the CLI's pure helpers: compact schema syntax, CSV parsing, value conversion, formatting, progress.
import { describe, expect, it } from 'vitest';
import { parseSchemaArg } from '../../src/cli/create.js';
import { parseCsv } from '../../src/cli/csv.js';
import { inferCsvSchema, inferJsonSchema } from '../../src/cli/infer.js';
import { typeToString } from '../../src/schema/json.js';
import { fromCsvField, fromJsonValue } from '../../src/cli/convert.js';
import { formatBytes, renderTable, csvField } from '../../src/cli/format.js';
import { sizeOption } from '../../src/cli/command.js';
import { ProgressReporter, renderProgress } from '../../src/cli/progress.js';
import { InvalidArgumentError } from '../../src/errors.js';

describe('parseSchemaArg', () => {
  it('compact form with aliases, decimals and not null', () => {
    expect(parseSchemaArg('id:bigint not null, amount:decimal(10,2),name:string,ts:timestamp, n:int')).toEqual({
      type: 'struct',
      fields: [
        { name: 'id', type: 'long', nullable: false, metadata: {} },
        { name: 'amount', type: 'decimal(10,2)', nullable: true, metadata: {} },
        { name: 'name', type: 'string', nullable: true, metadata: {} },
        { name: 'ts', type: 'timestamp', nullable: true, metadata: {} },
        { name: 'n', type: 'integer', nullable: true, metadata: {} },
      ],
    });
  });
  it('JSON form', () => {
    const s = parseSchemaArg('{"type":"struct","fields":[{"name":"a","type":{"type":"array","elementType":"long","containsNull":true},"nullable":true,"metadata":{}}]}');
    expect(s.fields[0]!.type).toEqual({ type: 'array', elementType: 'long', containsNull: true });
  });
  it('errors name the column', () => {
    expect(() => parseSchemaArg('a:long,b:uuid')).toThrow(/column 'b' has unknown type 'uuid'/);
    expect(() => parseSchemaArg('a:long,b')).toThrow(/field 2 'b' is not 'name:type'/);
    expect(() => parseSchemaArg('a:long,A:string')).toThrow(/appears twice/);
    expect(() => parseSchemaArg('a:decimal(40,2)')).toThrow(InvalidArgumentError);
  });
});

describe('parseCsv', () => {
  it('quotes, escaped quotes, embedded newlines, CRLF, BOM, blank lines, nulls', () => {
    const r = parseCsv('\ufeffa,b\r\n1,"x ""y"", z"\r\n\r\n2,"multi\r\nline"\r\n3,\r\n4,""\n5,NULL\n6,"NULL"\n', 'f.csv', { nullValue: 'NULL' });
    expect(r.header).toEqual(['a', 'b']);
    expect(r.records.map((x) => [x.line, x.fields])).toEqual([
      [2, ['1', 'x "y", z']],
      [4, ['2', 'multi\r\nline']],
      [6, ['3', null]],
      [7, ['4', '']],
      [8, ['5', null]],
      [9, ['6', 'NULL']],
    ]);
  });
  it('delimiters, no header, UTF-8 bytes', () => {
    const bytes = new TextEncoder().encode('x;"a;b"\nü;\n');
    expect(parseCsv(bytes, 'f.csv', { delimiter: ';', header: false })).toEqual({
      header: null,
      records: [
        { line: 1, fields: ['x', 'a;b'] },
        { line: 2, fields: ['ü', null] },
      ],
    });
    expect(parseCsv('a\tb\n1\t2\n', 'f.tsv', { delimiter: '\t' }).records[0]!.fields).toEqual(['1', '2']);
    expect(() => parseCsv('a,b\n', 'f.csv', { delimiter: '"' })).toThrow(/--delimiter/);
  });
  it('errors name file and the line the bad record starts on (also after CRLF inside quotes)', () => {
    expect(() => parseCsv('a,b\n1,2,3\n', 'f.csv')).toThrow('f.csv:2: expected 2 fields, found 3');
    expect(() => parseCsv('a,b\r\n1,"x\r\ny"\r\n\r\n2,"x"y\r\n', 'f.csv')).toThrow(
      'f.csv:5: field 2: unexpected character after a closing quote',
    );
    expect(() => parseCsv('a,b\n1,x"y\n', 'f.csv')).toThrow('f.csv:2: field 2: quote inside an unquoted field');
    expect(() => parseCsv('a,b\n1,2\n3,"open\n4,5\n', 'f.csv')).toThrow('f.csv:3: quoted field not closed');
    expect(() => parseCsv('', 'f.csv')).toThrow(/empty CSV/);
    expect(() => parseCsv('a,,c\n', 'f.csv')).toThrow('f.csv:1: column 2 of the header has no name');
  });
});

describe('schema inference', () => {
  const csv = (text: string) => {
    const { header, records } = parseCsv(text, 'f.csv');
    return Object.fromEntries(inferCsvSchema(header!, records).fields.map((f) => [f.name, typeToString(f.type)]));
  };
  it('CSV text: long, double, boolean, date, timestamp, else string; nulls ignored', () => {
    expect(
      csv(
        'l,d,mix,b,day,ts,daytime,s,zip,big,empty\n' +
          '1,1.5,1,true,2024-01-31,2024-01-31T10:00:00Z,2024-01-31,x,007,9223372036854775808,\n' +
          '-2,2e3,2.5,FALSE,2024-02-29,2024-01-31 10:00:00.123456,2024-02-01T00:00:00+01:00,3,010,1,\n' +
          ',,,,,,,,,,\n',
      ),
    ).toEqual({
      l: 'long', d: 'double', mix: 'double', b: 'boolean', day: 'date', ts: 'timestamp', daytime: 'timestamp',
      s: 'string', zip: 'string', big: 'double', empty: 'string',
    });
    expect(csv('a,b,c\n1,2024-02-30,true\nx,2024-01-01,1\n')).toEqual({ a: 'string', b: 'string', c: 'string' });
  });
  it('JSON values: union of keys, nested structs and arrays, widening, conflicts named', () => {
    const objects = [
      { value: { id: 1, tags: [], when: '2024-01-01', s: { a: null } }, line: 1 },
      { value: { id: 2.5, tags: ['x'], s: { a: 3, b: true }, extra: null }, line: 2 },
      { value: { when: '2024-01-01T00:00:00Z', nothing: null }, line: 3 },
    ];
    const schema = inferJsonSchema(objects, 'f.jsonl');
    expect(Object.fromEntries(schema.fields.map((f) => [f.name, typeToString(f.type)]))).toEqual({
      id: 'double',
      tags: 'array<string>',
      when: 'timestamp',
      s: 'struct<a:long,b:boolean>',
      extra: 'string',
      nothing: 'string',
    });
    expect(schema.fields.every((f) => f.nullable)).toBe(true);
    expect(() => inferJsonSchema([{ value: { a: 1 }, line: 4 }, { value: { a: 'x' }, line: 9 }], 'f.jsonl')).toThrow(
      "f.jsonl:9: column 'a' is string here but long on line 4; pass --schema to choose the column types",
    );
    expect(() => inferJsonSchema([{ value: { a: { x: 1 } }, line: 1 }, { value: { a: [1] }, line: 2 }], 'f.jsonl')).toThrow(/column 'a'/);
  });
});

describe('value conversion', () => {
  const w = { file: 'f.csv', line: 7, column: 'c' };
  it('CSV fields by type', () => {
    expect(fromCsvField('12', 'long', w)).toBe(12n);
    expect(fromCsvField(null, 'long', w)).toBeNull();
    expect(fromCsvField('', 'string', w)).toBe('');
    expect(fromCsvField(null, 'string', w)).toBeNull();
    expect(fromCsvField('TRUE', 'boolean', w)).toBe(true);
    expect(fromCsvField('NaN', 'double', w)).toBeNaN();
    expect(fromCsvField('1.5e3', 'float', w)).toBe(1500);
    expect(fromCsvField('0aff', 'binary', w)).toEqual(new Uint8Array([10, 255]));
    expect(fromCsvField('2024-01-02T03:04:05.000006Z', 'timestamp', w)).toBe(1704164645000006n);
    expect(fromCsvField('[1,2]', { type: 'array', elementType: 'long', containsNull: true }, w)).toEqual([1n, 2n]);
    expect(() => fromCsvField('x', 'integer', w)).toThrow("f.csv:7: column 'c': cannot read 'x' as integer");
    expect(() => fromCsvField('40000', 'short', w)).toThrow(/out of range/);
    expect(() => fromCsvField('1.234', 'decimal(5,2)', w)).toThrow(/cannot read '1.234' as decimal\(5,2\)/);
    expect(() => fromCsvField('2024-13-01', 'date', w)).toThrow(/YYYY-MM-DD/);
  });
  it('JSON values by type', () => {
    expect(fromJsonValue('9007199254740993', 'long', w)).toBe(9007199254740993n);
    expect(() => fromJsonValue(2 ** 60, 'long', w)).toThrow(/JSON strings/);
    expect(fromJsonValue({ k: 1 }, { type: 'map', keyType: 'string', valueType: 'integer', valueContainsNull: true }, w)).toEqual([['k', 1]]);
    expect(() => fromJsonValue({ z: 1 }, { type: 'struct', fields: [{ name: 'a', type: 'long', nullable: true, metadata: {} }] }, w)).toThrow(
      "f.csv:7: column 'c.z' is not in the table schema",
    );
  });
});

describe('formatting', () => {
  it('sizes, tables, csv fields', () => {
    expect(formatBytes(512)).toBe('512 B');
    expect(formatBytes(1536)).toBe('1.5 KB');
    expect(formatBytes(5 * 1024 * 1024)).toBe('5.0 MB');
    expect(renderTable(['name', 'n'], [['a', '1'], ['bbb', '22']])).toBe('name   n\n----  --\na      1\nbbb   22');
    expect(csvField('a,"b"')).toBe('"a,""b"""');
    expect(csvField(null)).toBe('');
    expect(sizeOption({ s: '128MB' }, 's')).toBe(128 * 1024 * 1024);
    expect(sizeOption({ s: '1000' }, 's')).toBe(1000);
    expect(() => sizeOption({ s: '12 parsecs' }, 's')).toThrow(/--s must be a positive size/);
  });
});

describe('progress reporter', () => {
  const sink = (isTTY: boolean) => {
    const chunks: string[] = [];
    return { chunks, stream: { isTTY, columns: 60, write: (c: string) => (chunks.push(c), true) } };
  };
  it('draws on a TTY and clears the line at the end', () => {
    const s = sink(true);
    const p = new ProgressReporter(s.stream, { intervalMs: 0 });
    p.callback({ phase: 'deleting files', done: 5, total: 10 });
    p.finish();
    expect(s.chunks[0]).toContain('deleting files [');
    expect(s.chunks[0]).toContain('] 5/10');
    expect(s.chunks.at(-1)).toBe('\r\x1b[K');
  });
  it('silent when not a TTY or with --json', () => {
    const a = sink(false);
    new ProgressReporter(a.stream).callback({ phase: 'x', done: 1, total: 1 });
    const b = sink(true);
    const pb = new ProgressReporter(b.stream, { json: true });
    pb.callback({ phase: 'x', done: 1, total: 1 });
    pb.finish();
    expect(a.chunks).toEqual([]);
    expect(b.chunks).toEqual([]);
  });
  it('renderProgress', () => {
    expect(renderProgress({ phase: 'p', done: 1, total: 2 }, 30)).toBe('p [##########..........] 1/2');
    expect(renderProgress({ phase: 'listing files', done: 0, total: 0 })).toBe('listing files...');
  });
});
