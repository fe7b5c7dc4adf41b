// Arrow table -> plain JS row objects, by Delta type: long bigint, decimal string, date and timestamps Date,
// binary Uint8Array, struct object, array array, map Map. The inverse of schema/objects.ts for users' code.
import type { Table } from 'apache-arrow';
import type { DataType, StructType } from '../schema/types.js';
import { readValues, type Value } from '../schema/access/get.js';
import { decimalParams } from '../schema/json.js';
import { formatDecimal } from '../schema/values.js';

export function tableToObjects(table: Table, schema: StructType): Record<string, unknown>[] {
  const rows: Record<string, unknown>[] = Array.from({ length: table.numRows }, () => ({}));
  if (rows.length === 0) return rows; // an empty Table may hold childless placeholder Data
  for (const field of schema.fields) {
    const vec = table.getChild(field.name);
    if (!vec) continue;
    let row = 0;
    for (const data of vec.data) {
      if (data.length === 0) continue;
      const values = readValues(data, field.type, { loss: 'truncate', path: field.name });
      for (const v of values) rows[row++][field.name] = toJs(v, field.type);
    }
  }
  return rows;
}

function toJs(v: Value, t: DataType): unknown {
  if (v === null || v === undefined) return null;
  if (typeof t === 'string') {
    if (t === 'timestamp' || t === 'timestamp_ntz') return new Date(Number((v as bigint) / 1000n) - ((v as bigint) % 1000n < 0n ? 1 : 0));
    if (t === 'date') return new Date((v as number) * 86_400_000);
    const dec = decimalParams(t);
    if (dec) return formatDecimal(v as bigint, dec.scale);
    return v;
  }
  if (t.type === 'struct') {
    const o: Record<string, unknown> = {};
    const src = v as Record<string, Value>;
    for (const f of t.fields) o[f.name] = toJs(src[f.name] ?? null, f.type);
    return o;
  }
  if (t.type === 'array') return (v as Value[]).map((e) => toJs(e, t.elementType));
  const m = new Map<unknown, unknown>();
  for (const pair of v as Value[]) {
    const [k, val] = pair as Value[];
    m.set(toJs(k, t.keyType), toJs(val, t.valueType));
  }
  return m;
}
