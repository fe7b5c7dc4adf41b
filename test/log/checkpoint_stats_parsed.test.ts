// stats_parsed of a checkpoint (PROTOCOL.md "Checkpoint Schema": stats may be written only as a struct) rebuilt as
// the add.stats JSON: NaN and infinite float bounds become Spark's strings ("NaN", "Infinity", "-Infinity"), which
// JSON.stringify would turn into null, and skipping reads them as bounds.
import { describe, expect, it } from 'vitest';
import { checkpointTableToActions } from '../../src/log/checkpoint_read.js';
import { parseSchema } from '../../src/schema/json.js';
import { objectsToArrow } from '../../src/schema/objects.js';
import { readParquet, writeParquet } from '../../src/storage/parquet.js';
import { fileMayMatch } from '../../src/table/pruning.js';
import { parsePredicate } from '../../src/expr/index.js';
import type { Add } from '../../src/log/actions.js';

const F = (name: string, type: unknown) => ({ name, type, nullable: true, metadata: {} });
const bounds = { type: 'struct', fields: [F('d', 'double')] };
const CHECKPOINT = parseSchema(
  JSON.stringify({
    type: 'struct',
    fields: [
      F('add', {
        type: 'struct',
        fields: [
          F('path', 'string'),
          F('partitionValues', { type: 'map', keyType: 'string', valueType: 'string', valueContainsNull: true }),
          F('size', 'long'),
          F('modificationTime', 'long'),
          F('dataChange', 'boolean'),
          F('stats_parsed', {
            type: 'struct',
            fields: [F('numRecords', 'long'), F('minValues', bounds), F('maxValues', bounds), F('nullCount', { type: 'struct', fields: [F('d', 'long')] })],
          }),
        ],
      }),
    ],
  }),
);

const file = (path: string, min: number | null, max: number | null) => ({
  add: { path, partitionValues: {}, size: 1n, modificationTime: 0n, dataChange: true, stats_parsed: { numRecords: 3n, minValues: { d: min }, maxValues: { d: max }, nullCount: { d: 0n } } },
});

describe('checkpoint stats_parsed with NaN and infinite float bounds', () => {
  it('rebuilds them as Spark writes them in add.stats, and skipping uses them', () => {
    const rows = [file('nan-max', 1, NaN), file('all-nan', NaN, NaN), file('inf', -Infinity, Infinity), file('plain', 1, 5), file('no-max', 2, null)];
    const table = readParquet(writeParquet(objectsToArrow(rows, CHECKPOINT)));
    const adds = checkpointTableToActions(table, 'cp.parquet').map((a) => (a as { add: Add }).add);
    const stats = Object.fromEntries(adds.map((a) => [a.path, JSON.parse(a.stats!)]));
    expect(stats['nan-max']).toEqual({ numRecords: 3, minValues: { d: 1 }, maxValues: { d: 'NaN' }, nullCount: { d: 0 } });
    expect(stats['all-nan']).toMatchObject({ minValues: { d: 'NaN' }, maxValues: { d: 'NaN' } });
    expect(stats['inf']).toMatchObject({ minValues: { d: '-Infinity' }, maxValues: { d: 'Infinity' } });
    expect(stats['plain']).toMatchObject({ minValues: { d: 1 }, maxValues: { d: 5 } });
    expect(stats['no-max']).toMatchObject({ minValues: { d: 2 }, maxValues: {} });
    const ctx = { schema: parseSchema(JSON.stringify({ type: 'struct', fields: [F('d', 'double')] })), partitionColumns: [] };
    const kept = (where: string) => adds.filter((a) => fileMayMatch(a, parsePredicate(where), ctx)).map((a) => a.path);
    expect(kept('d > 10')).toEqual(['nan-max', 'all-nan', 'inf', 'plain', 'no-max']); // a NaN may hide above a number
    expect(kept('d < 0.5')).toEqual(['inf']); // all-NaN: min "NaN" is a bound
    expect(kept("d = 'NaN'")).toEqual(['nan-max', 'all-nan', 'inf', 'plain', 'no-max']);
    expect(kept('d = 7')).toEqual(['nan-max', 'inf', 'no-max']);
  });
});
