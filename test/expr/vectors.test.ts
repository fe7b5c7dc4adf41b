// Column-at-a-time evaluation (vectors.ts, kernels.ts): every fast path (comparisons with a literal or a column,
// IN, AND / OR / NOT, IS NULL, arithmetic, negation, casts) gives exactly what the row engine gives (values, nulls,
// NaN and -0, overflow errors), on sliced and multi-chunk input; values beyond +-2^53 fall back to the row engine.
import { describe, expect, it } from 'vitest';
import { RecordBatch, Table } from 'apache-arrow';
import { compileExpression, type StructType } from '../../src/index.js';
import { parseExpression } from '../../src/expr/parse.js';
import { compileNode } from '../../src/expr/compile.js';
import { tableInput } from '../../src/expr/evaluate.js';
import { objectsToArrow } from '../../src/schema/objects.js';
import { readValues, type Value } from '../../src/schema/access/get.js';
import type { DataType } from '../../src/schema/types.js';

const field = (name: string, type: StructType['fields'][number]['type']) => ({ name, type, nullable: true, metadata: {} });
const schema: StructType = {
  type: 'struct',
  fields: [
    field('i8', 'byte'),
    field('i16', 'short'),
    field('i32', 'integer'),
    field('i64', 'long'),
    field('big', 'long'),
    field('f32', 'float'),
    field('f64', 'double'),
    field('dt', 'date'),
    field('ts', 'timestamp'),
    field('ntz', 'timestamp_ntz'),
    field('b', 'boolean'),
    field('c', 'boolean'),
  ],
};

let seed = 12345;
const rand = (): number => {
  seed = (seed * 1103515245 + 12345) % 2147483648;
  return seed / 2147483648;
};
const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)]!;
const maybe = <T>(v: T): T | null => (rand() < 0.15 ? null : v);
const int = (lo: number, hi: number): number => lo + Math.floor(rand() * (hi - lo + 1));

const N = 240;
const rows = Array.from({ length: N }, (_, i) => ({
  i8: maybe(int(-128, 127)),
  i16: maybe(pick([-32768, 32767, 0, int(-300, 300)])),
  i32: maybe(pick([2147483647, -2147483648, 0, 1, -1, int(-50, 50), int(-100000, 100000)])),
  i64: maybe(BigInt(pick([0, 1, -1, 100, int(-1000, 1000), int(-1e9, 1e9), 2 ** 50, -(2 ** 50)]))),
  // Beyond +-2^53 in some rows: the column has no vector there.
  big: maybe(i % 50 === 7 ? 2n ** 62n + BigInt(i) : BigInt(int(-1000, 1000))),
  f32: maybe(pick([0.1, -2.5, 0, 3.75, int(-100, 100) / 4])),
  f64: maybe(pick([0, -0, NaN, Infinity, -Infinity, 0.1, 2.5, -2.5, int(-1000, 1000) / 8])),
  dt: maybe(new Date(Date.UTC(2024, 0, int(-5, 40)))),
  ts: maybe(new Date(Date.UTC(2024, 0, int(-5, 40), pick([0, 0, 12])))),
  ntz: maybe(`2024-01-${String(int(1, 28)).padStart(2, '0')}T00:00:00`),
  b: maybe(rand() < 0.5),
  c: maybe(rand() < 0.5),
}));
const full = objectsToArrow(rows, schema);

/** The rows as sliced and multi-chunk Arrow inputs. */
function shapes(): [string, Table][] {
  const cuts = [0, 1, 9, 64, 65, 130, 200, N];
  const chunks: RecordBatch[] = [];
  for (let k = 0; k + 1 < cuts.length; k++) chunks.push(...full.slice(cuts[k], cuts[k + 1]).batches);
  return [
    ['whole', full],
    ['sliced', full.slice(3, N - 5)],
    ['sliced twice', full.slice(2, N).slice(17, 150)],
    ['multi-chunk', new Table(chunks)],
  ];
}

type Outcome = { values: Value[] } | { error: string };

/** The row engine's result (an input without vectors), as the truth the vectors must equal. */
function rowEngine(e: string, t: Table): Outcome {
  const c = compileNode(parseExpression(e), { relations: [{ schema }] });
  const out: Value[] = [];
  try {
    for (const batch of t.batches) {
      const ti = tableInput([new Table([batch])]);
      out.push(...c.evaluate({ numRows: ti.numRows, column: (r) => ti.column(r) }));
    }
  } catch (err) {
    return { error: (err as Error).message };
  }
  return { values: out };
}

function engine(e: string, t: Table): Outcome {
  try {
    return { values: compileExpression(e, schema).values(t) };
  } catch (err) {
    return { error: (err as Error).message };
  }
}

/** Whether the whole input was evaluated column-at-a-time. */
function vectorized(e: string, t: Table): boolean {
  const c = compileNode(parseExpression(e), { relations: [{ schema }] });
  return !!c.vector?.(tableInput([t]));
}

