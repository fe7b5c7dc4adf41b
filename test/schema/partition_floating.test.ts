// double/float partition values: printed as Spark prints them (Java's Double.toString / Float.toString, JDK 19+
// shortest-digit rules), read back from that form and from the plain one delta-rs writes.
import { afterAll, describe, expect, it } from 'vitest';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DeltaTable, col, type StructType } from '../../src/index.js';
import { javaFloatingString, parsePartitionValue, serializePartitionValue } from '../../src/schema/partition_values.js';
import { cleanupTempDirs, tempDir } from '../helpers/tmp.js';

afterAll(cleanupTempDirs);

const f32 = (hex: string): number => new DataView(Uint32Array.of(parseInt(hex, 16)).buffer).getFloat32(0, true);
const f64 = (hex: string): number => {
  const v = new DataView(new ArrayBuffer(8));
  v.setBigUint64(0, BigInt(`0x${hex}`));
  return v.getFloat64(0);
};

describe('Java Double.toString / Float.toString', () => {
  it('prints doubles as Spark does', () => {
    const cases: [number, string][] = [
      [0, '0.0'],
      [-0, '-0.0'],
      [NaN, 'NaN'],
      [Infinity, 'Infinity'],
      [-Infinity, '-Infinity'],
      [1, '1.0'],
      [100, '100.0'],
      [-2.5, '-2.5'],
      [0.1, '0.1'],
      [0.001, '0.001'], // plain from 1e-3 ...
      [0.0001, '1.0E-4'], // ... scientific below it
      [-1.5e-7, '-1.5E-7'],
      [9999999, '9999999.0'], // plain below 1e7 ...
      [9999999.5, '9999999.5'],
      [1e7, '1.0E7'], // ... scientific from it
      [12345678, '1.2345678E7'],
      [123456789.123, '1.23456789123E8'],
      [1e20, '1.0E20'],
      [-1e20, '-1.0E20'],
      [1e23, '1.0E23'],
      [2 ** 53, '9.007199254740992E15'],
      [Number.MAX_VALUE, '1.7976931348623157E308'],
      [Number.MIN_VALUE, '4.9E-324'], // one digit suffices (5e-324) but Java prints the closer two-digit 4.9
      [2.2250738585072014e-308, '2.2250738585072014E-308'],
      [f64('42d5a6aa4eb490a8'), '9.522226415673862E13'], // exactly ...738.625: a tie, broken to the even digit
    ];
    for (const [x, s] of cases) expect([x, javaFloatingString(x, false)]).toEqual([x, s]);
  });

  it('prints floats with the digits of the float32, not of the double holding it', () => {
    const cases: [number, string][] = [
      [0.1, '0.1'], // the float32 0.1 is 0.10000000149011612 as a double
      [-0, '-0.0'],
      [NaN, 'NaN'],
      [1e20, '1.0E20'],
      [1e40, 'Infinity'], // beyond float32
      [0.001, '0.001'],
      [0.0001, '1.0E-4'],
      [16777216, '1.6777216E7'],
      [3.4028234663852886e38, '3.4028235E38'], // Float.MAX_VALUE
      [1.401298464324817e-45, '1.4E-45'], // Float.MIN_VALUE: closer two-digit decimal, as for doubles
      [1.1754943508222875e-38, '1.1754944E-38'], // Float.MIN_NORMAL (JDK <= 18: 1.17549435E-38)
      [f32('552405d7'), '1.1271562E13'], // JDK <= 18 printed the non-shortest 1.12715618E13
      [f32('4a556c3d'), '3496719.2'], // exactly 3496719.25: a tie, broken to the even digit
      [f32('6a306d5c'), '5.3321845E25'], // the closer of two shortest decimals (JDK <= 18: 5.3321844E25)
    ];
    for (const [x, s] of cases) expect([x, javaFloatingString(x, true)]).toEqual([x, s]);
  });

  it('prints the shortest decimal that reads back, in the notation its magnitude calls for', () => {
    let seed = 12345;
    const rnd = (): number => {
      seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
      return seed;
    };
    const view = new DataView(new ArrayBuffer(8));
    const digitsOf = (s: string): string => s.replace(/^-/, '').replace(/E.*$/, '').replace('.', '').replace(/^0+/, '').replace(/0+$/, '');
    for (let i = 0; i < 5000; i++) {
      view.setUint32(0, rnd());
      view.setUint32(4, rnd());
      const d = view.getFloat64(0);
      const f = view.getFloat32(0);
      for (const [x, float32] of [[d, false], [f, true]] as const) {
        if (!Number.isFinite(x) || x === 0) continue;
        const s = javaFloatingString(x, float32);
        const back = Number(s);
        expect(float32 ? Math.fround(back) : back).toBe(x);
        const abs = Math.abs(x);
        if (abs >= 1e-3 && abs < 1e7) expect(s).toMatch(/^-?\d+\.\d+$/);
        else expect(s).toMatch(/^-?\d\.\d+E-?\d+$/);
        // No shorter decimal reads back (ECMAScript's shortest digits for a double; precision - 1 for a float).
        const digits = digitsOf(s);
        if (!float32) {
          const shortest = digitsOf(abs.toExponential().toUpperCase()).length;
          if (shortest > 1) expect(digits.length).toBe(shortest);
        } else if (digits.length > 1) {
          expect(Math.fround(Number(abs.toPrecision(digits.length - 1)))).not.toBe(abs);
        }
      }
    }
  });
});

