// Every Arrow reader on sliced and multi-chunk input: expression evaluation, filters, stats, the writer, scan and
// replaceWhere over every Delta type (nested and nulls included) give what the same rows give unsliced.
import { afterAll, describe, expect, it } from 'vitest';
import { RecordBatch, Table } from 'apache-arrow';
import { DeltaTable, compileExpression, type StructType } from '../../src/index.js';
import { filterBatch, parsePredicate } from '../../src/expr/index.js';
import { objectsToArrow } from '../../src/schema/objects.js';
import { readValues } from '../../src/schema/access/get.js';
import type { DataType } from '../../src/schema/types.js';
import { takeRows } from '../../src/schema/access/take.js';
import { collectStats } from '../../src/table/stats.js';
import { tableToObjects } from '../../src/table/objects_out.js';
import { cleanupTempDirs, tempDir } from '../helpers/tmp.js';

afterAll(cleanupTempDirs);

const field = (name: string, type: StructType['fields'][number]['type']) => ({ name, type, nullable: true, metadata: {} });

const schema: StructType = {
  type: 'struct',
  fields: [
    field('id', 'integer'),
    field('s', 'string'),
    field('l', 'long'),
    field('sh', 'short'),
    field('b', 'byte'),
    field('f', 'float'),
    field('d', 'double'),
    field('dec', 'decimal(20,4)'),
    field('bool', 'boolean'),
    field('bin', 'binary'),
    field('dt', 'date'),
    field('ts', 'timestamp'),
    field('ntz', 'timestamp_ntz'),
    field('st', { type: 'struct', fields: [field('x', 'integer'), field('y', 'string')] }),
    field('arr', { type: 'array', elementType: 'long', containsNull: true }),
    field('m', { type: 'map', keyType: 'string', valueType: 'double', valueContainsNull: true }),
  ],
};

/** Row i: every column set from i, with a null pattern that differs per column (and whole-struct nulls). */
function row(i: number): Record<string, unknown> {
  const n = (k: number) => i % k === 0;
  return {
    id: i,
    s: n(5) ? null : `s${i}${'é'.repeat(i % 3)}`,
    l: n(7) ? null : BigInt(i) * 1_000_000_007n - 50n,
    sh: n(6) ? null : (i * 37) % 30000,
    b: n(4) ? null : (i % 200) - 100,
    f: n(9) ? null : i / 4,
    d: n(8) ? null : i * 1.5 - 20,
    dec: n(3) ? null : `${i - 15}.${String(i % 10000).padStart(4, '0')}`,
    bool: n(11) ? null : i % 2 === 0,
    bin: n(10) ? null : new Uint8Array([i % 256, (i * 7) % 256]),
    dt: n(12) ? null : new Date(Date.UTC(2020, 0, 1 + i)),
    ts: n(13) ? null : new Date(Date.UTC(2024, 0, 1, 0, i)),
    ntz: n(14) ? null : `2023-06-01T00:00:${String(i % 60).padStart(2, '0')}`,
    st: n(15) ? null : { x: n(2) ? null : i, y: `y${i % 4}` },
    arr: n(16) ? null : Array.from({ length: i % 4 }, (_, k) => (k === 1 ? null : BigInt(i + k))),
    m: n(17) ? null : new Map<string, number | null>([[`k${i % 3}`, i % 5 === 1 ? null : i / 2]]),
  };
}

const N = 60;
const rows = Array.from({ length: N }, (_, i) => row(i));
const full = objectsToArrow(rows, schema);

/** The same rows as differently shaped Arrow inputs: sliced, sliced twice, in several chunks of slices. */
function shapes(from: number, to: number): [string, Table][] {
  const sliced = full.slice(from, to);
  const twice = full.slice(from - 3 >= 0 ? from - 3 : 0, to).slice(from - 3 >= 0 ? 3 : from, to - (from - 3 >= 0 ? from - 3 : 0));
  const cut = [from, from + 5, from + 6, Math.floor((from + to) / 2), to].filter((x, k, a) => x <= to && (k === 0 || x > a[k - 1]!));
  const chunks: RecordBatch[] = [];
  for (let k = 0; k + 1 < cut.length; k++) chunks.push(...full.slice(cut[k], cut[k + 1]).batches);
  return [
    ['sliced', sliced],
    ['sliced twice', twice],
    ['multi-chunk', new Table(chunks)],
  ];
}

/** The rows [from, to) built from JS objects: a fresh, unsliced Arrow table. */
function fresh(from: number, to: number): Table {
  return objectsToArrow(rows.slice(from, to), schema);
}

const EXPRESSIONS = [
  'id + 1',
  'l * 2 - id',
  'sh + b',
  'f + d',
  'dec * 2',
  'dec / 3',
  "s || '|' || CAST(bool AS string)",
  'UPPER(s)',
  'LENGTH(bin)',
  'CASE WHEN bool THEN dt END',
  'ts + INTERVAL 5 MINUTE',
  'ntz',
  'st.x + 1',
  'st.y',
  'COALESCE(st.x, id)',
  'arr',
  'm',
  'st',
  'dt < DATE \'2020-01-20\'',
];

