// Regression tests for issue 9's correctness bugs: sliced Arrow input in replaceWhere / filters, filter column
// resolution differing from projection (case, nested), and toArray() on an empty result with nested columns.
import { afterAll, describe, expect, it } from 'vitest';
import { tableFromArrays } from 'apache-arrow';
import { DeltaTable, type StructType } from '../../src/index.js';
import { cleanupTempDirs, tempDir } from '../helpers/tmp.js';

afterAll(cleanupTempDirs);

const f = (name: string, type: StructType['fields'][number]['type']) => ({ name, type, nullable: true, metadata: {} });

describe('issue 9 regressions', () => {
  it('overwrite(data.slice(5), {replaceWhere}) reads the sliced values (not values[offset + i])', async () => {
    const t = await DeltaTable.create(tempDir(), { schema: { type: 'struct', fields: [f('id', 'long'), f('v', 'decimal(10,2)')] } });
    const ids = BigInt64Array.from({ length: 10 }, (_, i) => BigInt(i + 1));
    await t.append(ids.map((id) => id).reduce((rows, id) => [...rows, { id, v: `${id}.50` }], [] as Record<string, unknown>[]));
    const data = tableFromArrays({ id: BigInt64Array.from({ length: 10 }, (_, i) => BigInt(i + 101)) });
    // the sliced rows are 106..110: all match `id >= 6`, and the table's rows 6..10 are replaced
    await t.overwrite(data.slice(5), { replaceWhere: 'id >= 6', schemaMode: 'merge' });
    const rows = await t.scan().toArray();
    expect(rows.map((r) => r.id).sort((a, b) => Number(a) - Number(b))).toEqual([1n, 2n, 3n, 4n, 5n, 106n, 107n, 108n, 109n, 110n]);
    // a slice whose rows do not all match is refused, naming the first offending row of the slice
    await expect(t.overwrite(data.slice(0, 3).slice(1), { replaceWhere: 'id >= 103' })).rejects.toThrow(/row 0 of the data/);
  });

  it('replaceWhere over sliced decimal / date / timestamp / boolean / string columns', async () => {
    const t = await DeltaTable.create(tempDir(), {
      schema: { type: 'struct', fields: [f('id', 'integer'), f('d', 'decimal(10,2)'), f('dt', 'date'), f('ts', 'timestamp'), f('b', 'boolean'), f('s', 'string')] },
    });
    const rows = Array.from({ length: 8 }, (_, i) => ({
      id: i,
      d: `${i}.25`,
      dt: new Date(Date.UTC(2024, 0, 1 + i)),
      ts: new Date(Date.UTC(2024, 0, 1, i)),
      b: i >= 3,
      s: `s${i}`,
    }));
    await t.append(rows);
    const sliced = (await t.scan().toArrow()).slice(3);
    // every row of the slice (ids 3..7) matches each predicate; the unsliced rows 0..2 match none
    for (const filter of ['d >= 3.25', "dt >= DATE '2024-01-04'", "ts >= TIMESTAMP '2024-01-01 03:00:00'", 'b = true', "s >= 's3'"]) {
      const res = await t.overwrite(sliced, { replaceWhere: filter });
      expect(res.removedFiles.length).toBeGreaterThan(0);
      const got = await t.scan().toArray();
      expect(got.map((r) => r.id).sort()).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
    }
  });

  it('filter columns resolve like projection: case-insensitive and nested, with columns: [...]', async () => {
    const t = await DeltaTable.create(tempDir(), {
      schema: { type: 'struct', fields: [f('id', 'long'), f('name', 'string'), f('s', { type: 'struct', fields: [f('x', 'integer')] })] },
    });
    await t.append([
      { id: 1n, name: 'a', s: { x: 10 } },
      { id: 2n, name: 'b', s: { x: 20 } },
    ]);
    expect(await t.scan({ filter: 'ID = 1', columns: ['name'] }).toArray()).toEqual([{ name: 'a' }]);
    expect(await t.scan({ filter: 'S.X = 20', columns: ['name'] }).toArray()).toEqual([{ name: 'b' }]);
    expect(await t.scan({ filter: 's.x = 20', columns: ['NAME'] }).toArray()).toEqual([{ name: 'b' }]);
  });

  it('toArray() on an empty result with struct, array and map columns returns []', async () => {
    const t = await DeltaTable.create(tempDir(), {
      schema: {
        type: 'struct',
        fields: [
          f('id', 'long'),
          f('s', { type: 'struct', fields: [f('x', 'integer')] }),
          f('a', { type: 'array', elementType: 'string', containsNull: true }),
          f('m', { type: 'map', keyType: 'string', valueType: 'long', valueContainsNull: true }),
        ],
      },
    });
    await t.append([{ id: 5n, s: { x: 1 }, a: ['p'], m: new Map([['k', 1n]]) }]);
    expect(await t.scan({ filter: 'id <= 3' }).toArray()).toEqual([]);
    expect((await t.scan({ filter: 'id <= 3' }).toArrow()).numRows).toBe(0);
    expect(await t.scan({ filter: 'id <= 3', columns: ['s', 'm'] }).toArray()).toEqual([]);
  });
});
