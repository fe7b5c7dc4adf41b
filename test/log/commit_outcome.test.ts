// Commit outcomes under faults (issue 11 items 1, 3, 5): files are deleted only when a commit is known not to
// have landed; a lost response is resolved from the log (our txnId); a stale handle never extends a re-created table.
import { afterAll, describe, expect, it } from 'vitest';
import { existsSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { DeltaTable, optimize } from '../../src/delta_table.js';
import { DeltaSink } from '../../src/streaming/sink.js';
import { tableFromArrays, type Table } from 'apache-arrow';
import { LocalStore } from '../../src/storage/local.js';
import type { ListOptions, ObjectMeta } from '../../src/storage/store.js';
import { CommitOutcomeUnknownError, StorageError, TableChangedError } from '../../src/errors.js';
import type { StructType } from '../../src/schema/types.js';
import { cleanupTempDirs, tempDir } from '../helpers/tmp.js';

afterAll(cleanupTempDirs);

const schema: StructType = {
  type: 'struct',
  fields: [
    { name: 'id', type: 'long', nullable: true, metadata: {} },
    { name: 's', type: 'string', nullable: true, metadata: {} },
  ],
};

const rows = (from: number, n: number): Record<string, unknown>[] =>
  Array.from({ length: n }, (_, i) => ({ id: BigInt(from + i), s: `r${from + i}` }));

const isCommit = (p: string): boolean => /^_delta_log\/\d{20}\.json$/.test(p);
const text = (b: Uint8Array): string => new TextDecoder().decode(b);

/** A LocalStore with switchable faults around commit writes. */
class FaultyStore extends LocalStore {
  /** Fail the next list() (once) after a commit whose text matches was written. */
  failListAfterCommit: RegExp | null = null;
  private listArmed = false;
  /** Write the matching commit, then throw as if the response was lost. */
  loseCommitResponse: RegExp | null = null;
  /** Also fail reads of that commit file (the log cannot tell the outcome). */
  failCommitReads = false;
  private lostPath: string | null = null;

  override async putIfAbsent(rel: string, data: Uint8Array): Promise<boolean> {
    const won = await super.putIfAbsent(rel, data);
    if (isCommit(rel) && won && this.failListAfterCommit?.test(text(data))) this.listArmed = true;
    if (isCommit(rel) && this.loseCommitResponse?.test(text(data))) {
      this.lostPath = rel;
      throw new StorageError('connection reset while writing', rel);
    }
    return won;
  }

  override async get(rel: string): Promise<Uint8Array> {
    if (this.failCommitReads && rel === this.lostPath) throw new StorageError('connection reset while reading', rel);
    return super.get(rel);
  }

  override list(prefix: string, options?: ListOptions): AsyncIterable<ObjectMeta> {
    if (this.listArmed) {
      this.listArmed = false;
      throw new StorageError('transient LIST failure', prefix);
    }
    return super.list(prefix, options);
  }
}

async function smallFiles(dir: string, store: LocalStore, files: number): Promise<DeltaTable> {
  const t = await DeltaTable.createInStore(store, { schema });
  for (let i = 0; i < files; i++) await t.append(rows(i * 10, 10));
  return t;
}

async function allIds(uri: string): Promise<bigint[]> {
  const t = await DeltaTable.open(uri);
  const out = (await t.scan().toArray()).map((r) => r.id as bigint);
  return out.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
}

const range = (n: number): bigint[] => Array.from({ length: n }, (_, i) => BigInt(i));

describe('commit outcome: OPTIMIZE keeps the files its committed version references (item 1)', () => {
  it('a LIST failure right after the OPTIMIZE commit does not delete the compacted files', async () => {
    const dir = join(tempDir('deltats-outcome-'), 't');
    const store = new FaultyStore(dir);
    const t = await smallFiles(dir, store, 4);
    store.failListAfterCommit = /"operation":"OPTIMIZE"/;
    const res = await optimize(t);
    expect(res.version).toBe(5);
    const latest = await DeltaTable.open(dir);
    expect(latest.version).toBe(5);
    expect(latest.files()).toHaveLength(1);
    for (const f of latest.files()) expect(existsSync(join(dir, f.path))).toBe(true);
    expect(await allIds(dir)).toEqual(range(40));
  });

  it('an OPTIMIZE commit with an unknown outcome leaves its files in place (CommitOutcomeUnknownError)', async () => {
    const dir = join(tempDir('deltats-outcome-'), 't');
    const store = new FaultyStore(dir);
    const t = await smallFiles(dir, store, 3);
    store.loseCommitResponse = /"operation":"OPTIMIZE"/;
    store.failCommitReads = true;
    const err = await optimize(t).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CommitOutcomeUnknownError);
    expect((err as CommitOutcomeUnknownError).version).toBe(4);
    expect((err as Error).message).toMatch(/may have landed.*txnId/);
    // It did land: the table reads every row from the compacted file.
    const latest = await DeltaTable.open(dir);
    expect(latest.version).toBe(4);
    expect(await allIds(dir)).toEqual(range(30));
  });

  it('an OPTIMIZE that lost to a conflicting commit still deletes the files it wrote (known not landed)', async () => {
    const dir = join(tempDir('deltats-outcome-'), 't');
    const store = new LocalStore(dir);
    const t = await smallFiles(dir, store, 3);
    const before = new Set(readdirSync(dir).filter((f) => f.endsWith('.parquet')));
    // A concurrent overwrite removes every file OPTIMIZE read, committed just before OPTIMIZE's commit.
    const other = await DeltaTable.open(dir);
    const racing = new (class extends LocalStore {
      override async putIfAbsent(rel: string, data: Uint8Array): Promise<boolean> {
        if (isCommit(rel) && /"operation":"OPTIMIZE"/.test(text(data))) await other.overwrite(rows(100, 1));
        return super.putIfAbsent(rel, data);
      }
    })(dir);
    const t2 = await DeltaTable.openStore(racing);
    await expect(optimize(t2)).rejects.toThrow(/concurrent/);
    const after = readdirSync(dir).filter((f) => f.endsWith('.parquet') && !before.has(f));
    expect(after).toHaveLength(1); // the overwrite's file only; OPTIMIZE's output was removed
    expect(await allIds(dir)).toEqual([100n]);
    void t;
  });
});

