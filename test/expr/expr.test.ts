import { describe, expect, it } from 'vitest';
import { InvalidArgumentError } from '../../src/errors.js';
import {
  and,
  coerceLiteral,
  col,
  dateLit,
  exprToString,
  not,
  or,
  parsePredicate,
  referencedColumns,
  timestampLit,
  validateExpr,
  type Expr,
} from '../../src/expr/index.js';
import { formatTimestamp } from '../../src/schema/values.js';
import { compareStrings, parseTimestampText } from '../../src/expr/index.js';
import type { StructType } from '../../src/schema/types.js';

const schema: StructType = {
  type: 'struct',
  fields: [
    { name: 'a', type: 'long', nullable: true, metadata: {} },
    { name: 'b', type: 'string', nullable: true, metadata: {} },
    { name: 'c', type: 'integer', nullable: true, metadata: {} },
    { name: 'd', type: 'double', nullable: true, metadata: {} },
    { name: 'dt', type: 'date', nullable: true, metadata: {} },
    { name: 'ts', type: 'timestamp', nullable: true, metadata: {} },
    { name: 'amt', type: 'decimal(10,2)', nullable: true, metadata: {} },
    { name: 'flag', type: 'boolean', nullable: true, metadata: {} },
    {
      name: 's',
      type: { type: 'struct', fields: [{ name: 'x', type: 'string', nullable: true, metadata: {} }] },
      nullable: true,
      metadata: {},
    },
    { name: 'my col', type: 'string', nullable: true, metadata: {} },
  ],
};

describe('builder', () => {
  it('builds typed nodes', () => {
    expect(col('a').eq(1)).toEqual({
      kind: 'cmp',
      op: '=',
      left: { kind: 'column', path: ['a'] },
      right: { kind: 'literal', type: 'number', value: 1 },
    });
    expect(col('s.x').in(['p', 'q'])).toEqual({
      kind: 'in',
      operand: { kind: 'column', path: ['s', 'x'] },
      values: [
        { kind: 'literal', type: 'string', value: 'p' },
        { kind: 'literal', type: 'string', value: 'q' },
      ],
    });
    expect(col('ts').gte(new Date('2024-01-01T00:00:00.001Z'))).toMatchObject({
      right: { type: 'timestamp', micros: 1704067200001000n },
    });
    expect(col('y').isNull()).toEqual({ kind: 'isNull', operand: { kind: 'column', path: ['y'] }, negated: false });
    expect(and(col('a').eq(1))).toEqual(col('a').eq(1));
    expect(() => col('a').in([])).toThrow(InvalidArgumentError);
    expect(() => col('a').eq(Number.NaN)).toThrow(/finite/);
  });
});