const PREDICATES = [
  'id >= 7',
  "s LIKE 's1%'",
  'l > 10000000000',
  'dec >= 0.5',
  'bool = false',
  "bin = X'0d5b'",
  "dt BETWEEN DATE '2020-01-05' AND DATE '2020-02-01'",
  "ts > TIMESTAMP '2024-01-01 00:20:00'",
  "ntz < '2023-06-01 00:00:30'",
  'st.x IS NULL',
  'st IS NOT NULL AND st.y IN (\'y1\', \'y3\')',
  'arr IS NULL OR m IS NULL',
  'f * 4 = id',
  'NOT (d > 0) OR sh IS NULL',
];

describe('sliced and multi-chunk Arrow input', () => {
  const ranges: [number, number][] = [
    [1, 60],
    [13, 47],
    [40, 41],
  ];

  it('readValues of every column equals the unsliced values', () => {
    for (const [from, to] of ranges) {
      for (const [shape, t] of shapes(from, to)) {
        for (const f of schema.fields) {
          const got = t.getChild(f.name)!.data.flatMap((d) => readValues(d, f.type, { loss: 'truncate', path: f.name }));
          const want = fresh(from, to).getChild(f.name)!.data.flatMap((d) => readValues(d, f.type, { loss: 'truncate', path: f.name }));
          expect(got, `${shape} ${from}..${to} ${f.name}`).toEqual(want);
        }
      }
    }
  });

  it('expression values equal the unsliced values', () => {
    for (const e of EXPRESSIONS) {
      const c = compileExpression(e, schema);
      for (const [from, to] of ranges) {
        const want = c.values(fresh(from, to));
        for (const [shape, t] of shapes(from, to)) expect(c.values(t), `${shape} ${from}..${to}: ${e}`).toEqual(want);
      }
    }
  });

  it('toArrow (plain columns as they are, vectors, values) reads back the unsliced values', () => {
    for (const e of [...EXPRESSIONS, 'id', 's', 'l', 'bin', 'dec', 'bool', 'dt', 'ts', 'f']) {
      const c = compileExpression(e, schema);
      if (typeof c.type !== 'string') continue;
      for (const [from, to] of ranges) {
        const want = c.values(fresh(from, to));
        for (const [shape, t] of shapes(from, to)) {
          const got = readValues(c.toArrow(t), c.type as DataType, { loss: 'truncate', path: e });
          expect(got, `${shape} ${from}..${to}: ${e}`).toEqual(want);
        }
      }
    }
  });

  it('filters keep the same rows', () => {
    for (const p of PREDICATES) {
      const e = parsePredicate(p);
      for (const [from, to] of ranges) {
        const want = tableToObjects(filterBatch(fresh(from, to), e, schema), schema);
        for (const [shape, t] of shapes(from, to)) {
          expect(tableToObjects(filterBatch(t, e, schema), schema), `${shape} ${from}..${to}: ${p}`).toEqual(want);
        }
      }
    }
  });

  it('stats equal the unsliced stats', () => {
    for (const [from, to] of ranges) {
      const want = collectStats(fresh(from, to), schema, { partitionColumns: [], numIndexedCols: -1 });
      for (const [shape, t] of shapes(from, to)) {
        expect(collectStats(t, schema, { partitionColumns: [], numIndexedCols: -1 }), `${shape} ${from}..${to}`).toEqual(want);
      }
    }
  });

  it('takeRows gathers the same rows', () => {
    for (const [from, to] of ranges) {
      const idx = Array.from({ length: to - from }, (_, k) => to - from - 1 - k).filter((k) => k % 3 !== 1);
      const want = tableToObjects(takeRows(fresh(from, to), idx), schema);
      for (const [shape, t] of shapes(from, to)) expect(tableToObjects(takeRows(t, idx), schema), `${shape} ${from}..${to}`).toEqual(want);
    }
  });

  it('the writer, scan (filter, limit) and replaceWhere read back the same rows', async () => {
    const [from, to] = [13, 47];
    const want = tableToObjects(fresh(from, to), schema);
    for (const [shape, t] of shapes(from, to)) {
      const table = await DeltaTable.create(tempDir(), { schema, partitionBy: ['bool'] });
      await table.append(t);
      const back = (await table.scan().toArray()).sort((a, b) => (a.id as number) - (b.id as number));
      expect(back, shape).toEqual(want);
      // the stats written for the files prune exactly: a filter on `id` reads the same rows as filtering in memory
      const filtered = (await table.scan({ filter: 'id >= 30 AND st.x IS NOT NULL', columns: ['id'] }).toArray()).map((r) => r.id).sort();
      expect(filtered, shape).toEqual(want.filter((r) => (r.id as number) >= 30 && r.st !== null && (r.st as { x: unknown }).x !== null).map((r) => r.id).sort());
      expect((await table.scan({ filter: 'id >= 30', limit: 4 }).toArray()).length, shape).toBe(4);
      // replaceWhere with sliced input whose rows all match: the matching rows are replaced by the new ones
      const replacement = shapes(30, 40).find(([s]) => s === shape)![1];
      await table.overwrite(replacement, { replaceWhere: 'id >= 30 AND id < 40' });
      const after = (await table.scan().toArray()).map((r) => r.id as number).sort((a, b) => a - b);
      expect(after, shape).toEqual(Array.from({ length: to - from }, (_, k) => from + k));
      const dup = await table.scan({ filter: 'id >= 30 AND id < 40' }).toArray();
      expect(dup.sort((a, b) => (a.id as number) - (b.id as number)), shape).toEqual(tableToObjects(fresh(30, 40), schema));
    }
  });
});