describe('commit outcome: a lost commit response is resolved from the log (item 5)', () => {
  it('append whose commit landed but whose response was lost reports success and writes the rows once', async () => {
    const dir = join(tempDir('deltats-outcome-'), 't');
    const store = new FaultyStore(dir);
    const t = await DeltaTable.createInStore(store, { schema });
    await t.append(rows(0, 5));
    store.loseCommitResponse = /"operation":"WRITE"/;
    const res = await t.append(rows(5, 5));
    expect(res.version).toBe(2);
    store.loseCommitResponse = null;
    expect(t.version).toBe(2);
    expect(await allIds(dir)).toEqual(range(10));
    expect(existsSync(join(dir, '_delta_log', '00000000000000000003.json'))).toBe(false);
  });

  it('when the log cannot tell either, append throws CommitOutcomeUnknownError naming table, version and txnId', async () => {
    const dir = join(tempDir('deltats-outcome-'), 't');
    const store = new FaultyStore(dir);
    const t = await DeltaTable.createInStore(store, { schema });
    store.loseCommitResponse = /"operation":"WRITE"/;
    store.failCommitReads = true;
    const err = (await t.append(rows(0, 3)).catch((e: unknown) => e)) as CommitOutcomeUnknownError;
    expect(err).toBeInstanceOf(CommitOutcomeUnknownError);
    expect(err.version).toBe(1);
    expect(err.table).toBe(store.uri);
    const history = await (await DeltaTable.open(dir)).history();
    expect(history[0]!.commitInfo.txnId).toBe(err.txnId);
  });
});

/** A handle on a table of `oldAppends` appends, then the folder deleted and a table with `newAppends` appends created there. */
async function staleHandle(oldAppends: number, newAppends: number): Promise<{ dir: string; old: DeltaTable }> {
  const dir = join(tempDir('deltats-outcome-'), 't');
  const old = await DeltaTable.create(dir, { schema });
  for (let i = 0; i < oldAppends; i++) await old.append(rows(i * 2, 2));
  rmSync(dir, { recursive: true, force: true });
  const fresh = await DeltaTable.create(dir, { schema });
  for (let i = 0; i < newAppends; i++) await fresh.append(rows(100 + i, 1));
  return { dir, old };
}

describe('commit lineage: a stale handle never commits into a re-created table (item 3)', () => {
  it('append through a handle of a dropped table fails and the new table stays readable', async () => {
    const { dir, old } = await staleHandle(2, 1);
    await expect(old.append(rows(4, 1))).rejects.toThrow(TableChangedError);
    expect(await allIds(dir)).toEqual([100n]);
    expect((await DeltaTable.open(dir)).version).toBe(1);
  });

  it('also when the re-created table already has more versions than the handle read', async () => {
    const { dir, old } = await staleHandle(1, 3);
    const err = await old.append(rows(4, 1)).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TableChangedError);
    expect((err as TableChangedError).version).toBe(1);
    expect(await allIds(dir)).toEqual([100n, 101n, 102n]);
    expect((await DeltaTable.open(dir)).version).toBe(3);
  });

  it('refresh() and overwrite() through a handle of a dropped table fail with TableChangedError', async () => {
    const { dir, old } = await staleHandle(1, 3);
    await expect(old.refresh()).rejects.toThrow(TableChangedError);
    await expect(old.overwrite(rows(7, 1))).rejects.toThrow(/changed under this handle/);
    expect(await allIds(dir)).toEqual([100n, 101n, 102n]);
  });

  it('a DeltaSink holding its handle refuses to write into its re-created table', async () => {
    const dir = join(tempDir('deltats-outcome-'), 't');
    const sink = new DeltaSink(dir, { queryId: 'q', schema });
    const batch = (from: number): Table => tableFromArrays({ id: BigInt64Array.from([BigInt(from)]), s: [`r${from}`] });
    await sink.addBatch(0, batch(0));
    await sink.addBatch(1, batch(1));
    rmSync(dir, { recursive: true, force: true });
    const fresh = await DeltaTable.create(dir, { schema });
    for (let i = 0; i < 3; i++) await fresh.append(rows(100 + i, 1));
    await expect(sink.addBatch(2, batch(2))).rejects.toThrow(TableChangedError);
    expect(await allIds(dir)).toEqual([100n, 101n, 102n]);
  });
});
