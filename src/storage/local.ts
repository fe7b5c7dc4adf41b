// LocalStore: the ObjectStore on a local folder. putIfAbsent = fsynced temp file + hard link (EEXIST = lost race),
// put = fsynced temp file + rename, so a partial file is never visible under its final name.
import { promises as fsp, constants as fsc } from 'node:fs';
import * as path from 'node:path';
import { v4 as uuidv4 } from 'uuid';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { NotFoundError, StorageError } from '../errors.js';
import type { ListOptions, ObjectMeta, ObjectStore } from './store.js';

const TEMP_PREFIX = '.deltats-tmp-';
/** Files stat'ed concurrently by list() per batch. */
const LIST_STAT_BATCH = 64;

export class LocalStore implements ObjectStore {
  readonly root: string;
  readonly uri: string;

  constructor(rootPathOrUri: string) {
    const p = rootPathOrUri.startsWith('file:') ? fileURLToPath(rootPathOrUri) : rootPathOrUri;
    this.root = path.resolve(p);
    this.uri = pathToFileURL(this.root).href;
  }

  private abs(rel: string): string {
    if (rel.startsWith('/') || rel.split('/').includes('..')) {
      throw new StorageError('invalid object path', rel);
    }
    return path.join(this.root, ...rel.split('/'));
  }

  async get(rel: string): Promise<Uint8Array> {
    try {
      return new Uint8Array(await fsp.readFile(this.abs(rel)));
    } catch (e) {
      throw this.wrap(e, rel);
    }
  }

  async getRange(rel: string, start: number, end: number): Promise<Uint8Array> {
    let fh: fsp.FileHandle | undefined;
    try {
      fh = await fsp.open(this.abs(rel), 'r');
      const len = Math.max(0, end - start);
      const buf = Buffer.allocUnsafeSlow(len); // only the bytes read are returned
      let off = 0;
      while (off < len) {
        const { bytesRead } = await fh.read(buf, off, len - off, start + off);
        if (bytesRead === 0) break;
        off += bytesRead;
      }
      return new Uint8Array(buf.buffer, buf.byteOffset, off);
    } catch (e) {
      throw this.wrap(e, rel);
    } finally {
      await fh?.close();
    }
  }

  async head(rel: string): Promise<ObjectMeta | null> {
    try {
      const st = await fsp.stat(this.abs(rel), { bigint: true });
      if (!st.isFile()) return null;
      return { path: rel, size: Number(st.size), lastModified: mtimeOf(st) };
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT' || (e as NodeJS.ErrnoException).code === 'ENOTDIR') return null;
      throw this.wrap(e, rel);
    }
  }

  /** Write data to a fresh fsynced temp file in the target's folder; returns the temp path. */
  private async writeTemp(target: string, data: Uint8Array): Promise<string> {
    const dir = path.dirname(target);
    const tmp = path.join(dir, `${TEMP_PREFIX}${uuidv4()}`);
    const flags = fsc.O_CREAT | fsc.O_EXCL | fsc.O_WRONLY;
    let fh: fsp.FileHandle;
    try {
      fh = await fsp.open(tmp, flags, 0o644);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
      // Create the folder only when it is missing (saves a syscall on the hot commit path).
      await fsp.mkdir(dir, { recursive: true });
      fh = await fsp.open(tmp, flags, 0o644);
    }
    try {
      try {
        await fh.writeFile(data);
        await fh.sync();
      } finally {
        await fh.close();
      }
    } catch (e) {
      // A failed write (ENOSPC, EIO) must not leave its temp file behind.
      await removeQuietly(tmp);
      throw e;
    }
    return tmp;
  }

  async put(rel: string, data: Uint8Array): Promise<void> {
    const target = this.abs(rel);
    let tmp: string | undefined;
    try {
      tmp = await this.writeTemp(target, data);
      await fsp.rename(tmp, target);
      tmp = undefined;
    } catch (e) {
      throw this.wrap(e, rel);
    } finally {
      if (tmp) await removeQuietly(tmp);
    }
  }

