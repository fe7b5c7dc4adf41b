// Tests of the Parquet footer reader and exact INT96 timestamps: real corpus files plus hand-built INT96 files
// (dictionary + PLAIN pages, nulls, several row groups, sub-microsecond and pre-1970 values).
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { Table, TimeUnit, Timestamp, tableFromArrays } from 'apache-arrow';
import { describe, expect, it } from 'vitest';
import { ProtocolError } from '../../src/errors.js';
import { parquetSchema, readParquet, readParquetFooter, writeParquet } from '../../src/storage/parquet.js';
import { snappyDecompress } from '../../src/storage/parquet_int96.js';

const CORPUS = process.env.DELTATS_CONFORMANCE_DIR ?? resolve(__dirname, '../../../shared/conformance');
const haveCorpus = existsSync(join(CORPUS, 'cases.json'));
if (!haveCorpus) console.warn(`parquet_footer tests: conformance corpus not found at ${CORPUS}; corpus tests skipped`);

interface Case {
  name: string;
  expected: { rows?: Array<Record<string, unknown>> };
}
function expectedRows(name: string): Array<Record<string, unknown>> {
  const raw = JSON.parse(readFileSync(join(CORPUS, 'cases.json'), 'utf8')) as Case[] | { cases: Case[] };
  const cases = Array.isArray(raw) ? raw : raw.cases;
  const c = cases.find((x) => x.name === name);
  if (!c?.expected.rows) throw new Error(`no expected rows for ${name}`);
  return c.expected.rows;
}
function parquetFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = join(dir, e.name);
    if (e.isDirectory()) return e.name === '_delta_log' ? [] : parquetFiles(p);
    return e.name.endsWith('.parquet') ? [p] : [];
  });
}
/** Canonical timestamp text ("YYYY-MM-DDTHH:MM:SS.ffffffZ") of epoch microseconds, computed with BigInt + Date. */
function isoMicros(us: bigint): string {
  let ms = us / 1000n;
  let frac = us % 1000n;
  if (frac < 0n) {
    frac += 1000n;
    ms -= 1n;
  }
  const d = new Date(Number(ms)).toISOString(); // "+/-YYYYYY" never needed for years 0001-9999
  return `${d.slice(0, 23)}${frac.toString().padStart(3, '0')}Z`;
}
function micros(t: Table, col: string): Array<bigint | null> {
  const out: Array<bigint | null> = [];
  const idx = t.schema.fields.findIndex((f) => f.name === col);
  for (const b of t.batches) {
    const d = b.getChildAt(idx)!.data[0]!;
    const vals = d.values as BigInt64Array;
    for (let i = 0; i < b.numRows; i++) out.push(d.getValid(i) ? vals[d.offset + i]! : null);
  }
  return out;
}

describe.skipIf(!haveCorpus)('Parquet footer of corpus files', () => {
  it('reads physical types, codec and row counts (rs-table_with_edge_timestamps)', () => {
    const dir = join(CORPUS, 'tables/rs-table_with_edge_timestamps');
    for (const f of parquetFiles(dir)) {
      const footer = readParquetFooter(readFileSync(f), f);
      expect(footer.numRows).toBe(1);
      expect(footer.schema.slice(1).map((e) => [e.name, e.type, e.repetition])).toEqual([
        ['BIG_DATE', 'INT96', 'OPTIONAL'],
        ['NORMAL_DATE', 'INT96', 'OPTIONAL'],
        ['SOME_VALUE', 'INT32', 'OPTIONAL'],
      ]);
      expect(footer.rowGroups).toHaveLength(1);
      expect(footer.rowGroups[0]!.columns.map((c) => [c.pathInSchema.join('.'), c.codec, c.numValues])).toEqual([
        ['BIG_DATE', 'SNAPPY', 1],
        ['NORMAL_DATE', 'SNAPPY', 1],
        ['SOME_VALUE', 'SNAPPY', 1],
      ]);
    }
  });

  it('exposes field ids of top-level and nested columns (spark-table-with-columnmapping-mode-id)', () => {
    const dir = join(CORPUS, 'tables/spark-table-with-columnmapping-mode-id');
    const f = parquetFiles(dir)[0]!;
    const info = parquetSchema(readFileSync(f), f);
    expect(info.fieldIds.get('col-91e8b36f-2559-4aa7-b451-d30f24d5bf28')).toBe(1);
    expect(info.fieldIds.get('col-ee8dc621-b36b-4784-bdb5-26c5c364e254')).toBe(13);
    expect(info.fieldIds.get('col-ee8dc621-b36b-4784-bdb5-26c5c364e254.col-94e598c8-0480-4710-a288-fc332ed449de.col-75cd857b-0152-438b-a0b3-43db0d4daa55')).toBe(16);
    expect([...info.fieldIds.values()].sort((a, b) => a - b)).toEqual(Array.from({ length: 30 }, (_, i) => i + 1));
    const first = info.columns[0]!;
    expect([first.type, first.logicalType, first.convertedType, first.fieldId]).toEqual(['INT32', 'INTEGER', 'INT_8', 1]);
    const list = info.leaves.find((l) => l.path.join('.') === 'col-9f8d855c-cc39-426c-b579-f1b85b1b6991.list.element.list.element')!;
    expect([list.maxDefinitionLevel, list.maxRepetitionLevel]).toEqual([5, 2]);
  });

  it('parses every Parquet file of the corpus (data and checkpoints)', () => {
    const all = (d: string): string[] =>
      readdirSync(d, { withFileTypes: true }).flatMap((e) =>
        e.isDirectory() ? all(join(d, e.name)) : e.name.endsWith('.parquet') ? [join(d, e.name)] : [],
      );
    const files = all(join(CORPUS, 'tables'));
    expect(files.length).toBeGreaterThan(100);
    for (const f of files) {
      const info = parquetSchema(readFileSync(f), f);
      expect(info.leaves.length).toBeGreaterThan(0);
    }
  });
});

