// The streaming runner's checkpoint location on an ObjectStore: `metadata`, `offsets/<batchId>`, `commits/<batchId>`.
// It records which offsets each batch covers and which batches the sink finished; it never reads sources or sinks.
import { v4 as uuidv4 } from 'uuid';
import type { ObjectStore } from '../storage/store.js';
import { InvalidArgumentError, NotFoundError, StreamCheckpointError } from '../errors.js';
import { openStreamStore } from './store.js';
import type { JsonValue } from './types.js';

/** `offsets/<batchId>`: written (putIfAbsent) BEFORE the batch runs, so a re-run reads exactly the same data. */
export interface OffsetLogEntry {
  batchId: number;
  /** End offset of the previous batch (null = from the source's beginning). */
  startOffset: JsonValue | null;
  endOffset: JsonValue;
  /** ms since epoch when the batch was planned. */
  timestamp: number;
}

/** `commits/<batchId>`: written after the sink committed (or skipped) the batch. */
export interface CommitLogEntry {
  batchId: number;
  sinkVersion?: number;
  skipped: boolean;
  timestamp: number;
}

/** Where a (re)started query resumes. */
export interface RecoveryState {
  queryId: string;
  /** Batch id the next planned batch gets. */
  nextBatchId: number;
  /** Start offset of the next planned batch. */
  startOffset: JsonValue | null;
  /** A batch whose offsets were logged but whose commit was not: re-run it with exactly these offsets. */
  pending?: OffsetLogEntry;
}

const enc = new TextEncoder();
const dec = new TextDecoder();

export class StreamCheckpoint {
  private constructor(
    readonly store: ObjectStore,
    /** Folder inside the store ('' or ending with '/'). */
    readonly prefix: string,
  ) {}

  /** A checkpoint location: a URI / path, or a folder inside an existing store. */
  static async open(location: string | ObjectStore, prefix = ''): Promise<StreamCheckpoint> {
    const store = typeof location === 'string' ? await openStreamStore(location) : location;
    const p = prefix === '' || prefix.endsWith('/') ? prefix : `${prefix}/`;
    return new StreamCheckpoint(store, p);
  }

  get location(): string {
    return `${this.store.uri}${this.prefix ? `/${this.prefix}` : ''}`;
  }

  /**
   * The checkpoint's query id: created on first use (the given id, or a new UUID). A different id given for an
   * existing checkpoint is refused: the sink's idempotence depends on the id staying the same.
   */
  async queryId(wanted?: string): Promise<string> {
    const path = `${this.prefix}metadata`;
    const existing = await this.readJson(path);
    if (existing !== undefined) {
      if (!isObject(existing) || typeof existing.id !== 'string' || existing.id === '') {
        throw this.corrupt(path, 'it has no query id');
      }
      if (wanted !== undefined && wanted !== existing.id) {
        throw new StreamCheckpointError(
          `checkpoint location ${this.location} belongs to query ${existing.id}, not ${wanted}: ` +
            'use the same queryId or a new checkpoint location',
        );
      }
      return existing.id;
    }
    const id = wanted ?? uuidv4();
    if (!(await this.store.putIfAbsent(path, enc.encode(JSON.stringify({ id }) + '\n')))) return this.queryId(wanted);
    return id;
  }

  /** Batch ids present in `dir` (offsets/ or commits/), ascending. */
  async batchIds(dir: 'offsets' | 'commits'): Promise<number[]> {
    const ids: number[] = [];
    const base = `${this.prefix}${dir}/`;
    for await (const m of this.store.list(base, { recursive: false })) {
      const name = m.path.slice(base.length);
      if (/^\d+$/.test(name)) ids.push(Number(name));
    }
    return ids.sort((a, b) => a - b);
  }

  /** The offsets of a batch, null when absent; StreamCheckpointError naming the file when it is not a valid entry. */
  async readOffsets(batchId: number): Promise<OffsetLogEntry | null> {
    const path = `${this.prefix}offsets/${batchId}`;
    const v = await this.readJson(path);
    if (v === undefined) return null;
    // A missing endOffset would silently restart the stream from the beginning: refuse instead.
    if (!isObject(v)) throw this.corrupt(path, 'it is not an offsets entry object', batchId);
    if (v.batchId !== batchId) throw this.corrupt(path, `it names batch ${JSON.stringify(v.batchId)}`, batchId);
    if (!('startOffset' in v) || v.startOffset === undefined) throw this.corrupt(path, 'it has no startOffset', batchId);
    if (!('endOffset' in v) || v.endOffset === undefined || v.endOffset === null) {
      throw this.corrupt(path, 'it has no endOffset', batchId);
    }
    if (typeof v.timestamp !== 'number') throw this.corrupt(path, 'it has no timestamp', batchId);
    return v as unknown as OffsetLogEntry;
  }

