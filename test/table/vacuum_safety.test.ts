// VACUUM and failed writes (issue 11 item 9, item 11's numeric retention, and the concurrent-writer guard): failed
// local writes leave no temp files, vacuum removes stale ones first, a file committed by a commit the VACUUM START
// rebased over is never deleted, and a malformed retention property is a DeltaError.
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';
import { promises as fsp, existsSync, readFileSync, readdirSync, utimesSync, writeFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { DeltaTable, vacuum } from '../../src/delta_table.js';
import { LocalStore } from '../../src/storage/local.js';
import { DeltaError, InvalidArgumentError, StorageError } from '../../src/errors.js';
import type { StructType } from '../../src/schema/types.js';
import { cleanupTempDirs, tempDir } from '../helpers/tmp.js';
import { cli } from '../cli/run.js';

afterAll(cleanupTempDirs);
afterEach(() => {
  vi.restoreAllMocks();
});

const schema: StructType = { type: 'struct', fields: [{ name: 'id', type: 'long', nullable: true, metadata: {} }] };
const rows = (from: number, n: number): Array<{ id: bigint }> => Array.from({ length: n }, (_, i) => ({ id: BigInt(from + i) }));
const isCommit = (p: string): boolean => /^_delta_log\/\d{20}\.json$/.test(p);

function tempFiles(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string): void => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      if (e.isDirectory()) walk(join(d, e.name));
      else if (e.name.startsWith('.deltats-tmp-')) out.push(join(d, e.name));
    }
  };
  walk(dir);
  return out;
}

async function ids(uri: string): Promise<bigint[]> {
  const r = await (await DeltaTable.open(uri)).scan().toArray();
  return r.map((x) => x.id as bigint).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
}

describe('failed local writes', () => {
  it('leave no temp file behind when the disk is full (ENOSPC mid-write), for data files and commits', async () => {
    const dir = join(tempDir('deltats-vac-'), 't');
    const t = await DeltaTable.create(dir, { schema });
    const realOpen = fsp.open.bind(fsp);
    let failCommitsOnly = false;
    vi.spyOn(fsp, 'open').mockImplementation((async (...args: Parameters<typeof fsp.open>) => {
      const fh = await realOpen(...args);
      if (!String(args[0]).includes('.deltats-tmp-')) return fh;
      if (failCommitsOnly && !String(args[0]).includes('_delta_log')) return fh;
      // The temp file exists; writing it fails like a full disk does.
      return new Proxy(fh, {
        get(target, prop) {
          if (prop === 'writeFile') {
            return async (data: Uint8Array) => {
              await target.write(data.subarray(0, Math.min(10, data.length)));
              throw Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' });
            };
          }
          const v = Reflect.get(target, prop) as unknown;
          return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v;
        },
      });
    }) as typeof fsp.open);
    for (let i = 0; i < 5; i++) await expect(t.append(rows(i, 1))).rejects.toThrow(StorageError);
    // Only the commit write fails: a plain StorageError (known not landed), not an unknown outcome.
    failCommitsOnly = true;
    const err = await t.append(rows(5, 1)).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(StorageError);
    expect((err as StorageError).notWritten).toBe(true);
    expect(String(err)).toMatch(/ENOSPC/);
    vi.restoreAllMocks();
    expect(tempFiles(dir)).toEqual([]);
    await t.append(rows(9, 1));
    expect(await ids(dir)).toEqual([9n]);
  });
});