describe.skipIf(!haveCorpus)('exact INT96 timestamps from corpus files', () => {
  it('rs-table_with_edge_timestamps: 9999-12-30/31 read exactly', () => {
    const dir = join(CORPUS, 'tables/rs-table_with_edge_timestamps');
    const rows: string[] = [];
    for (const f of parquetFiles(dir)) {
      const t = readParquet(readFileSync(f), { file: f });
      const big = t.schema.fields[0]!.type as Timestamp;
      expect(big).toBeInstanceOf(Timestamp);
      expect(big.unit).toBe(TimeUnit.MICROSECOND);
      const b = micros(t, 'BIG_DATE');
      const n = micros(t, 'NORMAL_DATE');
      const v = t.getChild('SOME_VALUE')!.toArray() as Int32Array;
      for (let i = 0; i < t.numRows; i++) {
        rows.push(JSON.stringify({ BIG_DATE: isoMicros(b[i]!), NORMAL_DATE: isoMicros(n[i]!), SOME_VALUE: v[i] }));
      }
    }
    expect(rows.sort()).toEqual(expectedRows('rs-table_with_edge_timestamps').map((r) => JSON.stringify(r)).sort());
  });

  it('spark-kernel-timestamp-INT96: id -> time matches the expected rows, nulls kept', () => {
    const dir = join(CORPUS, 'tables/spark-kernel-timestamp-INT96');
    const got: Record<string, string | null> = {};
    for (const f of parquetFiles(dir)) {
      const t = readParquet(readFileSync(f), { file: f, columns: ['id', 'time'] });
      expect(t.schema.fields.map((x) => x.name)).toEqual(['id', 'time']);
      const ids = t.getChild('id')!.toArray() as Int32Array;
      const times = micros(t, 'time');
      for (let i = 0; i < t.numRows; i++) got[String(ids[i])] = times[i] === null ? null : isoMicros(times[i]!);
    }
    const want: Record<string, unknown> = {};
    for (const r of expectedRows('spark-kernel-timestamp-INT96')) want[String(r.id)] = r.time;
    expect(got).toEqual(want);
  });

  it('nested in-range INT96 (checkpoint stats_parsed) still reads', () => {
    const dir = join(CORPUS, 'tables/rs-delta-1.2.1-only-struct-stats/_delta_log');
    const f = join(dir, '00000000000000000010.checkpoint.parquet');
    const t = readParquet(readFileSync(f), { file: f });
    expect(t.numRows).toBeGreaterThan(0);
  });
});

describe('files without INT96', () => {
  it('keep their columns, types and values', () => {
    const src = tableFromArrays({ id: Int32Array.from([1, 2]), s: ['a', 'b'] });
    const bytes = writeParquet(src);
    const footer = readParquetFooter(bytes);
    expect(footer.schema.slice(1).map((e) => e.type)).toEqual(['INT32', 'BYTE_ARRAY']);
    const back = readParquet(bytes);
    expect(back.getChild('id')!.toArray()).toEqual(Int32Array.from([1, 2]));
    expect(back.getChild('s')!.toArray()).toEqual(['a', 'b']);
  });

  it('rejects a file without the PAR1 footer magic with a ProtocolError', () => {
    const bytes = writeParquet(tableFromArrays({ id: Int32Array.from([1]) }));
    const broken = bytes.slice(0, bytes.length - 1);
    expect(() => readParquetFooter(broken, 'x.parquet')).toThrow(ProtocolError);
    expect(() => readParquetFooter(broken, 'x.parquet')).toThrow(/PAR1.*x\.parquet/);
  });
});

