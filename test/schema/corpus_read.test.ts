// Real Spark/delta-rs data files -> readParquet -> castToSchema -> rows equal the corpus' expected rows.
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import * as arrow from 'apache-arrow';
import { describe, expect, it } from 'vitest';
import { castToSchema } from '../../src/schema/enforce.js';
import { parseSchema } from '../../src/schema/json.js';
import { decodeAddPath } from '../../src/log/paths.js';
import { parseNormalizedPartitionValue } from '../../src/schema/partition_values.js';
import { readValues, type Value } from '../../src/schema/access/get.js';
import { readParquet } from '../../src/storage/parquet.js';
import { canonical, CONFORMANCE_DIR, HAVE_CONFORMANCE, loadCases, readLogActions } from './helpers.js';

interface Expected {
  rows?: Record<string, unknown>[];
}

const cases = loadCases().filter(
  (c) =>
    (c.columnMappingMode ?? 'none') === 'none' &&
    !(c.features as string[]).includes('deletion-vectors') &&
    !c.rowsUnverified &&
    (c.expected as Expected).rows !== undefined &&
    !c.checkpointUsedForLatest &&
    !(c.features as string[]).includes('log-cleanup-commits-missing'),
);

describe.skipIf(!HAVE_CONFORMANCE)('castToSchema over the conformance corpus', () => {
  it('has cases to check', () => {
    expect(cases.length).toBeGreaterThan(15);
  });
  // Known gap in the Parquet seam (src/storage/parquet.ts, parquet-wasm): INT96 timestamps are decoded to
  // Timestamp(NANOSECOND), which overflows int64 for years after 2262 (this table has 9999-12-31), so the
  // values are wrong before castToSchema sees them. `it.fails` flags the day this gets fixed.
  // Cases the Parquet seam cannot read exactly yet (none since INT96 is decoded exactly).
  const KNOWN_SEAM_GAPS = new Set<string>();
  for (const c of cases) {
    (KNOWN_SEAM_GAPS.has(c.name) ? it.fails : it)(`reads ${c.name} exactly`, () => {
      const schema = parseSchema(c.schemaString);
      const active = new Map<string, Record<string, string | null>>();
      for (const a of readLogActions(c.name)) {
        const add = a.add as { path: string; partitionValues: Record<string, string | null> } | undefined;
        const rm = a.remove as { path: string } | undefined;
        if (add) active.set(add.path, add.partitionValues ?? {});
        if (rm) active.delete(rm.path);
      }
      const dataSchema = { type: 'struct' as const, fields: schema.fields.filter((f) => !c.partitionColumns.includes(f.name)) };
      const lines: string[] = [];
      for (const [path, pv] of active) {
        const bytes = readFileSync(resolve(CONFORMANCE_DIR, 'tables', c.name, decodeAddPath(path)));
        const table = castToSchema(readParquet(bytes), dataSchema);
        // Output types are exactly the canonical ones.
        expect(table.schema.fields.map((f) => String(f.type))).toEqual(
          dataSchema.fields.map((f) => String(castToSchema(new arrow.Table(), { type: 'struct', fields: [f] }).schema.fields[0]!.type)),
        );
        const cols = new Map<string, Value[]>();
        for (const f of dataSchema.fields) {
          const vals: Value[] = [];
          for (const b of table.batches) vals.push(...readValues(b.getChild(f.name)!.data[0]!, f.type, { loss: 'error', path: f.name }));
          cols.set(f.name, vals);
        }
        for (let r = 0; r < table.numRows; r++) {
          const row: Record<string, unknown> = {};
          for (const f of schema.fields) {
            const v = c.partitionColumns.includes(f.name)
              ? parseNormalizedPartitionValue(pv[f.name] ?? null, f.type, f.name)
              : cols.get(f.name)![r]!;
            row[f.name] = canonical(v, f.type);
          }
          lines.push(JSON.stringify(row));
        }
      }
      lines.sort();
      const expected = (c.expected as Expected).rows!.map((r) => JSON.stringify(r)).sort();
      expect(lines).toEqual(expected);
    });
  }
});
