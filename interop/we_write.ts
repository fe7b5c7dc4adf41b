// Direction 1 (deltats writes, Spark and delta-rs read): each scenario writes one table through the public API
// only and says which earlier versions the engines must time travel to. No engine code here.
import { cpSync, readdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import { DeltaSink, DeltaTable, objectsToArrow, optimize, restore, vacuum } from '../src/index.js';
import type { StructField, StructType } from '../src/index.js';

export interface WrittenTable {
  scenario: string;
  path: string;
  /** Earlier versions every engine reads besides the latest. */
  earlier: number[];
  /** Also compare Spark's DESCRIBE HISTORY operations with ours. */
  history?: boolean;
  /** The streaming sink's appId and last batch (Spark txnAppId/txnVersion check). */
  txn?: { appId: string; lastBatch: number };
  /** In-Commit Timestamps: Spark's DESCRIBE HISTORY and TIMESTAMP AS OF must agree with ours, and Spark appends after us. */
  inCommitTimestamps?: boolean;
  /** A copy of the table whose JSON commits before `checkpoint` were deleted (engines must load our checkpoint). */
  checkpointCopy?: { path: string; checkpoint: number };
}

const f = (name: string, type: StructField['type'], nullable = true): StructField => ({ name, type, nullable, metadata: {} });
const struct = (...fields: StructField[]): StructType => ({ type: 'struct', fields });

const TYPES_SCHEMA = struct(
  f('id', 'integer', false),
  f('by', 'byte'),
  f('sh', 'short'),
  f('l', 'long'),
  f('fl', 'float'),
  f('db', 'double'),
  f('bo', 'boolean'),
  f('s', 'string'),
  f('bin', 'binary'),
  f('d', 'date'),
  f('ts', 'timestamp'),
  f('ntz', 'timestamp_ntz'),
  f('dec', 'decimal(10,2)'),
  f('dec38', 'decimal(38,18)'),
  f('st', struct(f('a', 'integer'), f('b', struct(f('c', 'string'), f('d', 'double'))))),
  f('arr', { type: 'array', elementType: 'integer', containsNull: true }),
  f('arrst', { type: 'array', elementType: struct(f('x', 'long'), f('y', 'string')), containsNull: true }),
  f('m', { type: 'map', keyType: 'string', valueType: 'long', valueContainsNull: true }),
  f('mi', { type: 'map', keyType: 'integer', valueType: { type: 'array', elementType: 'string', containsNull: true }, valueContainsNull: true }),
);

function typesRow(i: number): Record<string, unknown> {
  if (i % 5 === 4) return { id: i }; // every nullable column null
  const e = i % 5;
  return {
    id: i,
    by: [127, -128, 0, 7][e],
    sh: [32767, -32768, 0, -7][e],
    l: [9223372036854775807n, -9223372036854775808n, 0n, 1234567890123n][e],
    fl: [0.1, -3.4028234663852886e38, Number.NaN, 1.5e-30][e],
    db: [Math.PI, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, -0][e],
    bo: e % 2 === 0,
    s: ['', 'ünïcödé ✓ 𝄞', 'quote " backslash \\ newline \n', `row ${i}`][e],
    bin: new Uint8Array([e, 255, 0, i % 256]),
    d: ['1970-01-01', '2024-02-29', '0001-01-01', '9999-12-31'][e],
    ts: ['1970-01-01T00:00:00.000001Z', '2024-02-29T23:59:59.999999Z', '1900-01-01T00:00:00Z', '2262-04-11T23:47:16.854775Z'][e],
    ntz: ['1970-01-01T00:00:00.000001', '2024-02-29T23:59:59.999999', '1969-12-31T23:59:59.5', '2000-01-01T00:00:00'][e],
    dec: ['0.01', '-99999999.99', '0', '123.40'][e],
    dec38: ['0.000000000000000001', '-12345678901234567890.123456789012345678', '1', '99999999999999999999.999999999999999999'][e],
    st: [{ a: 1, b: { c: 'x', d: 1.5 } }, { a: null, b: null }, null, { a: -1, b: { c: null, d: null } }][e],
    arr: [[1, 2, 3], [], [null, 5], null][e],
    arrst: [[{ x: 1n, y: 'a' }, null], [], null, [{ x: null, y: null }]][e],
    m: [[['b', 2n], ['a', 1n]], [], [['k', null]], null][e],
    mi: [[[10, ['x']], [-2, null], [3, []]], null, [[0, [null, 'y']]], []][e],
  };
}

async function typesTable(dir: string): Promise<WrittenTable> {
  const p = path.join(dir, 'types');
  const t = await DeltaTable.create(p, { schema: TYPES_SCHEMA });
  for (let c = 0; c < 3; c++) await t.append(Array.from({ length: 5 }, (_, k) => typesRow(c * 5 + k)));
  return { scenario: 'primitive+nested types with nulls', path: p, earlier: [2, 1] };
}

const PART_SCHEMA = struct(
  f('id', 'integer'),
  f('s', 'string'),
  f('i', 'integer'),
  f('l', 'long'),
  f('by', 'byte'),
  f('sh', 'short'),
  f('b', 'boolean'),
  f('d', 'date'),
  f('ts', 'timestamp'),
  f('ntz', 'timestamp_ntz'),
  f('dec', 'decimal(10,2)'),
  f('fl', 'float'),
  f('db', 'double'),
  f('v', 'string'),
);
const PART_COLS = ['s', 'i', 'l', 'by', 'sh', 'b', 'd', 'ts', 'ntz', 'dec', 'fl', 'db'];

function partRow(i: number): Record<string, unknown> {
  const e = i % 4;
  if (e === 3) return { id: i, v: `null partitions ${i}` };
  return {
    id: i,
    s: ['a b/c=d%e', 'ünï{}[]#?*:', ' lead&trail ', "it's"][e],
    i: [-1, 0, 2147483647][e],
    l: [-9223372036854775808n, 0n, 42n][e],
    by: [-128, 0, 127][e],
    sh: [-32768, 1, 32767][e],
    b: [true, false, true][e],
    d: ['1969-12-31', '2024-02-29', '0001-01-01'][e],
    ts: ['2024-01-01T12:34:56.123456Z', '1970-01-01T00:00:00Z', '1969-07-20T20:17:40.5Z'][e],
    ntz: ['2021-09-08T11:11:11', '1970-01-01T00:00:00.000001', '2000-02-29T12:00:00'][e],
    dec: ['1.50', '0.00', '12345678.90'][e],
    fl: [1.5, -0.25, 3][e],
    db: [-2.5, 1e-7, 1e21][e],
    v: `row ${i}`,
  };
}

async function partitionedTable(dir: string): Promise<WrittenTable> {
  const p = path.join(dir, 'partitioned');
  const t = await DeltaTable.create(p, { schema: PART_SCHEMA, partitionBy: PART_COLS });
  await t.append([0, 1, 2, 3].map(partRow));
  await t.append([4, 5, 6, 7].map(partRow));
  return { scenario: 'partitioned by every partitionable type, null and escaped values', path: p, earlier: [1] };
}

const SIMPLE = struct(f('id', 'long', false), f('day', 'date'), f('v', 'string'));
const simpleRows = (from: number, n: number, day = '2024-01-01') =>
  Array.from({ length: n }, (_, k) => ({ id: BigInt(from + k), day, v: `v${from + k}` }));

async function checkpointTable(dir: string): Promise<WrittenTable> {
  const p = path.join(dir, 'checkpoints');
  const t = await DeltaTable.create(p, { schema: SIMPLE, properties: { 'delta.checkpointInterval': '5' } });
  for (let c = 0; c < 23; c++) await t.append(simpleRows(c * 3, 3, `2024-01-${String((c % 28) + 1).padStart(2, '0')}`));
  const copy = path.join(dir, 'checkpoints-copy');
  cpSync(p, copy, { recursive: true });
  const log = path.join(copy, '_delta_log');
  const checkpoint = 20;
  const removed = readdirSync(log).filter((n) => /^\d{20}\.json$/.test(n) && Number(n.slice(0, 20)) <= checkpoint);
  for (const n of removed) rmSync(path.join(log, n));
  return {
    scenario: 'many commits with classic checkpoints',
    path: p,
    earlier: [12, 3],
    checkpointCopy: { path: copy, checkpoint },
  };
}

async function replaceWhereTable(dir: string): Promise<WrittenTable> {
  const p = path.join(dir, 'replace-where');
  const t = await DeltaTable.create(p, { schema: SIMPLE, partitionBy: ['day'] });
  await t.append([...simpleRows(0, 3, '2024-01-01'), ...simpleRows(3, 3, '2024-01-02'), ...simpleRows(6, 3, '2024-01-03')]);
  await t.overwrite(simpleRows(100, 2, '2024-01-02'), { replaceWhere: "day = DATE '2024-01-02'" });
  await t.overwrite(simpleRows(200, 1, '2024-01-03'), { replaceWhere: 'id >= 7' });
  return { scenario: 'replaceWhere overwrites', path: p, earlier: [2, 1], history: true };
}

async function optimizeVacuumTable(dir: string): Promise<WrittenTable> {
  const p = path.join(dir, 'optimize-vacuum');
  const t = await DeltaTable.create(p, { schema: SIMPLE });
  for (let c = 0; c < 6; c++) await t.append(simpleRows(c * 4, 4));
  const opt = await optimize(t);
  await vacuum(await t.refresh(), { retentionHours: 0, force: true });
  await (await t.refresh()).append(simpleRows(1000, 2));
  await t.refresh();
  if (opt.version === null) throw new Error('optimize committed nothing');
  return { scenario: 'optimize + vacuum', path: p, earlier: [opt.version], history: true };
}

async function restoreTable(dir: string): Promise<WrittenTable> {
  const p = path.join(dir, 'restore');
  const t = await DeltaTable.create(p, { schema: SIMPLE });
  await t.append(simpleRows(0, 3));
  await t.append(simpleRows(3, 3));
  await t.overwrite(simpleRows(50, 1));
  await restore(await t.refresh(), { version: 2 });
  return { scenario: 'restore', path: p, earlier: [3, 2], history: true };
}

async function schemaMergeTable(dir: string): Promise<WrittenTable> {
  const p = path.join(dir, 'schema-merge');
  const t = await DeltaTable.create(p, { schema: struct(f('id', 'long', false), f('a', 'string')) });
  await t.append([{ id: 1n, a: 'x' }]);
  await t.append([{ id: 2n, a: 'y', b: 3n, c: true }], { schemaMode: 'merge' });
  await t.append([{ id: 3n, b: 4n }]);
  return { scenario: 'schema evolution (merge)', path: p, earlier: [2, 1] };
}

async function negativeDecimalPartitionTable(dir: string): Promise<WrittenTable> {
  const p = path.join(dir, 'partitioned-negative-decimal');
  const t = await DeltaTable.create(p, { schema: struct(f('id', 'integer'), f('dec', 'decimal(10,2)')), partitionBy: ['dec'] });
  await t.append([{ id: 1, dec: '-1.50' }, { id: 2, dec: '-0.05' }, { id: 3, dec: '2.00' }]);
  return { scenario: 'partitioned by a negative decimal', path: p, earlier: [] };
}

async function schemaMergeNtzTable(dir: string): Promise<WrittenTable> {
  const p = path.join(dir, 'schema-merge-timestamp-ntz');
  const t = await DeltaTable.create(p, { schema: struct(f('id', 'long', false)) });
  await t.append([{ id: 1n }]);
  const withNtz = struct(f('id', 'long', false), f('ntz', 'timestamp_ntz'));
  await t.append(objectsToArrow([{ id: 2n, ntz: '2024-01-02T03:04:05.000006' }], withNtz), { schemaMode: 'merge' });
  return { scenario: 'schema evolution adds a timestamp_ntz column', path: p, earlier: [1] };
}

async function dmlTable(dir: string, deletionVectors: boolean): Promise<WrittenTable> {
  const p = path.join(dir, deletionVectors ? 'dml-deletion-vectors' : 'dml');
  const t = await DeltaTable.create(p, {
    schema: SIMPLE,
    partitionBy: ['day'],
    properties: deletionVectors ? { 'delta.enableDeletionVectors': 'true' } : {},
  });
  await t.append([...simpleRows(0, 20, '2024-01-01'), ...simpleRows(20, 20, '2024-01-02')]);
  await t.delete('id % 7 = 0');
  await t.update({ where: 'id < 10', set: { v: "'updated'" } });
  await t
    .merge(simpleRows(35, 10, '2024-01-02'), { on: 'target.id = source.id' })
    .whenMatchedUpdate({ set: { v: "'merged'" } })
    .whenNotMatchedInsertAll()
    .execute();
  const dvs = t.files().filter((a) => a.deletionVector).length;
  return {
    scenario: `DELETE/UPDATE/MERGE${deletionVectors ? ` with deletion vectors (${dvs} files carry one)` : ''}`,
    path: p,
    earlier: [2, 1],
    history: true,
  };
}

async function streamSinkTable(dir: string): Promise<WrittenTable> {
  const p = path.join(dir, 'stream-sink');
  const schema = struct(f('id', 'long'), f('batch', 'integer'));
  await DeltaTable.create(p, { schema });
  const appId = 'interop-query-1';
  const sink = new DeltaSink(p, { queryId: appId });
  for (let b = 0; b < 3; b++) {
    await sink.addBatch(b, objectsToArrow([{ id: BigInt(b * 10), batch: b }, { id: BigInt(b * 10 + 1), batch: b }], schema));
  }
  // A replayed batch must be skipped (exactly once), like Spark's sink.
  await sink.addBatch(2, objectsToArrow([{ id: 999n, batch: 2 }], schema));
  return { scenario: 'streaming sink txn actions', path: p, earlier: [2, 1], txn: { appId, lastBatch: 2 } };
}

/**
 * In-Commit Timestamps turned on at version 3 of a plain table (deltats records the enablement version/timestamp and
 * upgrades the protocol), then appends, a DELETE and a checkpoint (interval 5) with every commit timed.
 */
async function inCommitTimestampsTable(dir: string): Promise<WrittenTable> {
  const p = path.join(dir, 'in-commit-timestamps');
  const schema = struct(f('id', 'integer'), f('s', 'string'));
  const t = await DeltaTable.create(p, { schema, properties: { 'delta.checkpointInterval': '5' } });
  await t.append([{ id: 1, s: 'a' }, { id: 2, s: 'b' }]);
  await t.append([{ id: 3, s: 'c' }]);
  await new Promise((r) => setTimeout(r, 20)); // commit times apart, so each version has its own time travel instant
  await t.setProperties({ 'delta.enableInCommitTimestamps': 'true' });
  for (const row of [{ id: 4, s: 'd' }, { id: 5, s: 'e' }]) {
    await new Promise((r) => setTimeout(r, 20));
    await t.append([row]);
  }
  await t.delete('id = 2');
  await t.append([{ id: 6, s: 'f' }]);
  return { scenario: 'In-Commit Timestamps enabled at v3, checkpoint at v5', path: p, earlier: [4, 3, 2], history: true, inCommitTimestamps: true };
}

export const SCENARIOS: Array<{ name: string; write: (dir: string) => Promise<WrittenTable> }> = [
  { name: 'types', write: typesTable },
  { name: 'partitioned', write: partitionedTable },
  { name: 'checkpoints', write: checkpointTable },
  { name: 'replace-where', write: replaceWhereTable },
  { name: 'optimize-vacuum', write: optimizeVacuumTable },
  { name: 'restore', write: restoreTable },
  { name: 'schema-merge', write: schemaMergeTable },
  { name: 'schema-merge-timestamp-ntz', write: schemaMergeNtzTable },
  { name: 'partitioned-negative-decimal', write: negativeDecimalPartitionTable },
  { name: 'stream-sink', write: streamSinkTable },
  { name: 'dml', write: (dir) => dmlTable(dir, false) },
  { name: 'dml-deletion-vectors', write: (dir) => dmlTable(dir, true) },
  { name: 'in-commit-timestamps', write: inCommitTimestampsTable },
];