describe('parsePredicate', () => {
  it('parses the documented example with SQL precedence', () => {
    const e = parsePredicate("a = 1 AND (b IN ('x','y') OR c IS NOT NULL) AND NOT d < 2.5");
    expect(e).toEqual(
      and(
        col('a').eq(1),
        or(col('b').in(['x', 'y']), col('c').isNotNull()),
        not({ kind: 'cmp', op: '<', left: { kind: 'column', path: ['d'] }, right: { kind: 'literal', type: 'number', value: 2.5, text: '2.5' } }),
      ),
    );
  });

  it('handles quoting, escapes, literals, case-insensitive keywords', () => {
    expect(parsePredicate("`my col` = 'it''s'")).toEqual(col(['my col']).eq("it's"));
    expect(parsePredicate('s.x is null')).toEqual(col('s.x').isNull());
    expect(parsePredicate("dt >= DATE '2024-02-29'")).toEqual(col('dt').gte(dateLit('2024-02-29')));
    expect(parsePredicate("ts < TIMESTAMP '2024-01-01 10:00:00.123456'")).toMatchObject({
      right: { type: 'timestamp', micros: 1704103200123456n },
    });
    expect(parsePredicate('a = -9223372036854775808')).toMatchObject({ right: { type: 'bigint', value: -9223372036854775808n } });
    expect(parsePredicate('flag = TRUE OR b = null')).toEqual(
      or(col('flag').eq(true), { kind: 'cmp', op: '=', left: { kind: 'column', path: ['b'] }, right: { kind: 'literal', type: 'null' } }),
    );
    expect(parsePredicate('a <> 1')).toEqual(col('a').ne(1));
    expect(parsePredicate("b NOT IN ('x')")).toEqual(not(col('b').in(['x'])));
    expect(parsePredicate('a BETWEEN 1 AND 3')).toEqual(and(col('a').gte(1), col('a').lte(3)));
    expect(parsePredicate('1 < a')).toMatchObject({ left: { kind: 'literal' }, right: { kind: 'column' } });
  });

  it('reports position and expectation on errors', () => {
    const cases: [string, RegExp][] = [
      ['a = ', /position 5: expected a column name or literal after '=', found end of input/],
      ["a IN ('x' 'y')", /position 11: expected ',' or '\)' in the IN list, found ''y''/],
      ["b = 'open", /position 5: expected closing quote/],
      ['a = 1 b = 2', /position 7: expected AND, OR or end of input, found 'b'/],
      ['a IS 5', /expected NULL or NOT NULL after 'IS'/],
      ["dt = DATE '2024-13-01'", /expected a date in the form YYYY-MM-DD/],
      ['a ? 1', /position 3/],
      ['(a = 1', /expected '\)', found end of input/],
      ['', /expected a predicate/],
      ['AND = 1', /position 1: expected a column name or literal/],
    ];
    for (const [src, re] of cases) {
      expect(() => parsePredicate(src), src).toThrow(InvalidArgumentError);
      expect(() => parsePredicate(src), src).toThrow(re);
    }
  });
});

/** Drop the exact source text of number literals and unify number/bigint (same value) for comparison. */
function stripText(e: unknown): unknown {
  return JSON.parse(
    JSON.stringify(e, (k, v) => (k === 'text' ? undefined : typeof v === 'bigint' ? Number(v) : v instanceof Uint8Array ? Array.from(v) : v)),
  );
}

describe('exprToString', () => {
  it('round-trips through parsePredicate', () => {
    const exprs: Expr[] = [
      parsePredicate("a = 1 AND (b IN ('x','y') OR c IS NOT NULL) AND NOT d < 2.5"),
      col(['my col']).eq("it's"),
      col(['date']).eq(dateLit('2024-01-01')),
      col('ts').gt(timestampLit('2024-01-01 10:00:00.000001')),
      col('ts').gt(new Date(Date.UTC(1969, 11, 31, 23, 59, 59, 999))),
      col('amt').lte(parsePredicate('x = 12345678901234567.89').kind === 'cmp' ? (parsePredicate('x = 12345678901234567.89') as { right: never }).right : 0),
      col('d').eq(1e-7),
      col('d').eq(-1.5e21),
      col('a').eq(2n ** 62n),
      or(and(col('a').eq(1), col('c').eq(2)), not(or(col('a').eq(3), col('a').isNull()))),
      col('bin').eq(new Uint8Array([0, 255, 16])),
      col('flag').ne(false),
    ];
    for (const e of exprs) {
      const s = exprToString(e);
      const back = parsePredicate(s);
      expect(stripText(back), s).toEqual(stripText(e));
      expect(exprToString(back)).toBe(s);
    }
    expect(exprToString(parsePredicate("a = 1 AND (b IN ('x','y') OR c IS NOT NULL) AND NOT d < 2.5"))).toBe(
      "a = 1 AND (b IN ('x', 'y') OR c IS NOT NULL) AND NOT (d < 2.5)",
    );
    expect(exprToString(col('d').eq(1e-7))).toBe('d = 0.0000001');
    expect(exprToString(col('ts').eq(timestampLit('2024-01-01T10:00:00Z')))).toBe("ts = TIMESTAMP '2024-01-01 10:00:00'");
  });
});