const OPS = ['=', '!=', '<', '<=', '>', '>='];
const CMP = OPS.flatMap((op) => [
  `i32 ${op} 5`,
  `5 ${op} i32`,
  `i8 ${op} i16`,
  `i64 ${op} 100`,
  `i64 ${op} i32`,
  `f64 ${op} 0`,
  `f64 ${op} f32`,
  `f32 ${op} 0.1`,
  `f64 ${op} CAST('NaN' AS DOUBLE)`,
  `dt ${op} ts`,
  `dt ${op} DATE '2024-01-10'`,
  `ts ${op} TIMESTAMP '2024-01-10 12:00:00'`,
  `ntz ${op} '2024-01-10'`,
  `i64 ${op} 4503599627370496`,
]);
const IN = ['i32 IN (1, 0, -1)', 'i32 IN (1, NULL)', 'i64 IN (100, 0, 4503599627370496)', 'f64 IN (0, 2.5, CAST(\'NaN\' AS DOUBLE))', "dt IN (DATE '2024-01-10', DATE '2024-01-11')", 'i8 NOT IN (1, 2, 3)'];
const LOGIC = ['b AND c', 'b OR c', 'NOT b', 'b AND NULL', 'c OR NULL', 'NOT (i32 > 3 OR f64 < 0)', '(b AND i64 > 0) OR (c AND f64 IS NULL)', 'b AND c AND i8 < 0 AND NOT c'];
const NULLS = ['i32 IS NULL', 'i64 IS NOT NULL', 'f64 IS NULL', 'b IS NULL', 'c IS NOT NULL', 'dt IS NULL'];
const ARITH = [
  'i32 + i16',
  'i8 * i8',
  'i8 - i16',
  'i64 % 100',
  'i64 * 3 - 1',
  'i64 + i32',
  'i32 / 7',
  'i64 / 0',
  'i32 % 0',
  'f64 / 0',
  'f64 % 2.5',
  'f64 % 2',
  '-i32 % 7',
  '(i64 - 500) % -3',
  'f64 * 2 + f32',
  'f32 * f32',
  'f32 + 1',
  'f32 - f32 / 3',
  '-i32',
  '-i64',
  '-f64',
  '-i8',
  '10 - i64',
  'CAST(i64 AS INT)',
  'CAST(i32 AS BIGINT) * 1000',
  'CAST(i32 AS FLOAT)',
  'CAST(i64 AS DOUBLE) / 3',
  'CAST(dt AS TIMESTAMP)',
  'i64 % 100 = 0',
  'i32 * i32',
];
// Not column-at-a-time: values beyond +-2^53 (computed exactly by the row engine), a constant.
const FALLBACK = ['i64 + NULL', 'big + 1', 'big * 2', 'big = 1', 'big % 100 = 0', 'i64 * 4503599627370496', 'i64 * 4503599627370496 > 0'];

describe('column-at-a-time evaluation equals the row engine', () => {
  for (const [group, exprs] of Object.entries({ CMP, IN, LOGIC, NULLS, ARITH, FALLBACK })) {
    it(`${group}: values, nulls and errors on sliced and multi-chunk input`, () => {
      for (const e of exprs) {
        for (const [shape, t] of shapes()) {
          const want = rowEngine(e, t);
          expect(engine(e, t), `${shape}: ${e}`).toEqual(want);
        }
      }
    });
  }

  it('the fast paths are taken (no row engine) where every value fits a double exactly and no row raises', () => {
    for (const e of [...CMP, ...IN, ...LOGIC, ...NULLS, ...ARITH]) {
      for (const [shape, t] of shapes()) {
        // A row whose result overflows its type: the row engine raises the error (and vectors decline the batch).
        expect(vectorized(e, t), `${shape}: ${e}`).toBe(!('error' in rowEngine(e, t)));
      }
    }
    for (const e of FALLBACK) expect(vectorized(e, full), e).toBe(false);
    expect(vectorized('i32 + i16', full.slice(10, 11))).toBe(true);
  });

  it('overflow raises the row engine error', () => {
    expect(engine('i32 * i32', full)).toHaveProperty('error', expect.stringMatching(/integer overflow/));
    expect(engine('CAST(i64 AS INT)', full)).toHaveProperty('error', expect.stringMatching(/does not fit integer/));
  });

  it('truth, mask and toArrow of a vector equal the row engine', () => {
    for (const e of [...CMP.slice(0, 14), ...IN, ...LOGIC, ...NULLS]) {
      for (const [shape, t] of shapes()) {
        const want = (rowEngine(e, t) as { values: Value[] }).values;
        const c = compileExpression(e, schema);
        const truth = Array.from(c.truth(t));
        expect(truth, `${shape}: ${e}`).toEqual(want.map((v) => (v === true ? 1 : v === false ? 0 : 2)));
        expect(Array.from(c.mask(t)), `${shape}: ${e}`).toEqual(want.map((v) => (v === true ? 1 : 0)));
      }
    }
    for (const e of ARITH) {
      for (const [shape, t] of shapes()) {
        const r = rowEngine(e, t);
        if ('error' in r) continue;
        const want = r.values;
        const c = compileExpression(e, schema);
        const data = c.toArrow(t);
        expect(readValues(data, c.type as DataType, { loss: 'truncate', path: e }), `${shape}: ${e}`).toEqual(want);
      }
    }
  });
});
