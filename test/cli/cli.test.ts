// The deltats CLI run as real child processes against real tables in temp folders: output content, --json, exit codes.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeFileSync, readdirSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { DeltaTable } from '../../src/delta_table.js';
import { cleanupTempDirs, tempDir } from '../helpers/tmp.js';
import { appendWorkerSchema } from '../helpers/append_schema.js';
import { cli, ok, okJson } from './run.js';

afterAll(cleanupTempDirs);

interface HistoryJson {
  version: number;
  timestamp: string;
  operation: string;
  operationParameters: Record<string, string>;
  operationMetrics: Record<string, string>;
}

describe('create / import / cat / describe / history / files', () => {
  let dir: string;
  let data: string;
  let importCsvOut: string;
  let importJsonl: { version: number; rows: number };
  beforeAll(async () => {
    dir = join(tempDir('deltats-cli-'), 'sales');
    data = tempDir('deltats-cli-data-');
    const out = await ok([
      'create',
      dir,
      '--schema',
      'id:long not null,country:string,amount:decimal(10,2),day:date,ts:timestamp,ok:boolean',
      '--partition-by',
      'country',
      '--property',
      'delta.checkpointInterval=100',
      '--name',
      'sales',
    ]);
    expect(out).toMatch(/Created .*sales.* \(version 0\) with 6 columns, partitioned by country/);
    writeFileSync(
      join(data, 'a.csv'),
      'id,country,amount,day,ts,ok\n' +
        '1,NL,10.50,2024-05-01,2024-05-01T10:00:00Z,true\n' +
        '2,"US",3.25,2024-05-02,2024-05-02T11:30:00.123456Z,false\n' +
        '3,NL,,2024-05-03,,\n',
    );
    writeFileSync(
      join(data, 'b.jsonl'),
      '{"id": 4, "country": "DE", "amount": "99.99", "day": "2024-06-01", "ts": "2024-06-01T00:00:00Z", "ok": true}\n' +
        '\n' +
        '{"id": "9007199254740993", "country": null, "amount": 1, "ok": false}\n',
    );
    importCsvOut = await ok(['import', dir, join(data, 'a.csv')]);
    importJsonl = await okJson<{ version: number; rows: number }>(['import', dir, join(data, 'b.jsonl')]);
  });

  it('imports CSV and JSON lines, one commit each', () => {
    expect(importCsvOut).toMatch(/Imported 3 rows .* as version 1 \(append/);
    expect(importJsonl).toMatchObject({ version: 2, rows: 2 });
  });

  it('cat --format jsonl returns exact values (decimal, date, microsecond timestamp, long beyond 2^53, nulls)', async () => {
    const out = await ok(['cat', dir, '--format', 'jsonl']);
    const rows = out
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, unknown>)
      .sort((a, b) => String(a.id).localeCompare(String(b.id)));
    expect(rows).toEqual([
      { id: 1, country: 'NL', amount: '10.50', day: '2024-05-01', ts: '2024-05-01T10:00:00.000000Z', ok: true },
      { id: 2, country: 'US', amount: '3.25', day: '2024-05-02', ts: '2024-05-02T11:30:00.123456Z', ok: false },
      { id: 3, country: 'NL', amount: null, day: '2024-05-03', ts: null, ok: null },
      { id: 4, country: 'DE', amount: '99.99', day: '2024-06-01', ts: '2024-06-01T00:00:00.000000Z', ok: true },
      { id: '9007199254740993', country: null, amount: '1.00', day: null, ts: null, ok: false },
    ]);
  });

  it('cat with --where, --columns, --limit, table and csv formats', async () => {
    const table = await ok(['cat', dir, '--where', "country = 'NL' AND id > 1", '--columns', 'id,amount']);
    const lines = table.trim().split('\n');
    expect(lines[0]).toMatch(/^\s*id\s+amount$/);
    expect(lines[1]).toMatch(/^-+\s+-+$/);
    expect(lines[2]).toMatch(/^\s*3\s+NULL$/);
    expect(lines.at(-1)).toBe('(1 row, version 2)');

    const csv = await ok(['cat', dir, '--columns', 'id,country', '--where', 'id <= 2', '--format', 'csv']);
    expect(csv.trim().split('\n').sort()).toEqual(['1,NL', '2,US', 'id,country']);

    const limited = await ok(['cat', dir, '--limit', '2', '--json']);
    expect(limited.trim().split('\n')).toHaveLength(2);
  });

  it('cat --version time travels', async () => {
    const v1 = (await ok(['cat', dir, '--version', '1', '--json'])).trim().split('\n');
    expect(v1).toHaveLength(3);
    const v0 = await ok(['cat', dir, '--version', '0', '--format', 'csv']);
    expect(v0.trim()).toBe('id,country,amount,day,ts,ok');
  });

  it('describe shows schema, partitioning, properties and protocol (text and --json)', async () => {
    const text = await ok(['describe', dir]);
    expect(text).toMatch(/Version:\s+2 \(committed \d{4}-\d\d-\d\dT/);
    expect(text).toMatch(/Name:\s+sales/);
    expect(text).toMatch(/Partitioned by:\s+country/);
    expect(text).toMatch(/Protocol:\s+reader \d+, writer \d+/);
    expect(text).toMatch(/amount\s+decimal\(10,2\)\s+yes/);
    expect(text).toMatch(/id\s+long\s+no/);
    expect(text).toMatch(/delta\.checkpointInterval:\s+100/);
    const j = await okJson<{
      version: number;
      partitionColumns: string[];
      properties: Record<string, string>;
      numFiles: number;
      sizeInBytes: number;
      schema: { fields: Array<{ name: string }> };
      lastCheckpoint: unknown;
      name: string;
    }>(['describe', dir]);
    expect(j.version).toBe(2);
    expect(j.name).toBe('sales');
    expect(j.partitionColumns).toEqual(['country']);
    expect(j.properties['delta.checkpointInterval']).toBe('100');
    expect(j.schema.fields.map((f) => f.name)).toEqual(['id', 'country', 'amount', 'day', 'ts', 'ok']);
    const t = await DeltaTable.open(dir);
    expect(j.numFiles).toBe(t.files().length);
    expect(j.sizeInBytes).toBe(t.files().reduce((s, a) => s + a.size, 0));
    expect(j.lastCheckpoint).toBeNull();
    const old = await okJson<{ version: number; numFiles: number }>(['describe', dir, '--version', '0']);
    expect(old).toMatchObject({ version: 0, numFiles: 0 });
  });

  it('history lists commits newest first', async () => {
    const text = await ok(['history', dir]);
    const lines = text.trim().split('\n');
    expect(lines[0]).toMatch(/^VERSION\s+TIMESTAMP\s+OPERATION\s+PARAMETERS\s+METRICS$/);
    expect(lines[2]).toMatch(/^\s*2\s+\d{4}-\d\d-\d\dT[\d:.]+Z\s+WRITE\s+mode=Append/);
    expect(lines[4]).toMatch(/^\s*0\s+.*CREATE TABLE/);
    const j = await okJson<HistoryJson[]>(['history', dir, '--limit', '2']);
    expect(j.map((e) => e.version)).toEqual([2, 1]);
    expect(j[0]!.operation).toBe('WRITE');
    expect(j[0]!.operationMetrics.numOutputRows).toBe('2');
    expect(Number.isNaN(Date.parse(j[0]!.timestamp))).toBe(false);
  });

  it('files lists the active files with partition values and row counts', async () => {
    const t = await DeltaTable.open(dir);
    const j = await okJson<{ version: number; numFiles: number; files: Array<{ path: string; numRecords: number; partitionValues: Record<string, string | null> }> }>([
      'files',
      dir,
    ]);
    expect(j.version).toBe(2);
    expect(j.files.map((f) => f.path).sort()).toEqual(t.files().map((a) => a.path).sort());
    expect(j.files.reduce((s, f) => s + f.numRecords, 0)).toBe(5);
    expect(new Set(j.files.map((f) => f.partitionValues.country))).toEqual(new Set(['NL', 'US', 'DE', null]));
    const text = await ok(['files', dir]);
    expect(text).toMatch(/^PATH\s+PARTITION\s+SIZE\s+ROWS\s+DV\s+MODIFIED/);
    expect(text).toMatch(/country=NL\s+[\d.]+ (B|KB)\s+2\s/);
    expect(text.trim().split('\n').at(-1)).toMatch(new RegExp(`^${j.numFiles} files, [\\d.]+ (B|KB) \\(version 2\\)$`));
  });

  it('checkpoint writes a checkpoint that describe reports', async () => {
    expect(await ok(['checkpoint', dir])).toMatch(/Wrote checkpoint of .* at version 2/);
    expect(existsSync(join(dir, '_delta_log', '00000000000000000002.checkpoint.parquet'))).toBe(true);
    const j = await okJson<{ lastCheckpoint: { version: number } }>(['describe', dir]);
    expect(j.lastCheckpoint.version).toBe(2);
    // The table still reads the same through the checkpoint.
    expect((await ok(['cat', dir, '--json'])).trim().split('\n')).toHaveLength(5);
  });

  it('import --mode overwrite replaces the rows', async () => {
    const d = join(tempDir('deltats-cli-'), 't');
    await ok(['create', d, '--schema', 'a:integer,b:string']);
    writeFileSync(join(data, 'o1.csv'), 'a,b\n1,x\n2,y\n');
    writeFileSync(join(data, 'o2.csv'), 'b,a\n"z, with comma",3\n');
    await ok(['import', d, join(data, 'o1.csv')]);
    await ok(['import', d, join(data, 'o2.csv'), '--mode', 'overwrite']);
    expect((await ok(['cat', d, '--json'])).trim()).toBe('{"a":3,"b":"z, with comma"}');
  });
});

describe('errors: exit 1 with one line on stderr', () => {
  let dir: string;
  beforeAll(async () => {
    dir = join(tempDir('deltats-cli-err-'), 't');
    await ok(['create', dir, '--schema', 'id:long,name:string']);
  });

  const oneLine = (stderr: string): string => {
    const lines = stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^deltats: /);
    expect(stderr).not.toMatch(/\n\s+at /);
    return lines[0]!;
  };

  it('missing table', async () => {
    const r = await cli(['history', join(dir, '..', 'nope')]);
    expect(r.code).toBe(1);
    expect(oneLine(r.stderr)).toMatch(/no Delta table at .*nope/);
    expect(r.stdout).toBe('');
  });

  it('bad URI scheme', async () => {
    const r = await cli(['describe', 'ftp://host/table']);
    expect(r.code).toBe(1);
    expect(oneLine(r.stderr)).toMatch(/unsupported storage scheme 'ftp:\/\/'/);
  });

  it('bad predicate', async () => {
    const r = await cli(['cat', dir, '--where', 'id = = 3']);
    expect(r.code).toBe(1);
    oneLine(r.stderr);
    const r2 = await cli(['cat', dir, '--where', 'nosuch = 3']);
    expect(r2.code).toBe(1);
    expect(oneLine(r2.stderr)).toMatch(/nosuch/);
  });

  it('retention shorter than the default is refused without --force', async () => {
    const r = await cli(['vacuum', dir, '--retain-hours', '1']);
    expect(r.code).toBe(1);
    expect(oneLine(r.stderr)).toMatch(/refusing to vacuum .*1 hours.*delta\.deletedFileRetentionDuration.*--force/);
  });

  it('a CSV error names file, line and column', async () => {
    const f = join(tempDir('deltats-cli-data-'), 'bad.csv');
    writeFileSync(f, 'id,name\n1,a\n2,b\nthree,c\n');
    const r = await cli(['import', dir, f]);
    expect(r.code).toBe(1);
    expect(oneLine(r.stderr)).toBe(`deltats: ${f}:4: column 'id': cannot read 'three' as long`);
    // Nothing was committed.
    expect((await DeltaTable.open(dir)).version).toBe(0);
    const f2 = join(tempDir('deltats-cli-data-'), 'bad2.csv');
    writeFileSync(f2, 'id,name\n1,"unterminated\n');
    const r2 = await cli(['import', dir, f2]);
    expect(oneLine(r2.stderr)).toBe(`deltats: ${f2}:2: quoted field not closed (it runs to the end of the file)`);
  });

  it('usage errors: unknown command / option, missing argument', async () => {
    const r = await cli(['frobnicate', dir]);
    expect(r.code).toBe(1);
    expect(oneLine(r.stderr)).toMatch(/unknown command 'frobnicate'/);
    const r2 = await cli(['history', dir, '--bogus']);
    expect(r2.code).toBe(1);
    expect(oneLine(r2.stderr)).toMatch(/--bogus/);
    const r3 = await cli(['restore', dir]);
    expect(r3.code).toBe(1);
    expect(oneLine(r3.stderr)).toMatch(/exactly one of --version N or --timestamp T/);
  });

  it('--verbose adds the stack trace', async () => {
    const r = await cli(['history', join(dir, '..', 'nope'), '--verbose']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/TableNotFoundError/);
    expect(r.stderr).toMatch(/\n\s+at /);
  });

  it('--help on every command shows usage and an example', async () => {
    for (const c of ['history', 'describe', 'vacuum', 'restore', 'optimize', 'checkpoint', 'cat', 'create', 'import', 'files']) {
      const out = await ok([c, '--help']);
      expect(out).toMatch(new RegExp(`^Usage: deltats ${c} `));
      expect(out).toMatch(/Examples:\n  deltats /);
    }
    expect(await ok(['--help'])).toMatch(/Commands:/);
  });
});

