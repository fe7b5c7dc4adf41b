// Reads a Parquet file's footer with ranged reads: one speculative read of the file's tail (the 8-byte trailer gives
// the footer length), and a second read of the footer's start only when the footer is longer than that tail.
import { NotFoundError, ProtocolError, StorageError } from '../errors.js';
import { readParquetFooter, type ParquetFooter } from './parquet_footer.js';
import type { ObjectStore } from './store.js';

/** Bytes read from the end of the file at first: most footers fit (a footer grows ~100 bytes per column chunk). */
export const SPECULATIVE_TAIL = 64 * 1024;

export interface ParquetTail {
  footer: ParquetFooter;
  /** The FileMetaData's Thrift bytes (without the trailer). */
  meta: Uint8Array;
  /** File size in bytes. */
  size: number;
  /** The bytes read from the end of the file: [tailStart, size). */
  tail: Uint8Array;
  tailStart: number;
}

/** A ranged read that must return exactly [start, end): a shorter answer is a truncated transfer or object. */
export async function readExactRange(store: ObjectStore, path: string, start: number, end: number): Promise<Uint8Array> {
  const bytes = await store.getRange(path, start, end);
  if (bytes.length !== end - start) {
    throw new StorageError(
      `short read of bytes [${start}, ${end}): got ${bytes.length} of ${end - start} (object truncated or changed while read)`,
      `${store.uri}/${path}`,
    );
  }
  return bytes;
}

/**
 * The footer of the Parquet file at `path`. `size` (e.g. a Delta add action's size) saves a HEAD request; when the
 * file does not look like Parquet at that size, its real size is looked up once (a wrong add.size is not fatal).
 * Errors name the file: ProtocolError for a file that is not Parquet or whose footer is truncated or corrupt,
 * NotFoundError when absent, StorageError for failed or short reads.
 */
export async function readParquetTail(
  store: ObjectStore,
  path: string,
  options: { size?: number; speculative?: number } = {},
): Promise<ParquetTail> {
  const speculative = options.speculative ?? SPECULATIVE_TAIL;
  if (options.size === undefined) return readTailAt(store, path, await sizeOf(store, path), speculative);
  try {
    return await readTailAt(store, path, options.size, speculative);
  } catch (e) {
    if (!(e instanceof ProtocolError || e instanceof StorageError) || e instanceof NotFoundError) throw e;
    const meta = await store.head(path).catch(() => null);
    if (!meta || meta.size === options.size) throw e;
    return readTailAt(store, path, meta.size, speculative);
  }
}

async function sizeOf(store: ObjectStore, path: string): Promise<number> {
  const meta = await store.head(path);
  if (!meta) throw new NotFoundError(`${store.uri}/${path}`);
  return meta.size;
}

async function readTailAt(store: ObjectStore, path: string, size: number, speculative: number): Promise<ParquetTail> {
  if (size < 12) throw new ProtocolError(`not a Parquet file: ${size} bytes, less than magic + footer trailer`, path);
  const tailLen = Math.min(size, Math.max(12, speculative));
  const tail = await readExactRange(store, path, size - tailLen, size);
  const trailer = tail.subarray(tailLen - 8);
  if (trailer[4] !== 0x50 || trailer[5] !== 0x41 || trailer[6] !== 0x52 || trailer[7] !== 0x31) {
    throw new ProtocolError('not a Parquet file or truncated: no PAR1 magic at its end (encrypted footers "PARE" are not supported)', path);
  }
  const len = new DataView(trailer.buffer, trailer.byteOffset, 4).getUint32(0, true);
  if (len + 12 > size) throw new ProtocolError(`corrupt Parquet footer: footer length ${len} exceeds the file size ${size}`, path);
  // readParquetFooter decodes a whole-file layout: 4 leading bytes, the footer, the trailer.
  const whole = new Uint8Array(len + 12);
  if (len + 8 <= tailLen) {
    whole.set(tail.subarray(tailLen - 8 - len), 4);
  } else {
    const head = await readExactRange(store, path, size - 8 - len, size - tailLen);
    whole.set(head, 4);
    whole.set(tail, 4 + head.length);
  }
  let footer: ParquetFooter;
  try {
    footer = readParquetFooter(whole, path);
  } catch (e) {
    // The Thrift decoder names the footer in its message but not as the error's file.
    if (e instanceof ProtocolError && e.file === undefined) throw new ProtocolError(e.message, path, undefined, { cause: e });
    throw e;
  }
  return { footer, meta: whole.subarray(4, 4 + len), size, tail, tailStart: size - tailLen };
}
