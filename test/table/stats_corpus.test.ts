// collectStats over real data files reproduces the add.stats Spark/delta-rs wrote for them.
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { castToSchema } from '../../src/schema/enforce.js';
import { parseSchema } from '../../src/schema/json.js';
import { decodeAddPath } from '../../src/log/paths.js';
import { readParquet } from '../../src/storage/parquet.js';
import { collectStats, parseStats } from '../../src/table/stats.js';
import { CONFORMANCE_DIR, HAVE_CONFORMANCE, loadCases, readLogActions } from '../schema/helpers.js';

const NAMES = [
  'spark-parquet-all-types',
  'spark-decimal-various-scale-precision',
  'spark-data-reader-timestamp_ntz',
  'spark-kernel-timestamp-TIMESTAMP_MILLIS',
  'spark-basic-decimal-table',
  'spark-kernel-timestamp-INT96',
  'spark-kernel-timestamp-partition-col-ISO8601',
  'spark-basic-with-inserts-merge',
  'spark-basic-with-inserts-updates',
  'rs-cdf-table',
  'rs-delta-1.2.1-only-struct-stats',
  'rs-simple_table_with_cdc',
  'rs-table_with_liquid_clustering',
  'rs-partition-type-primitives',
  'rs-delta-2.2.0-partitioned-types',
];

describe.skipIf(!HAVE_CONFORMANCE)('collectStats matches the stats in real logs', () => {
  const cases = loadCases().filter((c) => NAMES.includes(c.name));
  it('finds the tables', () => expect(cases.length).toBe(NAMES.length));
  for (const c of cases) {
    it(`${c.name}`, () => {
      let compared = 0;
      let schemaString = c.schemaString;
      for (const a of readLogActions(c.name)) {
        // Stats describe the schema at the time the file was added (schema evolution).
        const md = a.metaData as { schemaString?: string } | undefined;
        if (md?.schemaString) schemaString = md.schemaString;
        const schema = parseSchema(schemaString);
        const dataSchema = { type: 'struct' as const, fields: schema.fields.filter((f) => !c.partitionColumns.includes(f.name)) };
        const add = a.add as { path: string; stats?: string } | undefined;
        if (!add?.stats) continue;
        const file = resolve(CONFORMANCE_DIR, 'tables', c.name, decodeAddPath(add.path));
        let bytes: Buffer;
        try {
          bytes = readFileSync(file);
        } catch {
          continue; // removed files may be gone
        }
        const raw = readParquet(bytes);
        // Writers differ on columns a file lacks (schema evolution): Spark counts them all-null, this delta-rs
        // table omits them. Compare only files that hold every column.
        if (dataSchema.fields.some((f) => !raw.schema.fields.some((x) => x.name === f.name))) continue;
        const table = castToSchema(raw, dataSchema);
        const ours = collectStats(table, schema, { partitionColumns: c.partitionColumns });
        const theirs = JSON.parse(add.stats) as Record<string, unknown>;
        delete theirs.tightBounds;
        expect(JSON.parse(ours), `${c.name} ${add.path}`).toEqual(theirs);
        expect(parseStats(ours)?.numRecords).toBe(table.numRows);
        compared++;
      }
      expect(compared).toBeGreaterThan(0);
    });
  }
});
