// The ObjectStore seam: the only I/O that src/log and src/table may perform.
// Paths are relative to the store root, '/'-separated, never starting with '/'. No fs / S3 code here.

export interface ObjectMeta {
  /** Path relative to the store root. */
  path: string;
  size: number;
  lastModified: Date;
}

export interface ListOptions {
  /** Only return paths strictly greater than this (full relative path). */
  startAfter?: string;
  /** If false, list only direct children of the prefix "folder" (no recursion). Default true. */
  recursive?: boolean;
}

export interface ObjectStore {
  /** Root URI of the store, e.g. `file:///tmp/t` or `s3://bucket/prefix`. */
  readonly uri: string;
  /** Whole object. Throws NotFoundError when absent. */
  get(path: string): Promise<Uint8Array>;
  /** Bytes [start, end) of the object. Throws NotFoundError when absent. */
  getRange(path: string, start: number, end: number): Promise<Uint8Array>;
  /** Metadata, or null when absent. */
  head(path: string): Promise<ObjectMeta | null>;
  /** Write (overwrite) an object; never leaves a partial object visible. */
  put(path: string, data: Uint8Array): Promise<void>;
  /** Atomically create the object if it does not exist. Returns false when it already existed (lost race). */
  putIfAbsent(path: string, data: Uint8Array): Promise<boolean>;
  /** Objects whose path starts with `prefix`, in lexicographic (byte) order of path. */
  list(prefix: string, options?: ListOptions): AsyncIterable<ObjectMeta>;
  /** Delete an object; absent is not an error. */
  delete(path: string): Promise<void>;
  /** Delete many objects (batched where the backend can). */
  deleteMany(paths: string[]): Promise<void>;
  /**
   * Leftovers of this store's own failed writes (e.g. local temp files) last modified before `olderThan` (epoch ms):
   * never visible to list(), never referenced by a table; VACUUM deletes them. Absent when the backend leaves none.
   */
  staleTempFiles?(olderThan: number): Promise<ObjectMeta[]>;
}

export async function listAll(store: ObjectStore, prefix: string, options?: ListOptions): Promise<ObjectMeta[]> {
  const out: ObjectMeta[] = [];
  for await (const m of store.list(prefix, options)) out.push(m);
  return out;
}
