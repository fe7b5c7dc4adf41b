import { describe, expect, it } from 'vitest';
import { ProtocolError } from '../../src/errors.js';
import {
  decimalParams,
  fieldByName,
  fieldByPath,
  isPrimitive,
  parseSchema,
  serializeSchema,
  typeToString,
} from '../../src/schema/json.js';
import type { StructType } from '../../src/schema/types.js';
import { HAVE_CONFORMANCE, loadCases } from './helpers.js';

const NESTED =
  '{"type":"struct","fields":[{"name":"id","type":"long","nullable":false,"metadata":{}},' +
  '{"name":"d","type":"decimal(10,2)","nullable":true,"metadata":{"comment":"money"}},' +
  '{"name":"s","type":{"type":"struct","fields":[{"name":"x","type":"integer","nullable":true,"metadata":{}}]},"nullable":true,"metadata":{}},' +
  '{"name":"a","type":{"type":"array","elementType":"string","containsNull":false},"nullable":true,"metadata":{}},' +
  '{"name":"m","type":{"type":"map","keyType":"string","valueType":{"type":"array","elementType":"timestamp","containsNull":true},"valueContainsNull":true},"nullable":true,"metadata":{}}]}';

describe('parseSchema / serializeSchema', () => {
  it('round-trips a nested schema byte for byte', () => {
    const s = parseSchema(NESTED);
    expect(s.fields.map((f) => f.name)).toEqual(['id', 'd', 's', 'a', 'm']);
    expect(s.fields[0]!.nullable).toBe(false);
    expect(s.fields[1]!.metadata).toEqual({ comment: 'money' });
    expect(serializeSchema(s)).toBe(NESTED);
  });

  it('accepts decimal with spaces and normalizes it', () => {
    const s = parseSchema('{"type":"struct","fields":[{"name":"d","type":"decimal(10, 2)","nullable":true,"metadata":{}}]}');
    expect(s.fields[0]!.type).toBe('decimal(10,2)');
    expect(decimalParams(s.fields[0]!.type)).toEqual({ precision: 10, scale: 2 });
    expect(decimalParams('long')).toBeNull();
  });

  it('rejects malformed JSON and unknown types with ProtocolError', () => {
    expect(() => parseSchema('{"type":"struct"')).toThrow(ProtocolError);
    expect(() => parseSchema('{"type":"struct","fields":[{"name":"x","type":"uuid","nullable":true,"metadata":{}}]}')).toThrow(
      /unknown data type 'uuid'.*'x'/,
    );
    expect(() => parseSchema('{"type":"struct","fields":[{"type":"long"}]}')).toThrow(/no string 'name'/);
    expect(() => parseSchema('{"type":"array","elementType":"long","containsNull":true}')).toThrow(/must be a struct/);
    expect(() => parseSchema('{"type":"struct","fields":[{"name":"d","type":"decimal(40,2)","nullable":true}]}')).toThrow(
      /invalid decimal/,
    );
    expect(() =>
      parseSchema('{"type":"struct","fields":[{"name":"m","type":{"type":"map","keyType":"string"},"nullable":true}]}'),
    ).toThrow(/map .* needs 'keyType' and 'valueType'/);
  });

  it('finds fields and describes types', () => {
    const s = parseSchema(NESTED);
    expect(fieldByName(s, 'd')?.type).toBe('decimal(10,2)');
    expect(fieldByName(s, 'D')).toBeUndefined();
    expect(fieldByPath(s, ['s', 'x'])?.type).toBe('integer');
    expect(fieldByPath(s, ['a', 'x'])).toBeUndefined();
    expect(isPrimitive('long')).toBe(true);
    expect(isPrimitive(s)).toBe(false);
    expect(typeToString(fieldByName(s, 'm')!.type)).toBe('map<string,array<timestamp>>');
  });

  it.skipIf(!HAVE_CONFORMANCE)('parses and re-serializes every schemaString of the conformance corpus', () => {
    const cases = loadCases();
    expect(cases.length).toBeGreaterThan(50);
    for (const c of cases) {
      if (!c.schemaString) continue;
      const s: StructType = parseSchema(c.schemaString);
      expect(s.type).toBe('struct');
      // Same JSON value after a round trip (Spark writes exactly our key order).
      expect(JSON.parse(serializeSchema(s)), c.name).toEqual(JSON.parse(c.schemaString));
    }
  });
});
