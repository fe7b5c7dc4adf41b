// Test helpers for src/log: tiny hand-written Delta tables in temp folders (commit JSON written directly).
import { utimesSync } from 'node:fs';
import { join } from 'node:path';
import type { Action, Add, Metadata, Protocol } from '../../src/log/actions.js';
import { serializeActions } from '../../src/log/codec.js';
import { commitPath } from '../../src/log/paths.js';
import type { ListOptions, ObjectMeta, ObjectStore } from '../../src/storage/store.js';
import { LocalStore } from '../../src/storage/local.js';
import { tempDir } from '../helpers/tmp.js';

export const SCHEMA = '{"type":"struct","fields":[{"name":"id","type":"long","nullable":true,"metadata":{}},{"name":"p","type":"string","nullable":true,"metadata":{}}]}';

export function protocol(p: Partial<Protocol> = {}): Action {
  return { protocol: { minReaderVersion: 1, minWriterVersion: 2, ...p } };
}

export function metaData(m: Partial<Metadata> = {}): Action {
  return {
    metaData: {
      id: 'tbl-1',
      format: { provider: 'parquet', options: {} },
      schemaString: SCHEMA,
      partitionColumns: [],
      configuration: {},
      createdTime: 1,
      ...m,
    },
  };
}

export function add(path: string, extra: Partial<Add> = {}): Action {
  return { add: { path, partitionValues: {}, size: 10, modificationTime: 1, dataChange: true, ...extra } };
}

export function remove(path: string): Action {
  return { remove: { path, deletionTimestamp: 2, dataChange: true } };
}

export function commitInfo(op: string, extra: Record<string, unknown> = {}): Action {
  return { commitInfo: { timestamp: 1, operation: op, operationParameters: {}, ...extra } };
}

/** A new temp table folder + store. */
export function newTable(): { dir: string; store: LocalStore } {
  const dir = tempDir('deltats-log-');
  return { dir, store: new LocalStore(dir) };
}

export async function writeCommit(store: ObjectStore, version: number, actions: Action[]): Promise<void> {
  await store.put(commitPath(version), serializeActions(actions));
}

export async function writeRaw(store: ObjectStore, path: string, text: string): Promise<void> {
  await store.put(path, new TextEncoder().encode(text));
}

/** Set the modification time of commit `version` (ms). */
export function setCommitMtime(dir: string, version: number, ms: number): void {
  const p = join(dir, ...commitPath(version).split('/'));
  utimesSync(p, new Date(ms), new Date(ms));
}

/** A store wrapper that records list() calls (prefix + options) to assert what was listed. */
export class RecordingStore implements ObjectStore {
  readonly lists: Array<{ prefix: string; options?: ListOptions }> = [];
  readonly gets: string[] = [];
  readonly heads: string[] = [];
  /** Every path list() yielded (what a listing cost). */
  readonly listed: string[] = [];
  constructor(private readonly inner: ObjectStore) {}
  get uri(): string {
    return this.inner.uri;
  }
  get(p: string): Promise<Uint8Array> {
    this.gets.push(p);
    return this.inner.get(p);
  }
  getRange(p: string, s: number, e: number): Promise<Uint8Array> {
    return this.inner.getRange(p, s, e);
  }
  head(p: string): Promise<ObjectMeta | null> {
    this.heads.push(p);
    return this.inner.head(p);
  }
  put(p: string, d: Uint8Array): Promise<void> {
    return this.inner.put(p, d);
  }
  putIfAbsent(p: string, d: Uint8Array): Promise<boolean> {
    return this.inner.putIfAbsent(p, d);
  }
  list(prefix: string, options?: ListOptions): AsyncIterable<ObjectMeta> {
    this.lists.push({ prefix, options });
    const inner = this.inner.list(prefix, options);
    const listed = this.listed;
    return (async function* () {
      for await (const m of inner) {
        listed.push(m.path);
        yield m;
      }
    })();
  }
  delete(p: string): Promise<void> {
    return this.inner.delete(p);
  }
  deleteMany(p: string[]): Promise<void> {
    return this.inner.deleteMany(p);
  }
}
