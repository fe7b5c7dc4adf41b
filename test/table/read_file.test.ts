import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import * as arrow from 'apache-arrow';
import { afterAll, describe, expect, it } from 'vitest';
import { canonicalLines, canonicalLinesFromJson } from '../../conformance/canonical.js';
import { DataFileNotFoundError, InvalidArgumentError, ProtocolError } from '../../src/errors.js';
import { fileKey, type Add, type Metadata } from '../../src/log/actions.js';
import { toArrowType } from '../../src/schema/arrow.js';
import { parseSchema } from '../../src/schema/json.js';
import type { StructType } from '../../src/schema/types.js';
import { LocalStore } from '../../src/storage/local.js';
import { writeParquet } from '../../src/storage/parquet.js';
import { readDataFile } from '../../src/table/read_file.js';
import { CONFORMANCE_DIR, HAVE_CONFORMANCE, loadCases } from '../schema/helpers.js';
import { configOf, configOfMetadata } from '../helpers/config.js';

interface Replayed {
  adds: Add[];
  metadata: Metadata;
  schema: StructType;
}

/** JSON-only log replay up to `version` (all commits of these tables exist): active adds + latest metaData. */
function replay(table: string, version = Infinity): Replayed {
  const dir = resolve(CONFORMANCE_DIR, 'tables', table, '_delta_log');
  const files = new Map<string, Add>();
  let metadata: Metadata | undefined;
  for (const f of readdirSync(dir).filter((x) => /^\d{20}\.json$/.test(x)).sort()) {
    if (Number(f.slice(0, 20)) > version) break;
    for (const line of readFileSync(join(dir, f), 'utf8').split('\n')) {
      if (!line.trim()) continue;
      const a = JSON.parse(line) as { add?: Add; remove?: Add; metaData?: Metadata };
      if (a.add) files.set(fileKey(a.add), a.add);
      if (a.remove) files.delete(fileKey(a.remove));
      if (a.metaData) metadata = a.metaData;
    }
  }
  return { adds: [...files.values()], metadata: metadata!, schema: parseSchema(metadata!.schemaString) };
}

async function readTable(table: string, version?: number, columns?: string[]): Promise<{ tables: arrow.Table[]; schema: StructType }> {
  const { adds, metadata, schema } = replay(table, version);
  const store = new LocalStore(resolve(CONFORMANCE_DIR, 'tables', table));
  const tables = await Promise.all(
    adds.map((add) =>
      readDataFile({
        store,
        add,
        config: configOfMetadata(metadata),
        columns,
      }),
    ),
  );
  return { tables, schema };
}

function linesOf(tables: arrow.Table[], schema: StructType): string[] {
  return tables.flatMap((t) => canonicalLines(t, schema)).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
}

/** Every column has exactly the canonical Arrow type of its Delta type. */
function expectCanonicalTypes(t: arrow.Table, schema: StructType): void {
  for (const f of t.schema.fields) {
    const want = toArrowType(schema.fields.find((x) => x.name === f.name)!.type);
    expect(String(f.type), f.name).toBe(String(want));
  }
}

const CASES = new Map(loadCases().map((c) => [c.name, c]));

interface Expected {
  version: number;
  numRows: number;
  rows?: unknown[];
}

const TABLES = [
  'spark-data-reader-primitives',
  'spark-parquet-all-types',
  'spark-kernel-timestamp-INT96',
  'spark-kernel-timestamp-TIMESTAMP_MILLIS',
  'spark-decimal-various-scale-precision',
  'spark-table-with-columnmapping-mode-id',
  'spark-table-with-columnmapping-mode-name',
  'spark-dv-with-columnmapping',
  'spark-dv-partitioned-with-checkpoint',
  'spark-type-widening',
  'spark-time-travel-schema-changes-b',
  'rs-table-with-dv-small',
  'spark-log-replay-dv-key-cases',
  'rs-table_with_deletion_logs',
  'spark-data-reader-partition-values',
  'spark-data-reader-nested-struct',
  'spark-data-reader-map',
  'spark-data-reader-array-complex-objects',
  'spark-data-reader-timestamp_ntz-name-mode',
  'rs-delta-0.8.0-special-partition',
  'spark-kernel-timestamp-partition-col-ISO8601',
];

