import * as arrow from 'apache-arrow';
import { describe, expect, it } from 'vitest';
import { SchemaMismatchError } from '../../src/errors.js';
import { fromArrowSchema, fromArrowType, toArrowSchema, toArrowType } from '../../src/schema/arrow.js';
import { parseSchema } from '../../src/schema/json.js';
import type { StructType } from '../../src/schema/types.js';

export const ALL_TYPES: StructType = parseSchema(
  JSON.stringify({
    type: 'struct',
    fields: [
      { name: 'str', type: 'string', nullable: true, metadata: { comment: 'c', 'delta.columnMapping.id': 7 } },
      { name: 'lng', type: 'long', nullable: false, metadata: {} },
      { name: 'int', type: 'integer', nullable: true, metadata: {} },
      { name: 'sht', type: 'short', nullable: true, metadata: {} },
      { name: 'byt', type: 'byte', nullable: true, metadata: {} },
      { name: 'flt', type: 'float', nullable: true, metadata: {} },
      { name: 'dbl', type: 'double', nullable: true, metadata: {} },
      { name: 'bool', type: 'boolean', nullable: true, metadata: {} },
      { name: 'bin', type: 'binary', nullable: true, metadata: {} },
      { name: 'dt', type: 'date', nullable: true, metadata: {} },
      { name: 'ts', type: 'timestamp', nullable: true, metadata: {} },
      { name: 'tsntz', type: 'timestamp_ntz', nullable: true, metadata: {} },
      { name: 'dec', type: 'decimal(38,6)', nullable: true, metadata: {} },
      {
        name: 'st',
        type: {
          type: 'struct',
          fields: [
            { name: 'a', type: 'integer', nullable: false, metadata: {} },
            { name: 'b', type: 'string', nullable: true, metadata: {} },
          ],
        },
        nullable: true,
        metadata: {},
      },
      { name: 'arr', type: { type: 'array', elementType: 'long', containsNull: false }, nullable: true, metadata: {} },
      {
        name: 'mp',
        type: { type: 'map', keyType: 'string', valueType: 'double', valueContainsNull: true },
        nullable: true,
        metadata: {},
      },
    ],
  }),
);

describe('Delta <-> Arrow types', () => {
  it('maps every type to the canonical Arrow type', () => {
    const s = toArrowSchema(ALL_TYPES);
    const byName = Object.fromEntries(s.fields.map((f) => [f.name, f]));
    expect(byName.str!.type).toBeInstanceOf(arrow.Utf8);
    expect(byName.lng!.type.typeId).toBe(arrow.Type.Int);
    expect((byName.lng!.type as arrow.Int).bitWidth).toBe(64);
    expect(byName.lng!.nullable).toBe(false);
    expect((byName.byt!.type as arrow.Int).bitWidth).toBe(8);
    expect((byName.flt!.type as arrow.Float).precision).toBe(arrow.Precision.SINGLE);
    expect((byName.dt!.type as arrow.Date_).unit).toBe(arrow.DateUnit.DAY);
    const ts = byName.ts!.type as arrow.Timestamp;
    expect([ts.unit, ts.timezone]).toEqual([arrow.TimeUnit.MICROSECOND, 'UTC']);
    const ntz = byName.tsntz!.type as arrow.Timestamp;
    expect([ntz.unit, ntz.timezone]).toEqual([arrow.TimeUnit.MICROSECOND, null]);
    const dec = byName.dec!.type as arrow.Decimal;
    expect([dec.precision, dec.scale, dec.bitWidth]).toEqual([38, 6, 128]);
    const list = byName.arr!.type as arrow.List;
    expect(list.children[0]!.name).toBe('element');
    expect(list.children[0]!.nullable).toBe(false);
    const map = byName.mp!.type as arrow.Map_;
    expect(map.children[0]!.name).toBe('entries'); // apache-arrow forces this name
    const entries = map.children[0]!.type as arrow.Struct;
    expect(entries.children.map((c) => [c.name, c.nullable])).toEqual([
      ['key', false],
      ['value', true],
    ]);
    expect(byName.str!.metadata.get('delta.columnMapping.id')).toBe('7');
  });

  it('round-trips every type, nullability and metadata', () => {
    expect(fromArrowSchema(toArrowSchema(ALL_TYPES))).toEqual(ALL_TYPES);
  });

  it('accepts the non-canonical Arrow shapes readers produce', () => {
    expect(fromArrowType(new arrow.Dictionary(new arrow.Utf8(), new arrow.Int32()))).toBe('string');
    expect(fromArrowType(new arrow.LargeUtf8())).toBe('string');
    expect(fromArrowType(new arrow.LargeBinary())).toBe('binary');
    expect(fromArrowType(new arrow.TimestampNanosecond('America/New_York'))).toBe('timestamp');
    expect(fromArrowType(new arrow.TimestampSecond())).toBe('timestamp_ntz');
    expect(fromArrowType(new arrow.TimestampMillisecond(null))).toBe('timestamp_ntz');
    expect(fromArrowType(new arrow.DateMillisecond())).toBe('date');
    expect(fromArrowType(new arrow.Decimal(2, 9, 64))).toBe('decimal(9,2)');
    expect(fromArrowType(new arrow.Uint32())).toBe('long');
    expect(fromArrowType(new arrow.List(new arrow.Field('item', new arrow.Int32(), true)))).toEqual({
      type: 'array',
      elementType: 'integer',
      containsNull: true,
    });
  });

  it('rejects Arrow types Delta cannot store, naming the column', () => {
    const schema = new arrow.Schema([
      new arrow.Field('ok', new arrow.Int32()),
      new arrow.Field('s', new arrow.Struct([new arrow.Field('u', new arrow.Uint64())])),
    ]);
    expect(() => fromArrowSchema(schema)).toThrow(SchemaMismatchError);
    expect(() => fromArrowSchema(schema)).toThrow(/column 's\.u'/);
    expect(() => fromArrowType(new arrow.Null(), 'n')).toThrow(/column 'n'/);
  });

  it('toArrowType of a nested type', () => {
    const t = toArrowType({ type: 'array', elementType: { type: 'map', keyType: 'integer', valueType: 'string', valueContainsNull: false }, containsNull: true });
    expect(String(t)).toMatch(/List<Map/);
  });
});
