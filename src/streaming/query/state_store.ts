// Aggregation state in the checkpoint location: `state/<batchId>` holds the whole state after that batch, written
// before the batch's sink commit; versions older than the last committed batch are deleted. JSON with bigints.
import { NotFoundError, StreamCheckpointError } from '../../errors.js';
import type { StreamCheckpoint } from '../checkpoint.js';

const enc = new TextEncoder();
const dec = new TextDecoder();

/** JSON text of `v`; bigints become {"$n": "digits"} so that longs, decimals and timestamps round-trip. */
export function encodeState(v: unknown): Uint8Array {
  return enc.encode(JSON.stringify(v, (_k, x: unknown) => (typeof x === 'bigint' ? { $n: x.toString() } : x)));
}

export function decodeState(bytes: Uint8Array): unknown {
  return JSON.parse(dec.decode(bytes), (_k, x: unknown) =>
    x !== null && typeof x === 'object' && !Array.isArray(x) && typeof (x as { $n?: unknown }).$n === 'string' && Object.keys(x).length === 1
      ? BigInt((x as { $n: string }).$n)
      : x,
  );
}

export class StateStore {
  constructor(private readonly ckpt: StreamCheckpoint) {}

  private path(batchId: number): string {
    return `${this.ckpt.prefix}state/${batchId}`;
  }

  /** The state after `batchId`; StreamCheckpointError when that batch committed but its state is missing or bad. */
  async load(batchId: number): Promise<unknown> {
    const file = `${this.ckpt.location}/state/${batchId}`;
    let bytes: Uint8Array;
    try {
      bytes = await this.ckpt.store.get(this.path(batchId));
    } catch (e) {
      if (e instanceof NotFoundError) {
        throw new StreamCheckpointError(
          `the aggregation state of committed batch ${batchId} is missing (${file}): the query cannot resume without ` +
            'double counting; restore the checkpoint, or start a new checkpoint location and sink',
          batchId,
          file,
        );
      }
      throw e;
    }
    try {
      return decodeState(bytes);
    } catch (e) {
      throw new StreamCheckpointError(`corrupt aggregation state ${file}: ${(e as Error).message}`, batchId, file, { cause: e });
    }
  }

  async save(batchId: number, state: unknown): Promise<void> {
    await this.ckpt.store.put(this.path(batchId), encodeState(state));
  }

  /** Delete state versions before `keepFrom` (they can never be needed again once `keepFrom` committed). */
  async purgeBefore(keepFrom: number): Promise<void> {
    const base = `${this.ckpt.prefix}state/`;
    const doomed: string[] = [];
    for await (const m of this.ckpt.store.list(base, { recursive: false })) {
      const name = m.path.slice(base.length);
      if (/^\d+$/.test(name) && Number(name) < keepFrom) doomed.push(m.path);
    }
    if (doomed.length) await this.ckpt.store.deleteMany(doomed);
  }
}