describe('vacuum and stale temp files', () => {
  it('deletes temp files older than the retention (before its commits), keeps recent ones; dry run lists them', async () => {
    const dir = join(tempDir('deltats-vac-'), 't');
    const t = await DeltaTable.create(dir, { schema });
    await t.append(rows(0, 3));
    mkdirSync(join(dir, 'p=1'), { recursive: true });
    const old = [join(dir, '.deltats-tmp-old1'), join(dir, '_delta_log', '.deltats-tmp-old2'), join(dir, 'p=1', '.deltats-tmp-old3')];
    const recent = join(dir, '.deltats-tmp-recent');
    const eightDaysAgo = (Date.now() - 8 * 24 * 3600_000) / 1000;
    for (const f of old) {
      writeFileSync(f, 'partial');
      utimesSync(f, eightDaysAgo, eightDaysAgo);
    }
    writeFileSync(recent, 'in flight');
    const dry = await vacuum(t, { dryRun: true });
    expect(dry.tempFilesDeleted.sort()).toEqual(['.deltats-tmp-old1', '_delta_log/.deltats-tmp-old2', 'p=1/.deltats-tmp-old3']);
    for (const f of old) expect(existsSync(f)).toBe(true);
    const res = await vacuum(t);
    expect(res.tempFilesDeleted).toHaveLength(3);
    for (const f of old) expect(existsSync(f)).toBe(false);
    expect(existsSync(recent)).toBe(true);
    expect(await ids(dir)).toEqual([0n, 1n, 2n]);
  });

  it('a numeric delta.deletedFileRetentionDuration is a DeltaError naming the property (library and CLI)', async () => {
    const dir = join(tempDir('deltats-vac-'), 't');
    const t = await DeltaTable.create(dir, { schema });
    // A metaData action whose configuration holds a number (another writer's bug): JSON, not our API.
    const meta = JSON.parse(readFileSync(join(dir, '_delta_log', '00000000000000000000.json'), 'utf8').split('\n').find((l) => l.includes('"metaData"'))!) as {
      metaData: { configuration: Record<string, unknown> };
    };
    meta.metaData.configuration['delta.deletedFileRetentionDuration'] = 168;
    writeFileSync(join(dir, '_delta_log', '00000000000000000001.json'), JSON.stringify(meta) + '\n');
    await t.refresh();
    const err = await vacuum(t).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(InvalidArgumentError);
    expect(String(err)).toMatch(/delta\.deletedFileRetentionDuration = .168. is not an interval/);
    const r = await cli(['checkpoint', dir]);
    expect(r.code).toBe(1);
    expect(r.stderr).not.toMatch(/unexpected error/);
    expect(r.stderr).toMatch(/deletedFileRetentionDuration/);
  });
});

describe('vacuum with --force under a concurrent writer', () => {
  it('never deletes a file committed by a commit the VACUUM START rebased over', async () => {
    const dir = join(tempDir('deltats-vac-'), 't');
    const t = await DeltaTable.create(dir, { schema });
    await t.append(rows(0, 2));
    await t.overwrite(rows(10, 2)); // the first file becomes a tombstone: a legitimate vacuum candidate

    // Writer: its data file is written, its commit waits until the vacuum has listed the files.
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    let waiting!: () => void;
    const writerWaiting = new Promise<void>((r) => (waiting = r));
    const writerStore = new (class extends LocalStore {
      override async putIfAbsent(rel: string, data: Uint8Array): Promise<boolean> {
        if (isCommit(rel)) {
          waiting();
          await gate;
        }
        return super.putIfAbsent(rel, data);
      }
    })(dir);
    const writer = await DeltaTable.openStore(writerStore);
    const appended = writer.append(rows(100, 3));
    await writerWaiting;

    // Vacuum: the writer's commit lands just before VACUUM START's, which then loses the race and rebases.
    const vacuumStore = new (class extends LocalStore {
      override async putIfAbsent(rel: string, data: Uint8Array): Promise<boolean> {
        if (isCommit(rel) && new TextDecoder().decode(data).includes('"VACUUM START"')) {
          release();
          await appended;
        }
        return super.putIfAbsent(rel, data);
      }
    })(dir);
    const v = await DeltaTable.openStore(vacuumStore);
    const res = await vacuum(v, { retentionHours: 0, force: true, now: Date.now() + 1000 });
    expect((await appended).version).toBe(3);
    expect(res.filesDeleted).toHaveLength(1); // the tombstoned file only
    expect(await ids(dir)).toEqual([10n, 11n, 100n, 101n, 102n]);
  });

  it('--help says what --force risks', async () => {
    const r = await cli(['vacuum', '--help']);
    expect(r.stdout).toMatch(/--force/);
    expect(r.stdout).toMatch(/not yet committed can be deleted/);
    expect(r.stdout).toMatch(/full disk/);
  });

  it('errors of vacuum are DeltaErrors', async () => {
    const dir = join(tempDir('deltats-vac-'), 't');
    const t = await DeltaTable.create(dir, { schema });
    await expect(vacuum(t, { retentionHours: 0 })).rejects.toBeInstanceOf(DeltaError);
  });
});
