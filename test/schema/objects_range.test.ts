// Plain objects -> Arrow refuses dates and timestamps outside Spark's range 0001..9999 naming column and row
// (issue 11 item 8: numbers used to wrap silently into Invalid Date and nonsense stats).
import { afterAll, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { DeltaTable } from '../../src/delta_table.js';
import { SchemaMismatchError } from '../../src/errors.js';
import type { StructType } from '../../src/schema/types.js';
import { cleanupTempDirs, tempDir } from '../helpers/tmp.js';

afterAll(cleanupTempDirs);

const schema: StructType = {
  type: 'struct',
  fields: [
    { name: 'd', type: 'date', nullable: true, metadata: {} },
    { name: 'ts', type: 'timestamp', nullable: true, metadata: {} },
  ],
};

describe('date and timestamp range on write', () => {
  it('refuses out-of-range dates and timestamps naming column and row; nothing is written', async () => {
    const t = await DeltaTable.create(join(tempDir('deltats-range-'), 't'), { schema });
    const cases: Array<[Record<string, unknown>, RegExp]> = [
      [{ d: 1e12 }, /column 'd' row 1: 1000000000000 is not a valid date \(outside 0001-01-01\.\.9999-12-31\)/],
      [{ d: 2 ** 31 }, /column 'd' row 1: 2147483648/],
      [{ d: '10000-01-01' }, /column 'd' row 1/],
      [{ d: '0000-12-31' }, /column 'd' row 1/],
      [{ d: new Date(Date.UTC(-1, 0, 1)) }, /column 'd' row 1/],
      [{ ts: 1e17 }, /column 'ts' row 1: .* \(outside 0001-01-01T00:00:00\.\.9999-12-31T23:59:59\.999999\)/],
      [{ ts: 10n ** 18n }, /column 'ts' row 1/],
      [{ ts: '10000-01-01T00:00:00Z' }, /column 'ts' row 1/],
    ];
    for (const [row, msg] of cases) {
      const err = await t.append([{ d: '2024-01-01' }, row]).catch((e: unknown) => e);
      expect(err, JSON.stringify(row, (_k, v) => (typeof v === 'bigint' ? String(v) : v))).toBeInstanceOf(SchemaMismatchError);
      expect(String(err)).toMatch(msg);
      expect((err as SchemaMismatchError).row).toBe(1);
    }
    expect(t.version).toBe(0);
  });

  it('accepts the range ends and reads them back with matching stats', async () => {
    const t = await DeltaTable.create(join(tempDir('deltats-range-'), 't'), { schema });
    await t.append([
      { d: '0001-01-01', ts: '0001-01-01T00:00:00Z' },
      { d: '9999-12-31', ts: '9999-12-31T23:59:59.999999Z' },
    ]);
    const rows = await t.scan().toArray();
    expect(rows.map((r) => (r.d as Date).toISOString().slice(0, 10))).toEqual(['0001-01-01', '9999-12-31']);
    const stats = JSON.parse(t.files()[0]!.stats!) as { minValues: { d: string }; maxValues: { d: string } };
    expect(stats.minValues.d).toBe('0001-01-01');
    expect(stats.maxValues.d).toBe('9999-12-31');
  });
});
