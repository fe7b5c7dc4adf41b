// The `ARROW:schema` key of a Parquet footer (base64 of an IPC-framed Arrow Schema message, written by arrow-rs and
// pyarrow) cut down to some top-level fields, so a file whose Parquet schema was pruned keeps its Arrow type hints.
import { Schema, Table, tableFromIPC, tableToIPC } from 'apache-arrow';

export const ARROW_SCHEMA_KEY = 'ARROW:schema';

/** IPC end-of-stream marker: continuation + zero length. */
const EOS = new Uint8Array([0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0]);

/** Recent results of pruneArrowSchema (a scan cuts the same hint to the same columns once per row group). */
const pruned = new Map<string, string | null>();
const PRUNED_CACHE = 64;

/** The hint keeping only the top-level fields in `keep` (in their order), or null when it cannot be decoded. */
export function pruneArrowSchema(base64: string, keep: ReadonlySet<string>): string | null {
  const key = `${[...keep].sort().join('\u0000')}\u0001${base64}`;
  if (pruned.has(key)) return pruned.get(key)!;
  const out = pruneUncached(base64, keep);
  if (pruned.size >= PRUNED_CACHE) pruned.delete(pruned.keys().next().value!);
  pruned.set(key, out);
  return out;
}

function pruneUncached(base64: string, keep: ReadonlySet<string>): string | null {
  let schema: Schema;
  try {
    const message = Buffer.from(base64, 'base64');
    const stream = new Uint8Array(message.length + EOS.length);
    stream.set(message, 0);
    stream.set(EOS, message.length);
    schema = tableFromIPC(stream).schema;
  } catch {
    return null;
  }
  const pruned = new Schema(schema.fields.filter((f) => keep.has(f.name)), schema.metadata);
  const ipc = tableToIPC(new Table(pruned), 'stream');
  // The stream starts with the schema message: continuation marker, int32 length, the flatbuffer.
  const view = new DataView(ipc.buffer, ipc.byteOffset, ipc.byteLength);
  if (view.getInt32(0, true) !== -1) return null;
  const len = view.getInt32(4, true);
  return Buffer.from(ipc.subarray(0, 8 + len)).toString('base64');
}