  /** The commit entry of a batch, null when absent; StreamCheckpointError naming the file when it is not valid. */
  async readCommit(batchId: number): Promise<CommitLogEntry | null> {
    const path = `${this.prefix}commits/${batchId}`;
    const v = await this.readJson(path);
    if (v === undefined) return null;
    if (!isObject(v) || v.batchId !== batchId || typeof v.skipped !== 'boolean') {
      throw this.corrupt(path, `it is not the commit entry of batch ${batchId}`, batchId);
    }
    return v as unknown as CommitLogEntry;
  }

  /**
   * Claim batch `entry.batchId` by creating offsets/<batchId>. Losing the race means another runner is planning
   * batches with this checkpoint: it fails with StreamCheckpointError.
   */
  async writeOffsets(entry: OffsetLogEntry): Promise<void> {
    const path = `${this.prefix}offsets/${entry.batchId}`;
    if (!(await this.store.putIfAbsent(path, enc.encode(JSON.stringify(entry) + '\n')))) {
      throw new StreamCheckpointError(
        `batch ${entry.batchId} was already planned at ${this.location}: another query is running with this checkpoint location`,
        entry.batchId,
      );
    }
  }

  /** Mark batch done. A commit entry written by a concurrent runner that re-ran the same batch is fine. */
  async writeCommit(entry: CommitLogEntry): Promise<void> {
    await this.store.putIfAbsent(`${this.prefix}commits/${entry.batchId}`, enc.encode(JSON.stringify(entry) + '\n'));
  }

  /**
   * Where to resume: after the last committed batch, or re-running the last planned batch when it has
   * offsets but no commit (the sink's txn makes the re-run idempotent).
   */
  async recover(wantedQueryId?: string): Promise<RecoveryState> {
    const queryId = await this.queryId(wantedQueryId);
    const offsets = await this.batchIds('offsets');
    const last = offsets.at(-1);
    if (last === undefined) return { queryId, nextBatchId: 0, startOffset: null };
    const entry = await this.readOffsets(last);
    if (!entry) throw new StreamCheckpointError(`checkpoint ${this.location}/offsets/${last} vanished during recovery`, last);
    if (await this.readCommit(last)) return { queryId, nextBatchId: last + 1, startOffset: entry.endOffset };
    return { queryId, nextBatchId: last, startOffset: entry.startOffset, pending: entry };
  }

  /** Delete offsets/commits entries of batches older than `keepFrom` (bounded log size). */
  async purge(keepFrom: number): Promise<void> {
    const doomed: string[] = [];
    for (const dir of ['offsets', 'commits'] as const) {
      for (const id of await this.batchIds(dir)) if (id < keepFrom) doomed.push(`${this.prefix}${dir}/${id}`);
    }
    if (doomed.length) await this.store.deleteMany(doomed);
  }

  /** Parsed JSON of a checkpoint file; undefined when the file is absent. */
  private async readJson(path: string): Promise<unknown> {
    let text: string;
    try {
      text = dec.decode(await this.store.get(path));
    } catch (e) {
      if (e instanceof NotFoundError) return undefined;
      throw e;
    }
    try {
      return JSON.parse(text) as unknown;
    } catch (e) {
      throw this.corrupt(path, (e as Error).message, undefined, e);
    }
  }

  private corrupt(path: string, why: string, batchId?: number, cause?: unknown): StreamCheckpointError {
    const file = `${this.location}/${path.slice(this.prefix.length)}`;
    return new StreamCheckpointError(
      `corrupt checkpoint file ${file}: ${why}; the query cannot resume safely (restore the file, or start a new ` +
        'checkpoint location with a new queryId)',
      batchId,
      file,
      cause === undefined ? undefined : { cause },
    );
  }
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

export function assertBatchId(batchId: number): void {
  if (!Number.isSafeInteger(batchId) || batchId < 0) throw new InvalidArgumentError(`invalid batchId ${batchId}`);
}
