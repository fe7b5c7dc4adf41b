import * as arrow from 'apache-arrow';
import { describe, expect, it } from 'vitest';
import {
  arrowFieldId,
  fieldId,
  matchField,
  partitionValueOf,
  physicalPartitionName,
  physicalPath,
  physicalSchema,
} from '../../src/schema/column_mapping.js';
import { parseSchema } from '../../src/schema/json.js';
import type { StructType } from '../../src/schema/types.js';

const cm = (id: number, phys: string): Record<string, unknown> => ({
  'delta.columnMapping.id': id,
  'delta.columnMapping.physicalName': phys,
});

const LOGICAL: StructType = parseSchema(
  JSON.stringify({
    type: 'struct',
    fields: [
      { name: 'a', type: 'long', nullable: true, metadata: cm(1, 'col-a') },
      {
        name: 's',
        type: {
          type: 'struct',
          fields: [{ name: 'x', type: 'integer', nullable: true, metadata: cm(3, 'col-x') }],
        },
        nullable: true,
        metadata: cm(2, 'col-s'),
      },
      {
        name: 'arr',
        type: {
          type: 'array',
          elementType: { type: 'struct', fields: [{ name: 'e', type: 'string', nullable: true, metadata: cm(5, 'col-e') }] },
          containsNull: true,
        },
        nullable: true,
        metadata: cm(4, 'col-arr'),
      },
      {
        name: 'm',
        type: {
          type: 'map',
          keyType: 'string',
          valueType: { type: 'struct', fields: [{ name: 'v', type: 'double', nullable: true, metadata: cm(7, 'col-v') }] },
          valueContainsNull: true,
        },
        nullable: true,
        metadata: cm(6, 'col-m'),
      },
      { name: 'legacy', type: 'string', nullable: true, metadata: {} },
    ],
  }),
);

describe('physical names', () => {
  it('renames every field recursively through structs, arrays and maps', () => {
    const p = physicalSchema(LOGICAL, 'name');
    expect(p.fields.map((f) => f.name)).toEqual(['col-a', 'col-s', 'col-arr', 'col-m', 'legacy']);
    const s = p.fields[1]!.type as StructType;
    expect(s.fields[0]!.name).toBe('col-x');
    const arr = p.fields[2]!.type as { elementType: StructType };
    expect(arr.elementType.fields[0]!.name).toBe('col-e');
    const m = p.fields[3]!.type as { valueType: StructType; keyType: string };
    expect(m.valueType.fields[0]!.name).toBe('col-v');
    expect(m.keyType).toBe('string');
    // metadata (ids) is kept for writers; the logical schema is untouched.
    expect(p.fields[0]!.metadata['delta.columnMapping.id']).toBe(1);
    expect(LOGICAL.fields[0]!.name).toBe('a');
    expect(physicalSchema(LOGICAL, 'none')).toBe(LOGICAL);
  });

  it('maps top-level names and nested paths', () => {
    expect(LOGICAL.fields.map((f) => physicalPath(LOGICAL, [f.name], 'id'))).toEqual([['col-a'], ['col-s'], ['col-arr'], ['col-m'], ['legacy']]);
    expect(physicalPath(LOGICAL, ['a'], 'none')).toEqual(['a']);
    expect(physicalPath(LOGICAL, ['s', 'x'], 'name')).toEqual(['col-s', 'col-x']);
    expect(physicalPath(LOGICAL, ['s', 'nope'], 'name')).toBeNull();
  });

  it('keys partition values by physical name under column mapping', () => {
    const f = LOGICAL.fields[0]!;
    expect(physicalPartitionName(f, 'name')).toBe('col-a');
    expect(physicalPartitionName(f, 'none')).toBe('a');
    expect(partitionValueOf({ 'col-a': '5' }, f, 'name')).toBe('5');
    expect(partitionValueOf({ a: '6' }, f, 'none')).toBe('6');
    expect(partitionValueOf({ 'col-a': null }, f, 'id')).toBeNull();
    expect(partitionValueOf({}, f, 'id')).toBeNull();
  });

  it('reads field ids from Delta metadata and from Parquet (Arrow) field metadata', () => {
    expect(fieldId(LOGICAL.fields[1]!)).toBe(2);
    expect(fieldId(LOGICAL.fields[4]!)).toBeUndefined();
    const af = new arrow.Field('x', new arrow.Int32(), true, new Map([['PARQUET:field_id', '12']]));
    expect(arrowFieldId(af)).toBe(12);
    expect(arrowFieldId(new arrow.Field('y', new arrow.Int32()))).toBeUndefined();
  });
});

describe('matchField', () => {
  const withIds = [
    new arrow.Field('whatever', new arrow.Int64(), true, new Map([['PARQUET:field_id', '1']])),
    new arrow.Field('col-s', new arrow.Int64(), true, new Map([['PARQUET:field_id', '99']])),
  ];
  const noIds = [new arrow.Field('a', new arrow.Int64()), new arrow.Field('col-a', new arrow.Int64())];

  it("'id' mode matches by field id, and a file with ids but not this one lacks the column", () => {
    expect(matchField(withIds, LOGICAL.fields[0]!, 'id')).toBe(0);
    expect(matchField(withIds, LOGICAL.fields[1]!, 'id')).toBe(-1); // col-s has id 99, not 2
  });
  it("'id' mode falls back to the physical name for files without field ids", () => {
    expect(matchField(noIds, LOGICAL.fields[0]!, 'id')).toBe(1);
  });
  it("'name' matches by physical name, 'none' by display name", () => {
    expect(matchField(noIds, LOGICAL.fields[0]!, 'name')).toBe(1);
    expect(matchField(noIds, LOGICAL.fields[0]!, 'none')).toBe(0);
    expect(matchField(withIds, LOGICAL.fields[1]!, 'name')).toBe(1);
  });
});
