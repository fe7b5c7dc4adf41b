// Canonical Arrow column construction from normalized JS values (the inverse of access/get.ts readValues).
// Used by objects.ts (JS rows) and enforce.ts (casts); no schema-evolution rules here.
import * as arrow from 'apache-arrow';
import { SchemaMismatchError } from '../errors.js';
import { toArrowType } from './arrow.js';
import { decimalParams, typeToString } from './json.js';
import type { DataType, StructField } from './types.js';
import type { Value } from './access/get.js';

const utf8Encoder = new TextEncoder();

function validityBitmap(values: readonly Value[]): { bitmap: Uint8Array | undefined; nullCount: number } {
  let nullCount = 0;
  for (const v of values) if (v === null || v === undefined) nullCount++;
  if (nullCount === 0) return { bitmap: undefined, nullCount: 0 };
  const bitmap = new Uint8Array(((values.length + 63) & ~63) >> 3);
  for (let i = 0; i < values.length; i++) {
    if (values[i] !== null && values[i] !== undefined) bitmap[i >> 3]! |= 1 << (i & 7);
  }
  return { bitmap, nullCount };
}

/** Two's-complement 128-bit little-endian Uint32 words of a bigint (Arrow Decimal128 layout). */
export function bigintToDecimalWords(v: bigint, out: Uint32Array, at: number, words = 4): void {
  let u = BigInt.asUintN(words * 32, v);
  for (let k = 0; k < words; k++) {
    out[at + k] = Number(u & 0xffffffffn);
    u >>= 32n;
  }
}

/** Build an Arrow column (Data) of the canonical Arrow type of `t` from normalized values. */
export function buildData(values: readonly Value[], t: DataType): arrow.Data {
  const type = toArrowType(t);
  const length = values.length;
  const { bitmap, nullCount } = validityBitmap(values);
  const base = { type, length, nullCount, nullBitmap: bitmap } as const;
  if (typeof t === 'string') {
    switch (t) {
      case 'string':
      case 'binary': {
        const parts: Uint8Array[] = [];
        const offsets = new Int32Array(length + 1);
        let total = 0;
        for (let i = 0; i < length; i++) {
          const v = values[i];
          if (v !== null && v !== undefined) {
            const bytes = t === 'string' ? utf8Encoder.encode(v as string) : (v as Uint8Array);
            parts.push(bytes);
            total += bytes.length;
            if (total > 0x7fffffff) throw new SchemaMismatchError(`column data exceeds 2 GiB in one batch`);
          }
          offsets[i + 1] = total;
        }
        const data = new Uint8Array(total);
        let at = 0;
        for (const p of parts) {
          data.set(p, at);
          at += p.length;
        }
        return arrow.makeData({ ...base, type: type as arrow.Utf8, valueOffsets: offsets, data });
      }
      case 'boolean': {
        const data = new Uint8Array(((length + 63) & ~63) >> 3);
        for (let i = 0; i < length; i++) if (values[i] === true) data[i >> 3]! |= 1 << (i & 7);
        return arrow.makeData({ ...base, type: type as arrow.Bool, data });
      }
      case 'long':
      case 'timestamp':
      case 'timestamp_ntz': {
        const data = new BigInt64Array(length);
        for (let i = 0; i < length; i++) data[i] = (values[i] as bigint | null) ?? 0n;
        return arrow.makeData({ ...base, type: type as arrow.Int64, data });
      }
      case 'integer':
      case 'date':
        return arrow.makeData({ ...base, type: type as arrow.Int32, data: fill(new Int32Array(length), values) });
      case 'short':
        return arrow.makeData({ ...base, type: type as arrow.Int16, data: fill(new Int16Array(length), values) });
      case 'byte':
        return arrow.makeData({ ...base, type: type as arrow.Int8, data: fill(new Int8Array(length), values) });
      case 'float':
        return arrow.makeData({ ...base, type: type as arrow.Float32, data: fill(new Float32Array(length), values) });
      case 'double':
        return arrow.makeData({ ...base, type: type as arrow.Float64, data: fill(new Float64Array(length), values) });
      default: {
        if (!decimalParams(t)) throw new SchemaMismatchError(`unsupported Delta type '${t as string}'`);
        const data = new Uint32Array(length * 4);
        for (let i = 0; i < length; i++) {
          const v = values[i];
          if (v !== null && v !== undefined) bigintToDecimalWords(v as bigint, data, i * 4);
        }
        return arrow.makeData({ ...base, type: type as arrow.Decimal, data });
      }
    }
  }
  switch (t.type) {
    case 'struct': {
      const children = t.fields.map((f) =>
        buildData(
          values.map((v) => (v === null || v === undefined ? null : ((v as Record<string, Value>)[f.name] ?? null))),
          f.type,
        ),
      );
      return arrow.makeData({ ...base, type: type as arrow.Struct, children });
    }
    case 'array':
    case 'map': {
      const offsets = new Int32Array(length + 1);
      const flat: Value[] = [];
      for (let i = 0; i < length; i++) {
        const v = values[i];
        if (v !== null && v !== undefined) for (const e of v as Value[]) flat.push(e);
        offsets[i + 1] = flat.length;
      }
      if (t.type === 'array') {
        const child = buildData(flat, t.elementType);
        return arrow.makeData({ ...base, type: type as arrow.List, valueOffsets: offsets, child });
      }
      const entriesType: DataType = {
        type: 'struct',
        fields: [
          { name: 'key', type: t.keyType, nullable: false, metadata: {} },
          { name: 'value', type: t.valueType, nullable: t.valueContainsNull, metadata: {} },
        ],
      };
      const entries = buildData(
        flat.map((kv) => {
          const [k, v] = kv as Value[];
          return { key: k ?? null, value: v ?? null };
        }),
        entriesType,
      );
      // The entries struct must carry the exact child type object of the map type.
      const mapType = type as arrow.Map_;
      const child = entries.clone(mapType.children[0]!.type as arrow.Struct);
      return arrow.makeData({ ...base, type: mapType, valueOffsets: offsets, child });
    }
  }
}

function fill<A extends Int32Array | Int16Array | Int8Array | Float32Array | Float64Array>(
  arr: A,
  values: readonly Value[],
): A {
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (v !== null && v !== undefined) arr[i] = v as number;
  }
  return arr;
}

export function tableFromData(names: readonly string[], columns: readonly arrow.Data[], schema: arrow.Schema): arrow.Table {
  const length = columns[0]?.length ?? 0;
  const struct = arrow.makeData({
    type: new arrow.Struct(schema.fields),
    length,
    nullCount: 0,
    children: [...columns],
  });
  void names;
  const batch = new arrow.RecordBatch(schema, struct);
  return new arrow.Table(schema, [batch]);
}