describe('maintenance through the CLI', () => {
  it('vacuum while another process appends deletes nothing the appender commits', async () => {
    const dir = join(tempDir('deltats-cli-vac-'), 't');
    await DeltaTable.create(dir, {
      schema: appendWorkerSchema,
    });
    // An orphan data file (a crashed writer's leftover) older than the retention window: the only thing to delete.
    const orphan = join(dir, 'part-00000-orphan.c000.snappy.parquet');
    writeFileSync(orphan, 'not really parquet');
    const { utimesSync } = await import('node:fs');
    const old = new Date(Date.now() - 10 * 24 * 3600 * 1000);
    utimesSync(orphan, old, old);

    const { spawn } = await import('node:child_process');
    const worker = join(import.meta.dirname, '..', 'helpers', 'append_worker.ts');
    const child = spawn(process.execPath, ['--import', 'tsx', worker, dir, '1', '30'], { stdio: ['ignore', 'ignore', 'pipe'] });
    let childErr = '';
    child.stderr.on('data', (d) => (childErr += d));
    const done = new Promise<number | null>((r) => child.on('exit', (c) => r(c)));

    const deleted: string[] = [];
    let runs = 0;
    let exited = false;
    void done.then(() => (exited = true));
    while (!exited || runs < 2) {
      const r = await okJson<{ filesDeleted: string[] }>(['vacuum', dir]);
      deleted.push(...r.filesDeleted);
      runs++;
      if (runs > 40) break;
    }
    expect(await done, childErr).toBe(0);
    expect(deleted).toEqual(['part-00000-orphan.c000.snappy.parquet']);
    const t = await DeltaTable.open(dir);
    const rows = await t.scan().toArray();
    expect(rows.map((r) => Number(r.seq)).sort((a, b) => a - b)).toEqual(Array.from({ length: 30 }, (_, i) => i));
    // Every active file is still on disk.
    for (const a of t.files()) expect(existsSync(join(dir, decodeURIComponent(a.path)))).toBe(true);
    // VACUUM START / VACUUM END pairs were recorded.
    const h = await okJson<HistoryJson[]>(['history', dir]);
    const ops = h.map((e) => e.operation);
    expect(ops.filter((o) => o === 'VACUUM START').length).toBe(runs);
    expect(ops.filter((o) => o === 'VACUUM END').length).toBe(runs);
    const start = h.find((e) => e.operation === 'VACUUM START' && e.operationMetrics.numFilesToDelete === '1')!;
    expect(start.operationParameters.retentionCheckEnabled).toBe('true');
    expect(start.operationParameters.defaultRetentionMillis).toBe(String(168 * 3600 * 1000));
  });

  it('vacuum --retain-hours 0 --force deletes removed files; time travel to that version then fails clearly; restore too', async () => {
    const dir = join(tempDir('deltats-cli-vac-'), 't');
    const t = await DeltaTable.create(dir, {
      schema: { type: 'struct', fields: [{ name: 'x', type: 'long', nullable: true, metadata: {} }] },
    });
    await t.append([{ x: 1n }, { x: 2n }]);
    const v1Files = t.files().map((a) => decodeURIComponent(a.path));
    await t.overwrite([{ x: 3n }]);

    const dry = await okJson<{ filesDeleted: string[]; dryRun: boolean }>(['vacuum', dir, '--retain-hours', '0', '--force', '--dry-run']);
    expect(dry.dryRun).toBe(true);
    expect(dry.filesDeleted.sort()).toEqual(v1Files.sort());
    for (const f of v1Files) expect(existsSync(join(dir, f))).toBe(true);
    expect((await DeltaTable.open(dir)).version).toBe(2); // dry run commits nothing

    const text = await ok(['vacuum', dir, '--retain-hours', '0', '--force']);
    expect(text).toMatch(new RegExp(`^Deleted ${v1Files.length} files? \\([\\d.]+ (B|KB)\\), retention 0 hours; recorded as version 4\\.`));
    for (const f of v1Files) expect(existsSync(join(dir, f))).toBe(false);
    expect((await ok(['cat', dir, '--json'])).trim()).toBe('{"x":3}');

    const r = await cli(['cat', dir, '--version', '1']);
    expect(r.code).toBe(1);
    expect(r.stderr.trim()).toMatch(/^deltats: data file .*part-.*\.parquet referenced by the log is missing/);

    const rr = await cli(['restore', dir, '--version', '1']);
    expect(rr.code).toBe(1);
    expect(rr.stderr.trim()).toMatch(/^deltats: data file part-.* is missing: cannot restore .* to version 1 because the file was deleted \(probably by VACUUM\)$/);
    // The log is untouched: only the table's own files remain, _delta_log intact.
    expect(readdirSync(join(dir, '_delta_log')).filter((f) => f.endsWith('.json'))).toHaveLength(5);
  });

  it('restore makes the table read like the old version', async () => {
    const dir = join(tempDir('deltats-cli-restore-'), 't');
    await ok(['create', dir, '--schema', 'k:string,v:long', '--partition-by', 'k']);
    const f = join(tempDir('deltats-cli-data-'), 'r.jsonl');
    writeFileSync(f, '{"k":"a","v":1}\n{"k":"b","v":2}\n');
    await ok(['import', dir, f]);
    const v1 = (await ok(['cat', dir, '--version', '1', '--json'])).trim().split('\n').sort();
    writeFileSync(f, '{"k":"c","v":3}\n');
    await ok(['import', dir, f]);
    await ok(['import', dir, f, '--mode', 'overwrite']);
    const res = await okJson<{ version: number; restoredVersion: number; metrics: Record<string, number> }>(['restore', dir, '--version', '1']);
    expect(res).toMatchObject({ version: 4, restoredVersion: 1 });
    expect(res.metrics.numRestoredFiles).toBe(2);
    expect(res.metrics.numRemovedFiles).toBe(1);
    expect(res.metrics.numOfFilesAfterRestore).toBe(2);
    expect((await ok(['cat', dir, '--json'])).trim().split('\n').sort()).toEqual(v1);
    const h = await okJson<HistoryJson[]>(['history', dir, '--limit', '1']);
    expect(h[0]!.operation).toBe('RESTORE');
    expect(h[0]!.operationParameters.version).toBe('1');
    expect(h[0]!.operationMetrics.numRestoredFiles).toBe('2');
    // Text form.
    const txt = await ok(['restore', dir, '--version', '2']);
    expect(txt).toMatch(/Restored .* to version 2 as version 5: 1 files restored/);
  });

  it('optimize compacts files and keeps every row', async () => {
    const dir = join(tempDir('deltats-cli-opt-'), 't');
    await ok(['create', dir, '--schema', 'p:string,n:long,s:string', '--partition-by', 'p']);
    const f = join(tempDir('deltats-cli-data-'), 'o.jsonl');
    for (let i = 0; i < 6; i++) {
      writeFileSync(f, [0, 1, 2].map((j) => JSON.stringify({ p: i % 2 ? 'odd' : 'even', n: i * 10 + j, s: `r${i}-${j}` })).join('\n'));
      await ok(['import', dir, f]);
    }
    const before = (await ok(['cat', dir, '--json'])).trim().split('\n').sort();
    const filesBefore = (await DeltaTable.open(dir)).files().length;
    expect(filesBefore).toBe(6);
    const res = await okJson<{ version: number; metrics: { numFilesAdded: number; numFilesRemoved: number; partitionsOptimized: number } }>([
      'optimize',
      dir,
    ]);
    expect(res.version).toBe(7);
    expect(res.metrics).toMatchObject({ numFilesAdded: 2, numFilesRemoved: 6, partitionsOptimized: 2 });
    const t = await DeltaTable.open(dir);
    expect(t.files()).toHaveLength(2);
    expect((await ok(['cat', dir, '--json'])).trim().split('\n').sort()).toEqual(before);
    const h = await okJson<HistoryJson[]>(['history', dir, '--limit', '1']);
    expect(h[0]!.operation).toBe('OPTIMIZE');
    expect(h[0]!.operationMetrics.numRemovedFiles).toBe('6');
    // Second run: nothing left to compact, no commit.
    expect(await ok(['optimize', dir])).toMatch(/^Nothing to optimize: 2 files considered/);
    expect((await DeltaTable.open(dir)).version).toBe(7);
  });

  it('optimize --where limits compaction to matching partitions and refuses non-partition columns', async () => {
    const dir = join(tempDir('deltats-cli-opt-'), 't');
    await ok(['create', dir, '--schema', 'p:string,n:long', '--partition-by', 'p']);
    const f = join(tempDir('deltats-cli-data-'), 'w.jsonl');
    for (let i = 0; i < 4; i++) {
      writeFileSync(f, `{"p":"a","n":${i}}\n{"p":"b","n":${i}}\n`);
      await ok(['import', dir, f]);
    }
    const txt = await ok(['optimize', dir, '--where', "p = 'a'", '--target-size', '64MB']);
    expect(txt).toMatch(/4 files .* compacted into 1 .* in 1 partition/);
    const files = (await DeltaTable.open(dir)).files();
    expect(files.filter((a) => a.partitionValues.p === 'a')).toHaveLength(1);
    expect(files.filter((a) => a.partitionValues.p === 'b')).toHaveLength(4);
    const r = await cli(['optimize', dir, '--where', 'n > 1']);
    expect(r.code).toBe(1);
    expect(r.stderr.trim()).toMatch(/^deltats: optimize --where may reference partition columns only; 'n' is not one \(partition columns: p\)$/);
  });
});