// ---- hand-built INT96 files (Thrift compact writer, uncompressed pages) ----

class ThriftWriter {
  out: number[] = [];
  private uvarint(n: bigint): void {
    while (n >= 0x80n) {
      this.out.push(Number(n & 0x7fn) | 0x80);
      n >>= 7n;
    }
    this.out.push(Number(n));
  }
  private zz(n: bigint): void {
    this.uvarint(n >= 0n ? n << 1n : ((-n) << 1n) - 1n);
  }
  struct(fields: Array<[number, F]>): this {
    let last = 0;
    for (const [id, f] of fields) {
      this.out.push(((id - last) << 4) | f.t);
      last = id;
      this.value(f);
    }
    this.out.push(0);
    return this;
  }
  private value(f: F): void {
    if (f.t === 5 || f.t === 6) this.zz(BigInt(f.v as number | bigint));
    else if (f.t === 8) {
      const b = new TextEncoder().encode(f.v as string);
      this.uvarint(BigInt(b.length));
      this.out.push(...b);
    } else if (f.t === 12) this.struct(f.v as Array<[number, F]>);
    else if (f.t === 9) {
      const items = f.v as F[];
      this.out.push((items.length << 4) | (items[0]?.t ?? 5));
      for (const it of items) this.value(it);
    }
  }
}
type F = { t: number; v: number | bigint | string | Array<[number, F]> | F[] };
const i32 = (v: number): F => ({ t: 5, v });
const i64 = (v: number): F => ({ t: 6, v });
const bin = (v: string): F => ({ t: 8, v });
const st = (v: Array<[number, F]>): F => ({ t: 12, v });
const lst = (v: F[]): F => ({ t: 9, v });

const DAY_NS = 86_400_000_000_000n;
function int96(ns: bigint): number[] {
  let day = ns / DAY_NS;
  let nod = ns % DAY_NS;
  if (nod < 0n) {
    nod += DAY_NS;
    day -= 1n;
  }
  const b = new DataView(new ArrayBuffer(12));
  b.setBigInt64(0, nod, true);
  b.setUint32(8, Number(day + 2440588n), true);
  return [...new Uint8Array(b.buffer)];
}
function bitPacked(values: number[], width: number): number[] {
  const groups = Math.ceil(values.length / 8);
  const bytes = new Array<number>(groups * width).fill(0);
  values.forEach((v, i) => {
    for (let b = 0; b < width; b++) if (v & (1 << b)) bytes[(i * width + b) >> 3]! |= 1 << ((i * width + b) & 7);
  });
  return [(groups << 1) | 1, ...bytes];
}
const le32 = (n: number): number[] => [n & 255, (n >> 8) & 255, (n >> 16) & 255, (n >>> 24) & 255];

