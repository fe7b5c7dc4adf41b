// takeRows / filterRows: gather rows of Arrow data by index, for every Arrow type deltats produces (apache-arrow JS
// has no compute kernels). Used to split writes by partition and to apply filters and deletion vectors on read.
import { Data, makeData, RecordBatch, Struct, Table, Type, type DataType } from 'apache-arrow';
import { InvalidArgumentError } from '../../errors.js';
import { validityOf } from './validity.js';
import { bitAt, fixedValues } from './view.js';

type Indices = Int32Array | Uint32Array | number[];

function takeBitmap(data: Data, idx: Indices): { bitmap: Uint8Array | undefined; nullCount: number } {
  if (!data.nullBitmap || data.nullBitmap.length === 0 || data.nullCount === 0) return { bitmap: undefined, nullCount: 0 };
  const n = idx.length;
  const bitmap = new Uint8Array(((n + 63) & ~63) >> 3);
  const valid = validityOf(data);
  let nulls = 0;
  for (let j = 0; j < n; j++) {
    if (valid(idx[j])) bitmap[j >> 3] |= 1 << (j & 7);
    else nulls++;
  }
  return { bitmap: nulls ? bitmap : undefined, nullCount: nulls };
}

/** Gather elements `idx` of `data` into new, compact Data of the same type. */
export function takeData<T extends DataType>(data: Data<T>, idx: Indices): Data<T> {
  const type = data.type as DataType;
  const n = idx.length;
  const { bitmap, nullCount } = takeBitmap(data, idx);
  const base = { type, length: n, nullCount, nullBitmap: bitmap } as const;
  switch (type.typeId) {
    case Type.Null:
      return makeData({ type, length: n } as never) as Data<T>;
    case Type.Bool: {
      const out = new Uint8Array(((n + 63) & ~63) >> 3);
      for (let j = 0; j < n; j++) if (bitAt(data, idx[j])) out[j >> 3] |= 1 << (j & 7);
      return makeData({ ...base, data: out } as never) as Data<T>;
    }
    case Type.Int:
    case Type.Float:
    case Type.Date:
    case Type.Time:
    case Type.Timestamp:
    case Type.Decimal:
    case Type.Interval:
    case Type.Duration:
    case Type.FixedSizeBinary: {
      const src = fixedValues(data) as unknown as { length: number; [i: number]: number | bigint; constructor: new (n: number) => never };
      const stride = data.stride;
      const Ctor = src.constructor as unknown as new (n: number) => { [i: number]: number | bigint };
      const out = new Ctor(n * stride);
      if (stride === 1) {
        for (let j = 0; j < n; j++) out[j] = src[idx[j]];
      } else {
        for (let j = 0; j < n; j++) {
          const s = idx[j] * stride;
          const d = j * stride;
          for (let k = 0; k < stride; k++) out[d + k] = src[s + k];
        }
      }
      return makeData({ ...base, data: out } as never) as Data<T>;
    }
    case Type.Utf8:
    case Type.Binary:
    case Type.LargeUtf8:
    case Type.LargeBinary: {
      const offs = data.valueOffsets as Int32Array | BigInt64Array;
      const big = offs instanceof BigInt64Array;
      const src = data.values as Uint8Array;
      let total = 0;
      for (let j = 0; j < n; j++) total += Number(offs[idx[j] + 1]) - Number(offs[idx[j]]);
      const bytes = new Uint8Array(total);
      const outOffs = big ? new BigInt64Array(n + 1) : new Int32Array(n + 1);
      let pos = 0;
      for (let j = 0; j < n; j++) {
        const s = Number(offs[idx[j]]);
        const e = Number(offs[idx[j] + 1]);
        bytes.set(src.subarray(s, e), pos);
        pos += e - s;
        if (big) (outOffs as BigInt64Array)[j + 1] = BigInt(pos);
        else (outOffs as Int32Array)[j + 1] = pos;
      }
      return makeData({ ...base, data: bytes, valueOffsets: outOffs } as never) as Data<T>;
    }
    case Type.List:
    case Type.Map: {
      const offs = data.valueOffsets as Int32Array;
      const childIdx: number[] = [];
      const outOffs = new Int32Array(n + 1);
      for (let j = 0; j < n; j++) {
        const s = offs[idx[j]];
        const e = offs[idx[j] + 1];
        for (let k = s; k < e; k++) childIdx.push(k);
        outOffs[j + 1] = childIdx.length;
      }
      const child = takeData(data.children[0], childIdx);
      return makeData({ ...base, valueOffsets: outOffs, child } as never) as Data<T>;
    }
    case Type.FixedSizeList: {
      const size = (type as unknown as { listSize: number }).listSize;
      const childIdx: number[] = [];
      for (let j = 0; j < n; j++) for (let k = 0; k < size; k++) childIdx.push(idx[j] * size + k);
      return makeData({ ...base, child: takeData(data.children[0], childIdx) } as never) as Data<T>;
    }
    case Type.Struct: {
      const children = data.children.map((c) => takeData(c, idx));
      return makeData({ ...base, children } as never) as Data<T>;
    }
    case Type.Dictionary: {
      const src = data.values as unknown as ArrayLike<number>;
      const Ctor = (data.values as unknown as { constructor: new (n: number) => Int32Array }).constructor;
      const out = new Ctor(n);
      for (let j = 0; j < n; j++) out[j] = src[idx[j]];
      return makeData({ ...base, data: out, dictionary: data.dictionary } as never) as Data<T>;
    }
    default:
      throw new InvalidArgumentError(`cannot gather rows of Arrow type ${String(type)}`);
  }
}

/** Rows `idx` of a table (in that order) as a single-batch table with the same schema. */
export function takeRows(table: Table | RecordBatch, idx: Indices): Table {
  const batches = table instanceof Table ? table.batches : [table];
  const schema = table.schema;
  if (batches.length === 1) {
    const d = batches[0].data;
    return new Table([new RecordBatch(schema, takeData(d, idx) as Data<Struct>)]);
  }
  // Map global indices to (batch, local) and gather per run of the same batch.
  const starts: number[] = [];
  let acc = 0;
  for (const b of batches) {
    starts.push(acc);
    acc += b.numRows;
  }
  const out: RecordBatch[] = [];
  let j = 0;
  while (j < idx.length) {
    const g = idx[j];
    let b = upperBound(starts, g) - 1;
    const local: number[] = [];
    const end = starts[b] + batches[b].numRows;
    while (j < idx.length && idx[j] >= starts[b] && idx[j] < end) local.push(idx[j++] - starts[b]);
    out.push(new RecordBatch(schema, takeData(batches[b].data, local) as Data<Struct>));
    b++;
  }
  return out.length ? new Table(out) : new Table(schema);
}

/** Rows where mask[i] is 1. */
export function filterRows(table: Table | RecordBatch, mask: Uint8Array): Table {
  const idx: number[] = [];
  for (let i = 0; i < mask.length; i++) if (mask[i]) idx.push(i);
  if (idx.length === table.numRows) return table instanceof Table ? table : new Table([table]);
  return takeRows(table, idx);
}

function upperBound(arr: number[], x: number): number {
  let lo = 0;
  let hi = arr.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (arr[mid] <= x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
