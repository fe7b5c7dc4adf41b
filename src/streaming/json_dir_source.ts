// JsonDirSource: a folder of newline-delimited JSON files on an ObjectStore as a micro-batch source.
// New files are found by listing after the last file processed; it never modifies or deletes the files.
import * as arrow from 'apache-arrow';
import { objectsToArrow } from '../schema/objects.js';
import { fromArrowSchema } from '../schema/arrow.js';
import type { StructType } from '../schema/types.js';
import type { ObjectMeta, ObjectStore } from '../storage/store.js';
import { InvalidArgumentError, SchemaMismatchError } from '../errors.js';
import { openStreamStore } from './store.js';
import type { ReadLimits, StreamSource } from './types.js';

/** The last file processed and how many of its lines were consumed. */
export interface JsonDirOffset {
  [key: string]: string | number;
  /** Path of the file relative to the store root. */
  file: string;
  line: number;
}

export interface JsonDirSourceOptions {
  /** Schema the records must fit (normally the sink table's schema). */
  schema: StructType | arrow.Schema;
  /** Folder inside the store ('' = the store root). */
  prefix?: string;
  /** Only files whose name ends with one of these (default: .json, .jsonl, .ndjson). */
  extensions?: string[];
  /** Maximum files per micro-batch (default 1000). */
  maxFilesPerTrigger?: number;
  storageOptions?: Record<string, string>;
}

const DEFAULT_EXTENSIONS = ['.json', '.jsonl', '.ndjson'];
const dec = new TextDecoder();

/**
 * Files must appear atomically under their final name (put = temp file + rename on LocalStore, PUT on S3)
 * and never change afterwards; file names must sort in arrival order (e.g. zero-padded sequence or timestamp).
 */
export class JsonDirSource implements StreamSource<JsonDirOffset> {
  readonly description: string;
  private store: ObjectStore | undefined;
  private readonly location: string | ObjectStore;
  private readonly schema: StructType;
  private readonly prefix: string;
  private readonly extensions: string[];
  private readonly times = new Map<string, number>();
  private readonly lineCache = new Map<string, string[]>();

  constructor(location: string | ObjectStore, private readonly options: JsonDirSourceOptions) {
    if (!options?.schema) throw new InvalidArgumentError('JsonDirSource needs a schema (usually the sink table schema)');
    if (options.maxFilesPerTrigger !== undefined && !(Number.isSafeInteger(options.maxFilesPerTrigger) && options.maxFilesPerTrigger > 0)) {
      throw new InvalidArgumentError(`maxFilesPerTrigger must be a positive integer, got ${String(options.maxFilesPerTrigger)}`);
    }
    this.location = location;
    this.schema = options.schema instanceof arrow.Schema ? fromArrowSchema(options.schema) : options.schema;
    const p = options.prefix ?? '';
    this.prefix = p === '' || p.endsWith('/') ? p : `${p}/`;
    this.extensions = options.extensions ?? DEFAULT_EXTENSIONS;
    this.description = `JsonDirSource[${typeof location === 'string' ? location : location.uri}/${this.prefix}]`;
  }

  defaultLimits(): ReadLimits {
    return { maxFiles: this.options.maxFilesPerTrigger ?? 1000 };
  }

  async latestOffset(start: JsonDirOffset | null, limits?: ReadLimits): Promise<JsonDirOffset | null> {
    const max = (limits ?? this.defaultLimits()).maxFiles ?? Number.POSITIVE_INFINITY;
    let last: ObjectMeta | undefined;
    let n = 0;
    for await (const m of this.newFiles(start?.file)) {
      last = m;
      if (++n >= max) break;
    }
    if (!last) return start;
    const lines = await this.lines(last.path);
    return { file: last.path, line: lines.length };
  }

  async getBatch(start: JsonDirOffset | null, end: JsonDirOffset): Promise<arrow.Table> {
    const rows: Record<string, unknown>[] = [];
    const origin: Array<{ file: string; line: number }> = [];
    const take = async (file: string, from: number, to: number): Promise<void> => {
      const lines = await this.lines(file);
      for (let i = from; i < Math.min(to, lines.length); i++) {
        const text = lines[i]!;
        if (text.trim() === '') continue;
        let v: unknown;
        try {
          v = JSON.parse(text);
        } catch (e) {
          throw new SchemaMismatchError(`invalid JSON in ${file} line ${i + 1}: ${(e as Error).message}`, undefined, i + 1);
        }
        if (v === null || typeof v !== 'object' || Array.isArray(v)) {
          throw new SchemaMismatchError(`${file} line ${i + 1} is not a JSON object`, undefined, i + 1);
        }
        rows.push(v as Record<string, unknown>);
        origin.push({ file, line: i + 1 });
      }
    };
    // A partly consumed start file (only when a file was split across batches).
    if (start && start.file !== end.file) {
      const lines = await this.lines(start.file);
      if (start.line < lines.length) await take(start.file, start.line, lines.length);
    }
    if (start && start.file === end.file) {
      await take(end.file, start.line, end.line);
    } else {
      for await (const m of this.newFiles(start?.file)) {
        if (m.path > end.file) break;
        await take(m.path, 0, m.path === end.file ? end.line : Number.POSITIVE_INFINITY);
        if (m.path === end.file) break;
      }
    }
    for (const k of this.lineCache.keys()) if (k < end.file) this.lineCache.delete(k);
    try {
      return objectsToArrow(rows, this.schema);
    } catch (e) {
      if (e instanceof SchemaMismatchError && e.row !== undefined && origin[e.row]) {
        const o = origin[e.row]!;
        throw new SchemaMismatchError(`record at ${o.file} line ${o.line} does not fit the schema: ${e.message}`, e.column, o.line);
      }
      throw e;
    }
  }

  offsetTimestamp(end: JsonDirOffset): number | undefined {
    return this.times.get(end.file);
  }

  private async open(): Promise<ObjectStore> {
    if (!this.store) {
      this.store =
        typeof this.location === 'string' ? await openStreamStore(this.location, this.options.storageOptions) : this.location;
    }
    return this.store;
  }

  /** Data files after `afterFile` in name order (listing with startAfter: never the whole folder again). */
  private async *newFiles(afterFile: string | undefined): AsyncGenerator<ObjectMeta> {
    const store = await this.open();
    for await (const m of store.list(this.prefix, { startAfter: afterFile, recursive: false })) {
      const name = m.path.slice(m.path.lastIndexOf('/') + 1);
      if (name.startsWith('.') || name.startsWith('_')) continue;
      if (!this.extensions.some((e) => name.endsWith(e))) continue;
      this.times.set(m.path, m.lastModified.getTime());
      yield m;
    }
  }

  private async lines(file: string): Promise<string[]> {
    let l = this.lineCache.get(file);
    if (!l) {
      const store = await this.open();
      const text = dec.decode(await store.get(file));
      l = text.split('\n');
      if (l.length && l[l.length - 1] === '') l.pop();
      this.lineCache.set(file, l);
    }
    return l;
  }
}
