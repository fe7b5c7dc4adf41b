// Unit tests of the CLI's pure helpers: compact schema syntax, CSV parsing, value conversion, formatting, progress.
import { describe, expect, it } from 'vitest';
import { parseSchemaArg } from '../../src/cli/create.js';
import { parseCsv } from '../../src/cli/csv.js';
import { fromCsvField, fromJsonValue } from '../../src/cli/convert.js';
import { formatBytes, renderTable, csvField } from '../../src/cli/format.js';
import { sizeOption } from '../../src/cli/command.js';
import { ProgressReporter, renderProgress } from '../../src/table/progress.js';
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
  it('quotes, escaped quotes, embedded newlines, CRLF, BOM, blank lines', () => {
    const r = parseCsv('\ufeffa,b\r\n1,"x ""y"", z"\r\n\r\n2,"multi\nline"\n3,\n', 'f.csv');
    expect(r.header).toEqual(['a', 'b']);
    expect(r.records.map((x) => [x.line, x.fields])).toEqual([
      [2, ['1', 'x "y", z']],
      [4, ['2', 'multi\nline']],
      [6, ['3', '']],
    ]);
    expect(r.records[2]!.quoted).toEqual([false, false]);
  });
  it('errors name file, line and column', () => {
    expect(() => parseCsv('a,b\n1,2,3\n', 'f.csv')).toThrow('f.csv:2: expected 2 fields (header a,b), found 3');
    expect(() => parseCsv('a,b\n1,"x"y\n', 'f.csv')).toThrow("f.csv:2:2: unexpected character 'y' after a closing quote");
    expect(() => parseCsv('a,b\n1,x"y\n', 'f.csv')).toThrow('f.csv:2:2: quote inside an unquoted field');
    expect(() => parseCsv('', 'f.csv')).toThrow(/empty CSV/);
  });
});

describe('value conversion', () => {
  const w = { file: 'f.csv', line: 7, column: 'c' };
  it('CSV fields by type', () => {
    expect(fromCsvField('12', false, 'long', w)).toBe(12n);
    expect(fromCsvField('', false, 'long', w)).toBeNull();
    expect(fromCsvField('', true, 'string', w)).toBe('');
    expect(fromCsvField('', false, 'string', w)).toBeNull();
    expect(fromCsvField('TRUE', false, 'boolean', w)).toBe(true);
    expect(fromCsvField('NaN', false, 'double', w)).toBeNaN();
    expect(fromCsvField('1.5e3', false, 'float', w)).toBe(1500);
    expect(fromCsvField('0aff', false, 'binary', w)).toEqual(new Uint8Array([10, 255]));
    expect(fromCsvField('2024-01-02T03:04:05.000006Z', false, 'timestamp', w)).toBe(1704164645000006n);
    expect(fromCsvField('[1,2]', false, { type: 'array', elementType: 'long', containsNull: true }, w)).toEqual([1n, 2n]);
    expect(() => fromCsvField('x', false, 'integer', w)).toThrow("f.csv:7: column 'c': cannot read 'x' as integer");
    expect(() => fromCsvField('40000', false, 'short', w)).toThrow(/out of range/);
    expect(() => fromCsvField('1.234', false, 'decimal(5,2)', w)).toThrow(/cannot read '1.234' as decimal\(5,2\)/);
    expect(() => fromCsvField('2024-13-01', false, 'date', w)).toThrow(/YYYY-MM-DD/);
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
