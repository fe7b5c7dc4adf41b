// Aggregation state in the checkpoint location, versioned by batch id and written before the batch's sink commit
// (Spark's HDFS state store layout): `state/<id>.delta` holds what batch <id> changed, `state/<id>.snapshot` the
// whole state, every few batches; a restart replays the newest snapshot and the deltas after it. Versions before the
// snapshot a committed batch needs are deleted. JSON with bigints.
import { NotFoundError, StreamCheckpointError } from '../../errors.js';
import type { StreamCheckpoint } from '../checkpoint.js';

const enc = new TextEncoder();
const dec = new TextDecoder();

/** JSON text of `v`; bigints become {"$n": "digits"} so that longs, decimals and timestamps round-trip. */
export function encodeState(v: unknown): Uint8Array {
  let text: string;
  try {
    // Most states hold no bigint: JSON.stringify without a replacer is several times faster, and throws on one.
    text = JSON.stringify(v);
  } catch (e) {
    if (!(e instanceof TypeError)) throw e;
    text = JSON.stringify(v, (_k, x: unknown) => (typeof x === 'bigint' ? { $n: x.toString() } : x));
  }
  return enc.encode(text);
}

export function decodeState(bytes: Uint8Array): unknown {
  return JSON.parse(dec.decode(bytes), (_k, x: unknown) =>
    x !== null && typeof x === 'object' && !Array.isArray(x) && typeof (x as { $n?: unknown }).$n === 'string' && Object.keys(x).length === 1
      ? BigInt((x as { $n: string }).$n)
      : x,
  );
}

/** Which state files exist: batch id -> kind ('snapshot' for `<id>.snapshot` and the v1 full-state file `<id>`). */
type Versions = Map<number, 'snapshot' | 'delta'>;

export class StateStore {
  constructor(private readonly ckpt: StreamCheckpoint) {}

  private path(batchId: number, kind: 'snapshot' | 'delta'): string {
    return `${this.ckpt.prefix}state/${batchId}.${kind}`;
  }

  private async versions(): Promise<{ versions: Versions; paths: Map<number, string[]> }> {
    const base = `${this.ckpt.prefix}state/`;
    const versions: Versions = new Map();
    const paths = new Map<number, string[]>();
    for await (const m of this.ckpt.store.list(base, { recursive: false })) {
      const x = /^(\d+)(?:\.(snapshot|delta))?$/.exec(m.path.slice(base.length));
      if (!x) continue;
      const id = Number(x[1]);
      const kind = x[2] === 'delta' ? 'delta' : 'snapshot';
      if (versions.get(id) !== 'snapshot') versions.set(id, kind);
      paths.set(id, [...(paths.get(id) ?? []), m.path]);
    }
    return { versions, paths };
  }

  /**
   * The versions that rebuild the state after `batchId`, oldest first: the newest snapshot at or before it, then
   * every delta after that snapshot. StreamCheckpointError when one of them is missing or bad.
   */
  async load(batchId: number): Promise<{ batchId: number; state: unknown }[]> {
    const { versions } = await this.versions();
    let from = batchId;
    while (from >= 0 && versions.get(from) !== 'snapshot') from--;
    const out: { batchId: number; state: unknown }[] = [];
    for (let id = Math.max(from, 0); id <= batchId; id++) {
      const kind = id === from ? 'snapshot' : 'delta';
      if (versions.get(id) !== kind && !(kind === 'delta' && versions.get(id) === 'snapshot')) throw this.missing(batchId, id, kind);
      out.push({ batchId: id, state: await this.read(id, versions.get(id)!) });
      // A snapshot after the one found cannot be: `from` is the newest at or before batchId.
    }
    return out;
  }

  private missing(batchId: number, id: number, kind: string): StreamCheckpointError {
    const file = `${this.ckpt.location}/state/${id}.${kind}`;
    return new StreamCheckpointError(
      `the aggregation state of committed batch ${batchId} is missing (${file}): the query cannot resume without ` +
        'double counting; restore the checkpoint, or start a new checkpoint location and sink',
      batchId,
      file,
    );
  }

  private async read(id: number, kind: 'snapshot' | 'delta'): Promise<unknown> {
    const file = `${this.ckpt.location}/state/${id}.${kind}`;
    let bytes: Uint8Array;
    try {
      bytes = await this.ckpt.store.get(this.path(id, kind));
    } catch (e) {
      if (!(e instanceof NotFoundError)) throw e;
      if (kind === 'delta') throw this.missing(id, id, kind);
      // A v1 checkpoint: the whole state of each batch in `state/<id>`.
      try {
        bytes = await this.ckpt.store.get(`${this.ckpt.prefix}state/${id}`);
      } catch (e2) {
        if (e2 instanceof NotFoundError) throw this.missing(id, id, kind);
        throw e2;
      }
    }
    try {
      return decodeState(bytes);
    } catch (e) {
      throw new StreamCheckpointError(`corrupt aggregation state ${file}: ${(e as Error).message}`, id, file, { cause: e });
    }
  }

  /** Write the state version of `batchId`: the whole state (snapshot) or what the batch changed (delta). */
  async save(batchId: number, kind: 'snapshot' | 'delta', state: unknown): Promise<void> {
    await this.ckpt.store.put(this.path(batchId, kind), encodeState(state));
  }

  /**
   * `keepFrom` committed: a restart rebuilds from it or a later batch, so every version before the newest snapshot
   * at or before it is deleted (and a version of the other kind for the same batch, left by an older run).
   */
  async purgeBefore(keepFrom: number): Promise<void> {
    const { versions, paths } = await this.versions();
    let snap = keepFrom;
    while (snap >= 0 && versions.get(snap) !== 'snapshot') snap--;
    if (snap < 0) return;
    const doomed: string[] = [];
    for (const [id, list] of paths) if (id < snap) doomed.push(...list);
    if (doomed.length) await this.ckpt.store.deleteMany(doomed);
  }
}