  async putIfAbsent(rel: string, data: Uint8Array): Promise<boolean> {
    const target = this.abs(rel);
    let tmp: string | undefined;
    let linked = false;
    try {
      tmp = await this.writeTemp(target, data);
      await fsp.link(tmp, target);
      linked = true;
      await syncDir(path.dirname(target));
      return true;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'EEXIST') return false;
      // Before the link nothing is visible under the target name: the write certainly did not happen.
      throw this.wrap(e, rel, !linked);
    } finally {
      if (tmp) await removeQuietly(tmp);
    }
  }

  /** Entries of a folder ('' = the root); none when it does not exist. */
  private async readDir(dirRel: string): Promise<import('node:fs').Dirent[]> {
    try {
      return await fsp.readdir(dirRel ? this.abs(dirRel) : this.root, { withFileTypes: true });
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'ENOENT' || code === 'ENOTDIR') return [];
      throw this.wrap(e, dirRel);
    }
  }

  /** Temp files of writes that crashed (or failed to clean up), older than `olderThan`, in any folder. */
  async staleTempFiles(olderThan: number): Promise<ObjectMeta[]> {
    const out: ObjectMeta[] = [];
    const walk = async (dirRel: string): Promise<void> => {
      for (const ent of await this.readDir(dirRel)) {
        const rel = dirRel ? `${dirRel}/${ent.name}` : ent.name;
        if (ent.isDirectory()) await walk(rel);
        else if (ent.isFile() && ent.name.startsWith(TEMP_PREFIX)) {
          const st = await fsp.stat(this.abs(rel), { bigint: true }).catch(() => null);
          if (st && mtimeOf(st).getTime() < olderThan) out.push({ path: rel, size: Number(st.size), lastModified: mtimeOf(st) });
        }
      }
    };
    await walk('');
    return out.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  }

  async *list(prefix: string, options: ListOptions = {}): AsyncIterable<ObjectMeta> {
    const recursive = options.recursive ?? true;
    // The folder that holds every path with this prefix.
    const slash = prefix.lastIndexOf('/');
    const baseRel = slash >= 0 ? prefix.slice(0, slash) : '';
    const names: string[] = [];
    const walk = async (dirRel: string): Promise<void> => {
      for (const ent of await this.readDir(dirRel)) {
        if (ent.name.startsWith(TEMP_PREFIX)) continue;
        const rel = dirRel ? `${dirRel}/${ent.name}` : ent.name;
        if (ent.isDirectory()) {
          // Descend only where the folder can contain matching paths.
          if (recursive && (rel + '/').startsWith(prefix)) await walk(rel);
        } else if (ent.isFile() && rel.startsWith(prefix)) {
          if (!recursive && rel.slice(prefix.length).includes('/')) continue;
          if (options.startAfter !== undefined && !(rel > options.startAfter)) continue;
          names.push(rel);
        }
      }
    };
    await walk(baseRel);
    names.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
    // Stat lazily, a batch at a time: a caller that stops early (a log listing up to a version) stats no further.
    for (let i = 0; i < names.length; i += LIST_STAT_BATCH) {
      const batch = names.slice(i, i + LIST_STAT_BATCH);
      const stats = await Promise.all(batch.map((rel) => fsp.stat(path.join(this.root, ...rel.split('/')), { bigint: true }).catch(() => null)));
      for (let j = 0; j < batch.length; j++) {
        const st = stats[j];
        if (st) yield { path: batch[j]!, size: Number(st.size), lastModified: mtimeOf(st) };
      }
    }
  }

  async delete(rel: string): Promise<void> {
    try {
      await fsp.rm(this.abs(rel), { force: true });
    } catch (e) {
      throw this.wrap(e, rel);
    }
  }

  async deleteMany(paths: string[]): Promise<void> {
    const queue = [...paths];
    const worker = async (): Promise<void> => {
      for (let p = queue.shift(); p !== undefined; p = queue.shift()) await this.delete(p);
    };
    await Promise.all(Array.from({ length: Math.min(16, queue.length) }, worker));
  }

  private wrap(e: unknown, rel: string, notWritten = false): Error {
    const code = (e as NodeJS.ErrnoException).code;
    const loc = path.join(this.root, rel);
    if (code === 'ENOENT' && !notWritten) return new NotFoundError(loc);
    if (e instanceof StorageError) return e;
    return new StorageError(`local storage error (${code ?? String(e)})`, loc, { cause: e, notWritten });
  }
}

async function removeQuietly(file: string): Promise<void> {
  // Best effort: a temp file that cannot be removed now is found by VACUUM (staleTempFiles).
  await fsp.rm(file, { force: true }).catch(() => undefined);
}

async function syncDir(dir: string): Promise<void> {
  try {
    const fh = await fsp.open(dir, 'r');
    try {
      await fh.sync();
    } finally {
      await fh.close();
    }
  } catch {
    // Some filesystems refuse fsync on a directory; the link itself is still atomic.
  }
}

/**
 * A file's modification time in whole milliseconds, truncated as Java's File.lastModified (Spark, via Hadoop) and
 * delta-rs read it. From the nanoseconds: Node's `stats.mtime` / `mtimeMs` round the sub-millisecond part, which can
 * put a commit 1 ms after the time the reference engines give it (and move a timestamp time travel).
 */
function mtimeOf(st: { mtimeNs: bigint }): Date {
  return new Date(Number(st.mtimeNs / 1_000_000n));
}
