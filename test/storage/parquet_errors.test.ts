// Data parquet-wasm refuses to encode comes out as a DeltaError naming the problem, not a plain Error (issue 11 item 11).
import { afterAll, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { Field, Int64, Struct, Table, Utf8, makeData, makeVector, type Data, type DataType } from 'apache-arrow';
import { DeltaTable } from '../../src/delta_table.js';
import { SchemaMismatchError } from '../../src/errors.js';
import { cleanupTempDirs, tempDir } from '../helpers/tmp.js';

afterAll(cleanupTempDirs);

describe('parquet-wasm errors on write', () => {
  it('invalid UTF-8 in a string column is a SchemaMismatchError; nothing is committed', async () => {
    const bad = makeData({ type: new Utf8(), length: 1, nullCount: 0, valueOffsets: new Int32Array([0, 2]), data: new Uint8Array([0xff, 0xfe]) });
    const data = new Table({ s: makeVector(bad) });
    const t = await DeltaTable.create(join(tempDir('deltats-pqerr-'), 't'), { schema: data.schema });
    const err = await t.append(data).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SchemaMismatchError);
    expect(String(err)).toMatch(/cannot be encoded as Parquet \(.*Invalid UTF8.*\); nothing was written/);
    expect(t.version).toBe(0);
  });

  it('nesting deeper than parquet-wasm accepts is a SchemaMismatchError', async () => {
    let type: DataType = new Int64();
    let data: Data = makeData({ type: new Int64(), length: 1, nullCount: 0, data: new BigInt64Array([1n]) });
    for (let i = 0; i < 120; i++) {
      const st = new Struct([new Field('x', type, true)]);
      data = makeData({ type: st, length: 1, nullCount: 0, children: [data] });
      type = st;
    }
    const table = new Table({ deep: makeVector(data) });
    const t = await DeltaTable.create(join(tempDir('deltats-pqerr-'), 't'), { schema: table.schema });
    const err = await t.append(table).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SchemaMismatchError);
    expect(String(err)).toMatch(/cannot be encoded as Parquet \(.*DepthLimitReached/);
  });
});
