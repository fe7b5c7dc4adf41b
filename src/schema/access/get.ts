// Reading values of a Delta type out of Arrow Data: the one Arrow -> JS value reader (apache-arrow's "get"
// visitor, by Delta type). Any readable Arrow shape (other int widths, units, dictionaries, views), sliced or
// not; casts that lose information error or truncate per LossMode. No I/O, no schema-evolution rules.
import * as arrow from 'apache-arrow';
import { SchemaMismatchError } from '../../errors.js';
import { decimalParams, typeToString } from '../json.js';
import type { DataType, StructField } from '../types.js';
import { floorDiv, pow10 } from '../values.js';
import { validityOf } from './validity.js';
import { TS_UNIT_TO_MICROS, bitAt, bytesAt, dateDaysAt, decimalAt, int64At, rangeAt } from './view.js';

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

const utf8Decoder = new TextDecoder();

function cannotRead(src: arrow.DataType, t: DataType, path: string): never {
  throw new SchemaMismatchError(`cannot read ${String(src)} as ${typeToString(t)} (column '${path}')`, path);
}

/**
 * Values of `data` (any readable Arrow shape, sliced or not) converted to Delta type `t`, row for row. The
 * caller has checked that the conversion is allowed (enforce.ts `checkCast`); this performs it value by value.
 */
export function readValues(data: arrow.Data, t: DataType, opts: ReadOptions): Value[] {
  const n = data.length;
  const out: Value[] = new Array<Value>(n);
  if (n === 0) return out;
  const src = data.type as arrow.DataType;
  const valid = validityOf(data);
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
        if (
          arrow.DataType.isUtf8(src) || arrow.DataType.isBinary(src) || arrow.DataType.isLargeUtf8(src) ||
          arrow.DataType.isLargeBinary(src) || arrow.DataType.isFixedSizeBinary(src)
        ) {
          for (let i = 0; i < n; i++) {
            if (!valid(i)) out[i] = null;
            else out[i] = t === 'string' ? utf8Decoder.decode(bytesAt(data, i)) : bytesAt(data, i).slice();
          }
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
      case t === 'boolean':
        if (!arrow.DataType.isBool(src)) return cannotRead(src, t, opts.path);
        for (let i = 0; i < n; i++) out[i] = valid(i) ? bitAt(data, i) : null;
        return out;
      case t === 'long' || t === 'integer' || t === 'short' || t === 'byte' || t === 'float' || t === 'double': {
        const vals = data.values as ArrayLike<number | bigint>;
        const isBig = vals instanceof BigInt64Array || vals instanceof BigUint64Array;
        const is64Int = arrow.DataType.isInt(src) && src.bitWidth === 64;
        if (arrow.DataType.isDecimal(src)) {
          const div = pow10(src.scale);
          for (let i = 0; i < n; i++) {
            if (!valid(i)) out[i] = null;
            else {
              const q = decimalAt(data, i) / div;
              out[i] = t === 'long' ? q : t === 'float' || t === 'double' ? Number(decimalAt(data, i)) / 10 ** src.scale : Number(q);
            }
          }
          return out;
        }
        for (let i = 0; i < n; i++) {
          if (!valid(i)) {
            out[i] = null;
            continue;
          }
          if (t === 'long') out[i] = is64Int || isBig ? int64At(vals, i) : BigInt(vals[i] as number);
          else if (is64Int || isBig) {
            const b = int64At(vals, i);
            const num = Number(b);
            if (opts.loss === 'error' && BigInt(num) !== b) {
              throw new SchemaMismatchError(`column '${opts.path}' value ${b} at row ${rowOf(i)} does not fit ${t}`, opts.path, rowOf(i));
            }
            out[i] = num;
          } else out[i] = vals[i] as number;
        }
        return out;
      }
      case dec !== null: {
        const { scale } = dec!;
        if (arrow.DataType.isDecimal(src)) {
          const diff = scale - src.scale;
          for (let i = 0; i < n; i++) {
            if (!valid(i)) {
              out[i] = null;
              continue;
            }
            let v = decimalAt(data, i);
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
        if (arrow.DataType.isTimestamp(src)) {
          const { mul, div } = TS_UNIT_TO_MICROS[src.unit]!;
          const vals = data.values as ArrayLike<number | bigint>;
          for (let i = 0; i < n; i++) {
            out[i] = valid(i) ? Number(floorDiv(floorDiv(int64At(vals, i) * mul, div), 86_400_000_000n)) : null;
          }
          return out;
        }
        for (let i = 0; i < n; i++) out[i] = valid(i) ? dateDaysAt(data, i) : null;
        return out;
      }
      case t === 'timestamp' || t === 'timestamp_ntz': {
        const vals = data.values as ArrayLike<number | bigint>;
        if (arrow.DataType.isDate(src)) {
          for (let i = 0; i < n; i++) out[i] = valid(i) ? BigInt(dateDaysAt(data, i)) * 86_400_000_000n : null;
          return out;
        }
        if (!arrow.DataType.isTimestamp(src)) return cannotRead(src, t, opts.path);
        const { mul, div } = TS_UNIT_TO_MICROS[src.unit]!;
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
        return cannotRead(src, t, opts.path);
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
        return readValues(data.children[idx]!, f.type, { ...childOpts, path: `${opts.path}.${f.name}`, rowOf });
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
      // Fixed-size lists slice their child with them; list / map offsets index the unsliced child.
      const size = isFixed ? (src as arrow.FixedSizeList).listSize : 0;
      const range = (i: number): [number, number] => (isFixed ? [i * size, (i + 1) * size] : rangeAt(data, i));
      const first = range(0)[0];
      const last = range(n - 1)[1];
      // Element e belongs to row r with range(r)[0] <= e < range(r)[1].
      const childRow = new Int32Array(Math.max(0, last - first));
      for (let i = 0; i < n; i++) {
        const [s, e] = range(i);
        for (let k = s; k < e; k++) childRow[k - first] = rowOf(i);
      }
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
        const recs = readValues(childSlice, entriesT, { ...childOpts, path: opts.path, entryNames: [kName, vName] } as ReadOptions);
        elems = recs.map((r) => [(r as Record<string, Value>).key ?? null, (r as Record<string, Value>).value ?? null]);
      }
      for (let i = 0; i < n; i++) {
        const [s, e] = range(i);
        out[i] = valid(i) ? elems.slice(s - first, e - first) : null;
      }
      return out;
    }
  }
  return cannotRead(src, t, opts.path);
}
