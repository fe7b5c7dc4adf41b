// Checkpoint Parquet files with no rows (Spark 4.0 writes empty V2 sidecars when it splits a checkpoint into parts).
import { describe, expect, it } from 'vitest';
import * as arrow from 'apache-arrow';
import { checkpointTableToActions } from '../../src/log/checkpoint_read.js';
import { readParquet, writeParquet } from '../../src/storage/parquet.js';

describe('checkpointTableToActions on an empty checkpoint file', () => {
  it('returns no actions (found by npm run interop on a Spark V2 checkpoint with sidecars)', () => {
    const addType = new arrow.Struct([
      new arrow.Field('path', new arrow.Utf8(), true),
      new arrow.Field('size', new arrow.Int64(), true),
      new arrow.Field('deletionVector', new arrow.Struct([new arrow.Field('storageType', new arrow.Utf8(), true)]), true),
    ]);
    const schema = new arrow.Schema([new arrow.Field('add', addType, true)]);
    const empty = new arrow.Table(schema, arrow.makeData({
      type: new arrow.Struct(schema.fields),
      length: 0,
      children: [arrow.makeData({
        type: addType,
        length: 0,
        children: [
          arrow.makeData({ type: new arrow.Utf8(), length: 0 }),
          arrow.makeData({ type: new arrow.Int64(), length: 0 }),
          arrow.makeData({
            type: addType.children[2]!.type as arrow.Struct,
            length: 0,
            children: [arrow.makeData({ type: new arrow.Utf8(), length: 0 })],
          }),
        ],
      })],
    }));
    const decoded = readParquet(writeParquet(empty), {});
    expect(decoded.numRows).toBe(0);
    expect(checkpointTableToActions(decoded, 'empty.parquet')).toEqual([]);
  });
});
