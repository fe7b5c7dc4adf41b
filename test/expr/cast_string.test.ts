// CAST(double|float AS string) prints what Spark prints: Java's Double.toString / Float.toString.
import { describe, expect, it } from 'vitest';
import { compileExpression, type StructType } from '../../src/index.js';
import { objectsToArrow } from '../../src/schema/objects.js';

const schema: StructType = {
  type: 'struct',
  fields: [
    { name: 'd', type: 'double', nullable: true, metadata: {} },
    { name: 'f', type: 'float', nullable: true, metadata: {} },
  ],
};

describe('CAST floating point AS string (Java Double/Float.toString)', () => {
  // Java's Double.toString / Float.toString outputs (JDK 19+, what Spark 3.5 on Java 17+ prints for the float cases
  // below as well as the doubles: Float.toString(0.1f) is "0.1", Double.toString(Double.MIN_VALUE) is "4.9E-324").
  const rows = [
    { d: 5e-324, f: 0.1 },
    { d: 1e21, f: 1e10 },
    { d: 0.001, f: 3.4028234663852886e38 },
    { d: 1234567.0, f: 1.401298464324817e-45 },
    { d: -0, f: -2.5 },
    { d: null, f: null },
  ];
  const data = objectsToArrow(rows, schema);
  // Also on a slice and several chunks: the cast reads Arrow values.
  const sliced = objectsToArrow([{ d: 1, f: 1 }, ...rows], schema).slice(1);

  it('doubles: the shortest digits that read back, two digits when one digit is not the closest (4.9E-324)', () => {
    const want = ['4.9E-324', '1.0E21', '0.001', '1234567.0', '-0.0', null];
    expect(compileExpression('CAST(d AS string)', schema).values(data)).toEqual(want);
    expect(compileExpression('CAST(d AS string)', schema).values(sliced)).toEqual(want);
  });

  it("floats: Float.toString's own digits, not the float's double expansion (0.1f is '0.1', not '0.10000000149011612')", () => {
    const want = ['0.1', '1.0E10', '3.4028235E38', '1.4E-45', '-2.5', null];
    expect(compileExpression('CAST(f AS string)', schema).values(data)).toEqual(want);
    expect(compileExpression('CAST(f AS string)', schema).values(sliced)).toEqual(want);
  });
});