/** One OPTIONAL INT96 column "ts"; each row group is PLAIN or dictionary encoded (v1 data pages, uncompressed). */
function buildInt96File(groups: Array<{ rows: Array<bigint | null>; dict: boolean }>): Uint8Array {
  const out: number[] = [0x50, 0x41, 0x52, 0x31];
  const rowGroups: F[] = [];
  for (const g of groups) {
    const start = out.length;
    const present = g.rows.filter((r): r is bigint => r !== null);
    const defs = [...le32(0), ...bitPacked(g.rows.map((r) => (r === null ? 0 : 1)), 1)];
    defs.splice(0, 4, ...le32(defs.length - 4));
    let dictOffset: number | undefined;
    let valueBytes: number[];
    let encoding: number;
    if (g.dict) {
      const dict = [...new Set(present)];
      const dictBody = dict.flatMap(int96);
      dictOffset = out.length;
      out.push(...new ThriftWriter().struct([[1, i32(2)], [2, i32(dictBody.length)], [3, i32(dictBody.length)], [7, st([[1, i32(dict.length)], [2, i32(0)]])]]).out, ...dictBody);
      valueBytes = [2, ...bitPacked(present.map((v) => dict.indexOf(v)), 2)];
      encoding = 8;
    } else {
      valueBytes = present.flatMap(int96);
      encoding = 0;
    }
    const dataOffset = out.length;
    const body = [...defs, ...valueBytes];
    out.push(...new ThriftWriter().struct([[1, i32(0)], [2, i32(body.length)], [3, i32(body.length)], [5, st([[1, i32(g.rows.length)], [2, i32(encoding)], [3, i32(3)], [4, i32(3)]])]]).out, ...body);
    const size = out.length - start;
    const meta: Array<[number, F]> = [
      [1, i32(3)], [2, lst([i32(encoding), i32(3)])], [3, lst([bin('ts')])], [4, i32(0)], [5, i64(g.rows.length)],
      [6, i64(size)], [7, i64(size)], [9, i64(dataOffset)],
    ];
    if (dictOffset !== undefined) meta.push([11, i64(dictOffset)]);
    rowGroups.push(st([[1, lst([st([[2, i64(start)], [3, st(meta)]])])], [2, i64(size)], [3, i64(g.rows.length)]]));
  }
  const numRows = groups.reduce((n, g) => n + g.rows.length, 0);
  const fm = new ThriftWriter().struct([
    [1, i32(1)],
    [2, lst([st([[4, bin('schema')], [5, i32(1)]]), st([[1, i32(3)], [3, i32(1)], [4, bin('ts')]])])],
    [3, i64(numRows)],
    [4, lst(rowGroups)],
  ]).out;
  out.push(...fm, ...le32(fm.length), 0x50, 0x41, 0x52, 0x31);
  return Uint8Array.from(out);
}

describe('exact INT96 from hand-built files', () => {
  const us = (iso: string): bigint => BigInt(Date.parse(iso)) * 1000n;
  const rows1: Array<bigint | null> = [
    us('9999-12-31T23:59:59.999Z') * 1000n + 999_999n, // 9999-12-31T23:59:59.999999999
    null,
    -500n, // 1969-12-31T23:59:59.9999995: floors to -1 µs
    us('1600-01-01T00:00:00.000Z') * 1000n + 1_000n,
    us('9999-12-31T23:59:59.999Z') * 1000n + 999_999n,
  ];
  const rows2: Array<bigint | null> = [us('2262-04-12T00:00:00.000Z') * 1000n, null, us('0001-01-01T00:00:00.000Z') * 1000n, 1n];

  it('decodes dictionary and PLAIN pages across row groups with nulls, flooring to microseconds', () => {
    const bytes = buildInt96File([
      { rows: rows1, dict: true },
      { rows: rows2, dict: false },
    ]);
    const footer = readParquetFooter(bytes);
    expect(footer.rowGroups.map((g) => g.columns[0]!.type)).toEqual(['INT96', 'INT96']);
    const t = readParquet(bytes);
    expect((t.schema.fields[0]!.type as Timestamp).unit).toBe(TimeUnit.MICROSECOND);
    expect(micros(t, 'ts').map((v) => (v === null ? null : isoMicros(v)))).toEqual([
      '9999-12-31T23:59:59.999999Z',
      null,
      '1969-12-31T23:59:59.999999Z',
      '1600-01-01T00:00:00.000001Z',
      '9999-12-31T23:59:59.999999Z',
      '2262-04-12T00:00:00.000000Z',
      null,
      '0001-01-01T00:00:00.000000Z',
      '1970-01-01T00:00:00.000000Z',
    ]);
  });

  it('reads only the requested columns and leaves other readers unaffected by batch size', () => {
    const bytes = buildInt96File([{ rows: rows1, dict: true }]);
    const t = readParquet(bytes, { batchSize: 2 });
    expect(t.batches.length).toBeGreaterThan(1);
    expect(micros(t, 'ts')[3]).toBe(us('1600-01-01T00:00:00.000Z') + 1n);
  });
});

describe('snappy decoder', () => {
  it('decodes literals and overlapping copies', () => {
    // "abcabcabcabcX": literal "abc", copy(len 9, offset 3) as 2-byte-offset copy, literal "X".
    const src = Uint8Array.from([13, (3 - 1) << 2, 0x61, 0x62, 0x63, ((9 - 1) << 2) | 2, 3, 0, 0 << 2, 0x58]);
    expect(new TextDecoder().decode(snappyDecompress(src))).toBe('abcabcabcabcX');
  });
  it('rejects a copy before the start of the output', () => {
    const src = Uint8Array.from([5, ((4 - 1) << 2) | 2, 9, 0]);
    expect(() => snappyDecompress(src, 'f.parquet')).toThrow(ProtocolError);
  });
});
