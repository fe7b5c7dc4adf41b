// Canonical Arrow column construction from normalized JS values, and reading normalized values out of any
// readable Arrow shape. Used by objects.ts (JS rows) and enforce.ts (casts); no schema-evolution rules here.
import * as arrow from 'apache-arrow';
import { SchemaMismatchError } from '../errors.js';
import { toArrowType } from './arrow.js';
import { decimalParams, typeToString } from './json.js';
import type { DataType, StructField } from './types.js';
import { floorDiv, pow10 } from './values.js';

/**
 * Normalized value of a Delta type: string; long bigint; integer/short/byte/float/double number; boolean;
 * binary Uint8Array; date number of days since epoch; timestamp/timestamp_ntz bigint microseconds since
 * epoch; decimal bigint UNSCALED value; struct object by field name; array Value[]; map [key, value][].
 */
export type Value =
  | null
  | string
  | number
  | bigint
  | boolean
  | Uint8Array
  | Value[]
  | { [field: string]: Value };

const utf8Encoder = new TextEncoder();
const utf8Decoder = new TextDecoder();

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

/** Signed bigint of `words` little-endian Uint32 words (Arrow Decimal32..256 storage). */
export function decimalWordsToBigint(src: Uint32Array, at: number, words: number): bigint {
  let u = 0n;
  for (let k = words - 1; k >= 0; k--) u = (u << 32n) | BigInt(src[at + k]!);
  return BigInt.asIntN(words * 32, u);
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

// ---------------------------------------------------------------------------------------------- reading

/** How casts that lose information are treated: 'error' (write path) or 'truncate' (read path). */
export type LossMode = 'error' | 'truncate';

export interface ReadOptions {
  loss: LossMode;
  /** Column path for error messages. */
  path: string;
  /** Row index of index 0 of this data within the top-level batch (errors report it); default 0. */
  rowOf?: (i: number) => number;
  /**
   * Source child name for a target struct field (column mapping uses the physical name); default the
   * field name.
   */
  sourceName?: (field: StructField) => string;
}

function int64At(values: ArrayLike<number | bigint>, i: number): bigint {
  if (values instanceof BigInt64Array || values instanceof BigUint64Array) return values[i]!;
  // Older layouts store 64-bit values as pairs of 32-bit words.
  const lo = BigInt((values as Int32Array)[2 * i]! >>> 0);
  const hi = BigInt((values as Int32Array)[2 * i + 1]!);
  return (hi << 32n) | lo;
}

const TS_UNIT_TO_MICROS: Record<number, { mul: bigint; div: bigint }> = {
  [arrow.TimeUnit.SECOND]: { mul: 1_000_000n, div: 1n },
  [arrow.TimeUnit.MILLISECOND]: { mul: 1000n, div: 1n },
  [arrow.TimeUnit.MICROSECOND]: { mul: 1n, div: 1n },
  [arrow.TimeUnit.NANOSECOND]: { mul: 1n, div: 1000n },
};

/**
 * Normalized values of `data` (any readable Arrow shape) converted to Delta type `t`. The caller has
 * checked that the conversion is allowed (enforce.ts `checkCast`); this performs it value by value.
 */
export function readValues(data: arrow.Data, t: DataType, opts: ReadOptions): Value[] {
  const n = data.length;
  const out: Value[] = new Array<Value>(n);
  const src = data.type as arrow.DataType;
  const valid = (i: number): boolean => data.getValid(i);
  const rowOf = opts.rowOf ?? ((i: number) => i);

  if (arrow.DataType.isDictionary(src)) {
    const dict = data.dictionary;
    const dictValues: Value[] = dict ? dict.data.flatMap((d) => readValues(d, t, { ...opts, rowOf: () => -1 })) : [];
    const idx = data.values as ArrayLike<number | bigint>;
    for (let i = 0; i < n; i++) out[i] = valid(i) ? (dictValues[Number(idx[i])] ?? null) : null;
    return out;
  }

  if (typeof t === 'string') {
    const dec = decimalParams(t);
    switch (true) {
      case t === 'string' || t === 'binary': {
        if (arrow.DataType.isUtf8(src) || arrow.DataType.isBinary(src) || arrow.DataType.isLargeUtf8(src) || arrow.DataType.isLargeBinary(src)) {
          const offs = data.valueOffsets as ArrayLike<number | bigint>;
          const bytes = data.values as Uint8Array;
          for (let i = 0; i < n; i++) {
            if (!valid(i)) {
              out[i] = null;
              continue;
            }
            const b = bytes.subarray(Number(offs[i]), Number(offs[i + 1]));
            out[i] = t === 'string' ? utf8Decoder.decode(b) : b.slice();
          }
          return out;
        }
        if (arrow.DataType.isFixedSizeBinary(src)) {
          const w = src.byteWidth;
          const bytes = data.values as Uint8Array;
          for (let i = 0; i < n; i++) out[i] = valid(i) ? bytes.slice(i * w, (i + 1) * w) : null;
          return out;
        }
        // Views and anything else: let apache-arrow decode.
        const vec = arrow.makeVector(data);
        for (let i = 0; i < n; i++) {
          const v = valid(i) ? (vec.get(i) as unknown) : null;
          out[i] = v === null ? null : t === 'string' ? String(v) : (v as Uint8Array);
        }
        return out;
      }
      case t === 'boolean': {
        const bits = data.values as Uint8Array;
        for (let i = 0; i < n; i++) {
          const pos = data.offset + i;
          out[i] = valid(i) ? ((bits[pos >> 3]! >> (pos & 7)) & 1) === 1 : null;
        }
        return out;
      }
      case t === 'long' || t === 'integer' || t === 'short' || t === 'byte' || t === 'float' || t === 'double': {
        const vals = data.values as ArrayLike<number | bigint>;
        const isBig = vals instanceof BigInt64Array || vals instanceof BigUint64Array;
        const is64Int = arrow.DataType.isInt(src) && src.bitWidth === 64;
        for (let i = 0; i < n; i++) {
          if (!valid(i)) {
            out[i] = null;
            continue;
          }
          if (t === 'long') out[i] = is64Int ? int64At(vals, i) : BigInt(vals[i] as number);
          else if (is64Int || isBig) {
            const b = int64At(vals, i);
            const num = Number(b);
            if (opts.loss === 'error' && BigInt(num) !== b) {
              throw new SchemaMismatchError(
                `column '${opts.path}' value ${b} at row ${rowOf(i)} does not fit ${t}`,
                opts.path,
                rowOf(i),
              );
            }
            out[i] = num;
          } else out[i] = vals[i] as number;
        }
        return out;
      }
      case dec !== null: {
        const { scale } = dec!;
        if (arrow.DataType.isDecimal(src)) {
          const words = src.bitWidth / 32;
          const vals = data.values as Uint32Array;
          const diff = scale - src.scale;
          for (let i = 0; i < n; i++) {
            if (!valid(i)) {
              out[i] = null;
              continue;
            }
            let v = decimalWordsToBigint(vals, i * words, words);
            if (diff > 0) v *= pow10(diff);
            else if (diff < 0) {
              const q = v / pow10(-diff);
              if (opts.loss === 'error' && q * pow10(-diff) !== v) {
                throw new SchemaMismatchError(`column '${opts.path}' value at row ${rowOf(i)} loses digits in ${t}`, opts.path, rowOf(i));
              }
              v = q;
            }
            out[i] = v;
          }
          return out;
        }
        // Integers into decimal: unscaled = value * 10^scale.
        const vals = data.values as ArrayLike<number | bigint>;
        const is64 = arrow.DataType.isInt(src) && src.bitWidth === 64;
        for (let i = 0; i < n; i++) {
          out[i] = valid(i) ? (is64 ? int64At(vals, i) : BigInt(vals[i] as number)) * pow10(scale) : null;
        }
        return out;
      }
      case t === 'date': {
        const vals = data.values as ArrayLike<number | bigint>;
        const ms = arrow.DataType.isDate(src) && src.unit === arrow.DateUnit.MILLISECOND;
        for (let i = 0; i < n; i++) {
          if (!valid(i)) out[i] = null;
          else out[i] = ms ? Number(floorDiv(int64At(vals, i), 86_400_000n)) : (vals[i] as number);
        }
        return out;
      }
      case t === 'timestamp' || t === 'timestamp_ntz': {
        const vals = data.values as ArrayLike<number | bigint>;
        if (arrow.DataType.isDate(src)) {
          const ms = src.unit === arrow.DateUnit.MILLISECOND;
          for (let i = 0; i < n; i++) {
            if (!valid(i)) out[i] = null;
            else out[i] = ms ? int64At(vals, i) * 1000n : BigInt(vals[i] as number) * 86_400_000_000n;
          }
          return out;
        }
        const { mul, div } = TS_UNIT_TO_MICROS[(src as arrow.Timestamp).unit]!;
        for (let i = 0; i < n; i++) {
          if (!valid(i)) {
            out[i] = null;
            continue;
          }
          const raw = int64At(vals, i);
          if (div !== 1n) {
            if (opts.loss === 'error' && raw % div !== 0n) {
              throw new SchemaMismatchError(
                `column '${opts.path}' value at row ${rowOf(i)} has sub-microsecond precision, which Delta timestamps cannot store`,
                opts.path,
                rowOf(i),
              );
            }
            out[i] = floorDiv(raw, div);
          } else out[i] = raw * mul;
        }
        return out;
      }
      default:
        throw new SchemaMismatchError(`cannot read ${String(src)} as ${typeToString(t)} (column '${opts.path}')`, opts.path);
    }
  }

  switch (t.type) {
    case 'struct': {
      if (!arrow.DataType.isStruct(src)) break;
      const nameOf = opts.sourceName ?? ((f: { name: string }) => f.name);
      const { entryNames, ...childOpts } = opts as ReadOptions & { entryNames?: [string, string] };
      const cols = t.fields.map((f, k) => {
        const srcName = entryNames ? entryNames[k]! : nameOf(f);
        const idx = src.children.findIndex((c) => c.name === srcName);
        if (idx < 0) return null;
        const path = entryNames ? `${opts.path}.${f.name}` : `${opts.path}.${f.name}`;
        return readValues(data.children[idx]!, f.type, { ...childOpts, path, rowOf });
      });
      for (let i = 0; i < n; i++) {
        if (!valid(i)) {
          out[i] = null;
          continue;
        }
        const o: Record<string, Value> = {};
        t.fields.forEach((f, k) => {
          o[f.name] = cols[k] ? (cols[k]![i] ?? null) : null;
        });
        out[i] = o;
      }
      return out;
    }
    case 'array':
    case 'map': {
      const isList = arrow.DataType.isList(src) || arrow.DataType.isLargeList(src);
      const isFixed = arrow.DataType.isFixedSizeList(src);
      const isMap = arrow.DataType.isMap(src);
      if (t.type === 'array' && !isList && !isFixed) break;
      if (t.type === 'map' && !isMap) break;
      const child = data.children[0]!;
      let offs: ArrayLike<number | bigint>;
      if (isFixed) {
        const size = (src as arrow.FixedSizeList).listSize;
        offs = Array.from({ length: n + 1 }, (_, i) => i * size);
      } else offs = data.valueOffsets as ArrayLike<number | bigint>;
      const first = Number(offs[0]);
      const last = Number(offs[n]);
      // Element e belongs to row r with offs[r] <= e < offs[r+1].
      const childRow = new Int32Array(Math.max(0, last - first));
      for (let i = 0; i < n; i++) for (let e = Number(offs[i]); e < Number(offs[i + 1]); e++) childRow[e - first] = rowOf(i);
      const childSlice = first === 0 && last === child.length ? child : child.slice(first, last - first);
      const childOpts = { ...opts, rowOf: (e: number) => childRow[e]! };
      let elems: Value[];
      if (t.type === 'array') {
        elems = readValues(childSlice, t.elementType, { ...childOpts, path: `${opts.path}.element` });
      } else {
        const entriesT: DataType = {
          type: 'struct',
          fields: [
            { name: 'key', type: t.keyType, nullable: false, metadata: {} },
            { name: 'value', type: t.valueType, nullable: true, metadata: {} },
          ],
        };
        // Entries children are positional (key, value) whatever their names.
        const entrySrc = childSlice.type as arrow.Struct;
        const [kName, vName] = [entrySrc.children[0]!.name, entrySrc.children[1]!.name];
        const recs = readValues(childSlice, entriesT, {
          ...childOpts,
          path: opts.path,
          entryNames: [kName, vName],
        } as ReadOptions);
        elems = recs.map((r) => [(r as Record<string, Value>).key ?? null, (r as Record<string, Value>).value ?? null]);
      }
      for (let i = 0; i < n; i++) {
        out[i] = valid(i) ? elems.slice(Number(offs[i]) - first, Number(offs[i + 1]) - first) : null;
      }
      return out;
    }
  }
  throw new SchemaMismatchError(`cannot read ${String(src)} as ${typeToString(t)} (column '${opts.path}')`, opts.path);
}