describe.skipIf(!HAVE_CONFORMANCE)('readDataFile on conformance tables (rows equal cases.json)', () => {
  for (const name of TABLES) {
    const c = CASES.get(name);
    const expected = c?.expected as Expected | undefined;
    it.skipIf(!c || !expected?.rows)(`${name} @ v${expected?.version}`, async () => {
      const { tables, schema } = await readTable(name);
      for (const t of tables) expectCanonicalTypes(t, schema);
      const rows = tables.reduce((n, t) => n + t.numRows, 0);
      expect(rows).toBe(expected!.numRows);
      expect(linesOf(tables, schema)).toEqual(canonicalLinesFromJson(expected!.rows!, schema));
    });
    const older = (c?.expectedAtVersion as Expected[] | undefined) ?? [];
    for (const e of older) {
      it.skipIf(!e.rows)(`${name} @ v${e.version}`, async () => {
        const { tables, schema } = await readTable(name, e.version);
        expect(linesOf(tables, schema)).toEqual(canonicalLinesFromJson(e.rows!, schema));
      });
    }
  }

  it('rs-table-with-dv-small: the DV drops rows 0 and 9, leaving values 1..8', async () => {
    const { tables } = await readTable('rs-table-with-dv-small');
    expect(tables).toHaveLength(1);
    expect(tables[0]!.getChild('value')!.toArray()).toEqual(Int32Array.from([1, 2, 3, 4, 5, 6, 7, 8]));
  });

  it('outputs only the requested columns, in the requested order (partition column included)', async () => {
    const { tables } = await readTable('spark-kernel-timestamp-INT96', undefined, ['time', 'part']);
    const t = tables.find((x) => x.numRows > 0 && x.getChild('part')!.get(0) !== null)!;
    expect(t.schema.fields.map((f) => f.name)).toEqual(['time', 'part']);
    expect(String(t.schema.fields[1]!.type)).toBe('Timestamp<MICROSECOND, UTC>');
  });

  it('only partition columns requested still yields the file row count', async () => {
    const { tables } = await readTable('spark-dv-partitioned-with-checkpoint', undefined, ['part']);
    const c = CASES.get('spark-dv-partitioned-with-checkpoint')!;
    expect(tables.reduce((n, t) => n + t.numRows, 0)).toBe((c.expected as Expected).numRows);
    for (const t of tables) expect(t.schema.fields.map((f) => f.name)).toEqual(['part']);
  });

  it('a missing data file is a DataFileNotFoundError naming it', async () => {
    const { adds, metadata, schema } = replay('rs-table-with-dv-small');
    const store = new LocalStore(resolve(CONFORMANCE_DIR, 'tables', 'rs-table-with-dv-small'));
    const add = { ...adds[0]!, path: 'part-00000-gone.snappy.parquet', deletionVector: null };
    const err = await readDataFile({
      store,
      add,
      config: configOf(schema, metadata.partitionColumns),
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DataFileNotFoundError);
    expect((err as Error).message).toContain('part-00000-gone.snappy.parquet');
  });

  it('an unknown requested column is an InvalidArgumentError', async () => {
    await expect(readTable('rs-table-with-dv-small', undefined, ['nope'])).rejects.toThrow(InvalidArgumentError);
  });
});

// ---- Synthetic files: URI-encoded and absolute paths, malformed partition values, schema evolution.
const tmpDirs: string[] = [];
afterAll(() => {
  for (const d of tmpDirs) rmSync(d, { recursive: true, force: true });
});

describe('readDataFile (synthetic)', () => {
  const schema = parseSchema(
    JSON.stringify({
      type: 'struct',
      fields: [
        { name: 'id', type: 'long', nullable: true, metadata: {} },
        { name: 'p', type: 'date', nullable: true, metadata: {} },
        { name: 'added', type: 'string', nullable: true, metadata: {} },
      ],
    }),
  );

  async function setup(): Promise<{ store: LocalStore; dir: string; add: Add }> {
    const dir = mkdtempSync(join(tmpdir(), 'deltats-readfile-'));
    tmpDirs.push(dir);
    const store = new LocalStore(dir);
    const t = arrow.tableFromArrays({ id: BigInt64Array.from([1n, 2n, 3n]) });
    await store.put('p=2024-01-02/part 1%.parquet', writeParquet(t));
    const add: Add = {
      path: 'p=2024-01-02/part%201%25.parquet',
      partitionValues: { p: '2024-01-02' },
      size: 1,
      modificationTime: 0,
      dataChange: true,
    };
    return { store, dir, add };
  }

  it('decodes URI-encoded paths, fills missing columns with nulls and materializes partition values', async () => {
    const { store, add } = await setup();
    const t = await readDataFile({ store, add, config: configOf(schema, ['p'], 'none') });
    expect(t.schema.fields.map((f) => f.name)).toEqual(['id', 'p', 'added']);
    expect(t.toArray().map((r) => r.toJSON())).toEqual([
      { id: 1n, p: Date.UTC(2024, 0, 2), added: null },
      { id: 2n, p: Date.UTC(2024, 0, 2), added: null },
      { id: 3n, p: Date.UTC(2024, 0, 2), added: null },
    ]);
  });

  it('reads absolute file:// paths under the table root', async () => {
    const { store, add } = await setup();
    const abs = { ...add, path: `${store.uri}/${add.path}` };
    const t = await readDataFile({ store, add: abs, config: configOf(schema, ['p'], 'none') });
    expect(t.numRows).toBe(3);
  });

  it('rejects a malformed partition value with a ProtocolError naming column and file', async () => {
    const { store, add } = await setup();
    const bad = { ...add, partitionValues: { p: 'not-a-date' } };
    await expect(
      readDataFile({ store, add: bad, config: configOf(schema, ['p'], 'none') }),
    ).rejects.toThrow(ProtocolError);
    await expect(
      readDataFile({ store, add: bad, config: configOf(schema, ['p'], 'none') }),
    ).rejects.toThrow(/"not-a-date" of column 'p'.*part%201%25/);
  });

  it('rejects a file whose column type cannot be read as the table type', async () => {
    const { store, add } = await setup();
    const s2 = parseSchema(
      JSON.stringify({ type: 'struct', fields: [{ name: 'id', type: 'boolean', nullable: true, metadata: {} }] }),
    );
    await expect(
      readDataFile({ store, add, config: configOf(s2, [], 'none') }),
    ).rejects.toThrow(/part%201%25.*column 'id'/);
  });
});

describe('readDataFile column mapping by field id (synthetic)', () => {
  const md = (id: number): Map<string, string> => new Map([['PARQUET:field_id', String(id)]]);
  const cm = (id: number, phys: string): Record<string, unknown> => ({
    'delta.columnMapping.id': id,
    'delta.columnMapping.physicalName': phys,
  });
  const logical = parseSchema(
    JSON.stringify({
      type: 'struct',
      fields: [
        { name: 'a', type: 'long', nullable: true, metadata: cm(1, 'col-a') },
        {
          name: 's',
          type: { type: 'struct', fields: [{ name: 'x', type: 'integer', nullable: true, metadata: cm(5, 'col-x') }] },
          nullable: true,
          metadata: cm(2, 'col-s'),
        },
        { name: 'gone', type: 'string', nullable: true, metadata: cm(9, 'col-gone') },
      ],
    }),
  );

  /** A file whose column names differ from the physical names; only the field ids identify the columns. */
  async function file(withIds: boolean): Promise<{ store: LocalStore; add: Add }> {
    const dir = mkdtempSync(join(tmpdir(), 'deltats-readfile-id-'));
    tmpDirs.push(dir);
    const store = new LocalStore(dir);
    const none = new Map<string, string>();
    const inner = new arrow.Struct([new arrow.Field(withIds ? 'renamed-x' : 'col-x', new arrow.Int32(), true, withIds ? md(5) : none)]);
    const schema = new arrow.Schema([
      new arrow.Field(withIds ? 'renamed-a' : 'col-a', new arrow.Int64(), true, withIds ? md(1) : none),
      new arrow.Field(withIds ? 'renamed-s' : 'col-s', inner, true, withIds ? md(2) : none),
      // Same physical name as 'gone' but another id: must NOT be read as 'gone' when ids are present.
      new arrow.Field('col-gone', new arrow.Utf8(), true, withIds ? md(77) : new Map([['x', 'y']])),
    ]);
    const t = new arrow.Table(schema, [
      new arrow.RecordBatch(
        schema,
        arrow.makeData({
          type: new arrow.Struct(schema.fields),
          length: 2,
          nullCount: 0,
          children: [
            arrow.makeData({ type: new arrow.Int64(), length: 2, data: BigInt64Array.from([10n, 20n]) }),
            arrow.makeData({
              type: inner,
              length: 2,
              children: [arrow.makeData({ type: new arrow.Int32(), length: 2, data: Int32Array.from([3, 4]) })],
            }),
            arrow.vectorFromArray(['p', 'q'], new arrow.Utf8()).data[0]!,
          ],
        }),
      ),
    ]);
    await store.put('f.parquet', writeParquet(t));
    return { store, add: { path: 'f.parquet', partitionValues: {}, size: 1, modificationTime: 0, dataChange: true } };
  }

  it('resolves top-level and nested columns by Parquet field id, and ids missing from the file as nulls', async () => {
    const { store, add } = await file(true);
    const t = await readDataFile({ store, add, config: configOf(logical, [], 'id') });
    expect(t.schema.fields.map((f) => f.name)).toEqual(['a', 's', 'gone']);
    expect(t.toArray().map((r) => JSON.parse(JSON.stringify(r.toJSON(), (_k, v: unknown) => (typeof v === 'bigint' ? String(v) : v))))).toEqual([
      { a: '10', s: { x: 3 }, gone: null },
      { a: '20', s: { x: 4 }, gone: null },
    ]);
    // In 'name' mode the same file has none of the physical names except col-gone.
    const byName = await readDataFile({ store, add, config: configOf(logical, [], 'name') });
    expect(byName.getChild('a')!.get(0)).toBeNull();
    expect(byName.getChild('gone')!.get(1)).toBe('q');
  });

  it('falls back to physical names when the file carries no field ids', async () => {
    const { store, add } = await file(false);
    const t = await readDataFile({ store, add, config: configOf(logical, [], 'id') });
    expect(t.getChild('a')!.toArray()).toEqual(BigInt64Array.from([10n, 20n]));
    expect(t.getChild('s')!.get(1)!.toJSON()).toEqual({ x: 4 });
    expect(t.getChild('gone')!.get(0)).toBe('p');
  });
});
