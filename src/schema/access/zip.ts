// zipColumns: one Arrow table of named columns taken from several tables of the same rows whose batches end at
// different rows, without copying values (batches are cut where any input's batch ends).
import { makeData, RecordBatch, Schema, Struct, Table, type Data } from 'apache-arrow';

/**
 * A table of the named columns taken from `tables` (same row count, any batch boundaries), in that order: batches
 * are cut where any input's batch ends, so every output batch references slices of the inputs (no copies).
 */
export function zipColumns(tables: Table[], names: string[]): Table {
  const where = names.map((n) => {
    const t = tables.find((x) => x.schema.fields.some((f) => f.name === n))!;
    return { t, i: t.schema.fields.findIndex((f) => f.name === n) };
  });
  const schema = new Schema(where.map(({ t, i }) => t.schema.fields[i]!));
  const n = tables[0]!.numRows;
  const cuts = new Set<number>([n]);
  for (const t of tables) {
    let at = 0;
    for (const b of t.batches) cuts.add((at += b.numRows));
  }
  const ends = [...cuts].sort((a, b) => a - b);
  const sliceAt = (t: Table, i: number, start: number, end: number): Data => {
    let at = 0;
    for (const b of t.batches) {
      if (start < at + b.numRows) return b.data.children[i]!.slice(start - at, end - start);
      at += b.numRows;
    }
    throw new Error('zipColumns: row out of range');
  };
  const batches: RecordBatch[] = [];
  let start = 0;
  for (const end of ends) {
    if (end <= start) continue;
    const children = where.map(({ t, i }) => sliceAt(t, i, start, end));
    batches.push(new RecordBatch(schema, makeData({ type: new Struct(schema.fields), length: end - start, nullCount: 0, children })));
    start = end;
  }
  return batches.length ? new Table(schema, batches) : new Table(schema);
}