describe('double/float partition values', () => {
  it('serializes and parses both the Java form and the plain form', () => {
    expect(serializePartitionValue(1e20, 'double')).toBe('1.0E20');
    expect(serializePartitionValue(0.1, 'float')).toBe('0.1');
    expect(serializePartitionValue(1e-5, 'float')).toBe('1.0E-5');
    for (const s of ['1.0E20', '1e20', '1E+20', '100000000000000000000', '100000000000000000000.0']) {
      expect(parsePartitionValue(s, 'double')).toBe(1e20);
    }
    expect(parsePartitionValue('2021.0', 'double')).toBe(2021);
    expect(parsePartitionValue('2020', 'double')).toBe(2020);
    expect(parsePartitionValue('4.9E-324', 'double')).toBe(Number.MIN_VALUE);
    expect(parsePartitionValue('-0.0', 'double')).toBe(-0);
    expect(parsePartitionValue('.5', 'double')).toBe(0.5);
    expect(parsePartitionValue('3.4028235E38', 'float')).toBe(3.4028234663852886e38);
    expect(parsePartitionValue('0.1', 'float')).toBe(Math.fround(0.1));
    expect(parsePartitionValue('-Infinity', 'float')).toBe(-Infinity);
    for (const bad of ['0x10', '1e', 'E5', '1.0E20x', '1,5', '--1']) {
      expect(() => parsePartitionValue(bad, 'double', 'd')).toThrow(/of column 'd' is not a valid double/);
    }
  });

  it('writes Spark partition strings and directories, and reads both forms back', async () => {
    const dir = tempDir();
    const schema: StructType = {
      type: 'struct',
      fields: [
        { name: 'id', type: 'long', nullable: false, metadata: {} },
        { name: 'd', type: 'double', nullable: true, metadata: {} },
        { name: 'f', type: 'float', nullable: true, metadata: {} },
      ],
    };
    const t = await DeltaTable.create(dir, { schema, partitionBy: ['d', 'f'] });
    await t.append([
      { id: 1n, d: 1e20, f: 0.1 },
      { id: 2n, d: 0.0001, f: 1e7 },
    ]);
    await t.append([{ id: 3n, d: 1e20, f: 0.1 }]);
    const parts = t
      .files()
      .map((a) => `${a.partitionValues.d}|${a.partitionValues.f}`)
      .sort();
    expect(parts).toEqual(['1.0E-4|1.0E7', '1.0E20|0.1', '1.0E20|0.1']);
    expect(readdirSync(dir).filter((n) => n.startsWith('d=')).sort()).toEqual(['d=1.0E-4', 'd=1.0E20']);
    expect(readdirSync(join(dir, 'd=1.0E20'))).toEqual(['f=0.1']);

    // A writer printing the plain form (as delta-rs does) committed version 2: the same value either way.
    const v2 = join(dir, '_delta_log', '00000000000000000002.json');
    const text = readFileSync(v2, 'utf8');
    expect(text).toContain('"d":"1.0E20"');
    writeFileSync(v2, text.replace('"d":"1.0E20"', '"d":"100000000000000000000"').replace('"f":"0.1"', '"f":"0.10000000149011612"'));
    const reopened = await DeltaTable.open(dir);
    expect(reopened.files().map((a) => a.partitionValues.d).sort()).toEqual(['1.0E-4', '1.0E20', '100000000000000000000']);
    const rows = await reopened.scan({ filter: col('d').eq(1e20) }).toArray();
    expect(rows.map((r) => [r.id, r.d, r.f]).sort()).toEqual([
      [1n, 1e20, Math.fround(0.1)],
      [3n, 1e20, Math.fround(0.1)],
    ]);
    expect((await reopened.scan({ filter: col('f').eq(1e7) }).toArray()).map((r) => [r.id, r.d])).toEqual([[2n, 0.0001]]);
  });
});