describe('referencedColumns / validateExpr', () => {
  it('lists distinct columns', () => {
    expect(referencedColumns(parsePredicate('a = 1 AND (s.x = \'p\' OR a > c)'))).toEqual(['a', 's.x', 'c']);
  });

  it('accepts valid predicates, case-insensitive names, cast-able strings', () => {
    validateExpr(parsePredicate("A = 1 AND s.X = 'q' AND dt = '2024-01-01' AND ts > '2024-01-01 10:00' AND amt < 3.125"), schema);
    validateExpr(parsePredicate("a = '12' AND b IS NULL AND a < c AND dt < ts"), schema);
  });

  it('rejects unknown columns and incompatible literals with a named error', () => {
    expect(() => validateExpr(parsePredicate('nope = 1'), schema)).toThrow(/unknown column 'nope'/);
    expect(() => validateExpr(parsePredicate('s.y = 1'), schema)).toThrow(/unknown column 's.y'/);
    expect(() => validateExpr(parsePredicate("a = 'abc'"), schema)).toThrow(
      /literal 'abc' \(string\) cannot be compared with column 'a' of type long/,
    );
    expect(() => validateExpr(parsePredicate('b = 5'), schema)).toThrow(/column 'b' of type string/);
    expect(() => validateExpr(parsePredicate("dt = 'yesterday'"), schema)).toThrow(/column 'dt' of type date/);
    expect(() => validateExpr(parsePredicate('flag IN (1, 2)'), schema)).toThrow(/column 'flag' of type boolean/);
    expect(() => validateExpr(parsePredicate('s = 1'), schema)).toThrow(/struct<x:string> cannot be used/);
    expect(() => validateExpr(parsePredicate('a = b'), schema)).toThrow(/cannot compare column 'a' \(long\) with column 'b'/);
  });
});

describe('literal coercion and ordering', () => {
  it('coerces exactly by Delta type', () => {
    expect(coerceLiteral(parsePredicate('x = 2.5').kind === 'cmp' ? (parsePredicate('x = 2.5') as never as { right: never }).right : (null as never), 'integer', 'c')).toEqual({
      kind: 'between',
      floor: 2,
      ceil: 3,
    });
    expect(coerceLiteral({ kind: 'literal', type: 'number', value: -2.5 }, 'long', 'a')).toEqual({ kind: 'between', floor: -3n, ceil: -2n });
    expect(coerceLiteral({ kind: 'literal', type: 'number', value: 1.5 }, 'decimal(10,2)', 'amt')).toEqual({ kind: 'exact', key: 150n });
    expect(coerceLiteral({ kind: 'literal', type: 'number', value: 12345678901234567.89, text: '12345678901234567.89' }, 'decimal(38,2)', 'x')).toEqual({
      kind: 'exact',
      key: 1234567890123456789n,
    });
    expect(coerceLiteral(timestampLit('2024-01-01 10:00:00'), 'date', 'dt')).toEqual({ kind: 'between', floor: 19723, ceil: 19724 });
    expect(coerceLiteral(dateLit('2024-01-01'), 'timestamp', 'ts')).toEqual({ kind: 'exact', key: 1704067200000000n });
  });

  it('orders strings by code point (UTF-8 byte order), not UTF-16 units', () => {
    const astral = '\u{1F600}'; // surrogate pair D83D DE00
    const bmpHigh = '\uFFFD';
    expect(astral < bmpHigh).toBe(true); // JS UTF-16 order
    expect(compareStrings(astral, bmpHigh)).toBe(1); // code point order
    expect(compareStrings('abc', 'abd')).toBe(-1);
    expect(compareStrings('ab', 'abc')).toBe(-1);
    expect(compareStrings('é', 'é')).toBe(0);
  });

  it('parses and formats timestamps', () => {
    expect(parseTimestampText('2020-02-01T08:09:10.000Z')).toEqual({ micros: 1580544550000000n, dateOnly: false, fractionDigits: 3 });
    expect(parseTimestampText('2020-02-01T09:09:10+01:00')!.micros).toBe(1580544550000000n);
    expect(parseTimestampText('1969-12-31 23:59:59.999999')!.micros).toBe(-1n);
    expect(parseTimestampText('2023-02-29')).toBeNull();
    expect(formatTimestamp(-1n)).toBe('1969-12-31 23:59:59.999999');
    expect(formatTimestamp(253402214400000000n)).toBe('9999-12-31 00:00:00');
  });
});
