// A pool of worker threads (node:worker_threads) that decode and encode Parquet with parquet-wasm off the main
// thread. Buffers move by transfer, not copy. Workers start lazily, hold the process open only while they have a
// task, and one that dies fails its task with ParquetWorkerError and is replaced by a fresh one on the next task.
// WASM memory never shrinks: a worker idle for `idleMs` stops (its memory goes back; the next task starts a fresh
// one), and one whose memory grew past `recycleAbove` is replaced after its task.
import { availableParallelism } from 'node:os';
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import { InvalidArgumentError, ParquetWorkerError } from '../errors.js';
import type { DecodeRequest, EncodeRequest } from './parquet_wasm.js';
import type { WorkerReply, WorkerTask } from './parquet_worker.js';

/** A task's input bytes and whether the caller gives them up (transfer) or keeps them (the pool copies). */
export interface PoolInput {
  bytes: Uint8Array;
  /** The caller will not use `bytes` again: its buffer may be moved to the worker (detached here). */
  transfer?: boolean;
  /** Names the file in errors. */
  file?: string;
}

interface Pending {
  task: WorkerTask;
  transfer: ArrayBuffer[];
  file?: string;
  resolve: (bytes: Uint8Array) => void;
  reject: (e: Error) => void;
}

interface Slot {
  worker: Worker;
  current: Pending | null;
  dead: boolean;
  idle?: NodeJS.Timeout;
}

/** Worker threads a pool gets when none is given: the cores Node may use. */
export function defaultThreads(): number {
  return availableParallelism();
}

/**
 * Start a worker on the entry beside this module: the .js file in the built package, or the .ts source when this
 * module itself runs from source (tsx, vitest), then through tsx's loader registered inside the worker.
 */
function startWorker(): Worker {
  if (!import.meta.url.endsWith('.ts')) return new Worker(new URL('./parquet_worker.js', import.meta.url));
  const entry = new URL('./parquet_worker.ts', import.meta.url).href;
  // tsx's ESM api (dev dependency; only source runs get here), the `import` export of the package.
  const pkg = createRequire(import.meta.url).resolve('tsx/package.json');
  const api = new URL('./dist/esm/api/index.mjs', pathToFileURL(pkg)).href;
  const boot = `import(${JSON.stringify(api)}).then((m) => { (m.register ?? m.default.register)(); return import(${JSON.stringify(entry)}); })`;
  return new Worker(boot, { eval: true });
}

export class ParquetWorkerPool {
  private readonly slots: Slot[] = [];
  private readonly queue: Pending[] = [];
  private nextId = 1;
  /** Workers started so far (replacements included). */
  started = 0;

  constructor(
    readonly size: number,
    /** Replace a worker whose WASM memory grew past this many bytes (default 1 GiB). */
    readonly recycleAbove = 1024 * 1024 * 1024,
    /** Stop a worker idle this long (ms), returning its WASM memory (default 2 s). */
    readonly idleMs = 2000,
  ) {
    if (!Number.isInteger(size) || size < 1) throw new InvalidArgumentError(`a Parquet worker pool needs at least one thread, got ${size}`);
  }

  /** Decode Parquet bytes to an Arrow IPC stream in a worker. */
  decode(input: PoolInput, request: DecodeRequest): Promise<Uint8Array> {
    return this.submit('decode', input, request);
  }

  /** Encode an Arrow IPC stream as Parquet bytes in a worker. */
  encode(input: PoolInput, request: EncodeRequest): Promise<Uint8Array> {
    return this.submit('encode', input, request);
  }

  /** Stop every worker; queued tasks fail. The pool can be used again (workers start anew). */
  async close(): Promise<void> {
    const slots = this.slots.splice(0);
    for (const p of this.queue.splice(0)) p.reject(new ParquetWorkerError('the Parquet worker pool was closed', p.file));
    await Promise.all(slots.map((s) => s.worker.terminate()));
  }

  /** Live workers (for tests and diagnostics). */
  get threads(): number {
    return this.slots.length;
  }

  /** Terminate one busy worker as a crash would (tests). */
  async killBusyWorkerForTest(): Promise<boolean> {
    const slot = this.slots.find((s) => s.current);
    if (!slot) return false;
    await slot.worker.terminate();
    return true;
  }

  private submit(kind: 'decode' | 'encode', input: PoolInput, request: DecodeRequest | EncodeRequest): Promise<Uint8Array> {
    // Only a buffer the view covers entirely, and the caller gives up, is moved; anything else is copied once.
    const whole = input.bytes.byteOffset === 0 && input.bytes.byteLength === input.bytes.buffer.byteLength;
    const bytes = input.transfer && whole && input.bytes.buffer instanceof ArrayBuffer ? input.bytes : input.bytes.slice();
    const task = { id: this.nextId++, kind, bytes, request } as WorkerTask;
    return new Promise<Uint8Array>((resolve, reject) => {
      this.queue.push({ task, transfer: [bytes.buffer as ArrayBuffer], file: input.file, resolve, reject });
      this.dispatch();
    });
  }

  private dispatch(): void {
    while (this.queue.length) {
      let slot = this.slots.find((s) => !s.current && !s.dead);
      if (!slot) {
        if (this.slots.length >= this.size) return;
        slot = this.spawn();
      }
      const p = this.queue.shift()!;
      clearTimeout(slot.idle);
      slot.current = p;
      slot.worker.ref(); // a task in flight keeps the process alive until it settles
      slot.worker.postMessage(p.task, p.transfer);
    }
  }

  private spawn(): Slot {
    const worker = startWorker();
    worker.unref();
    this.started++;
    const slot: Slot = { worker, current: null, dead: false };
    this.slots.push(slot);
    worker.on('message', (reply: WorkerReply) => {
      const p = slot.current;
      if (!p || p.task.id !== reply.id) return;
      slot.current = null;
      worker.unref();
      if (reply.ok) p.resolve(reply.bytes);
      else p.reject(new Error(reply.message));
      if ((!reply.ok && reply.fatal) || (reply.ok && reply.memory > this.recycleAbove)) this.retire(slot, null);
      this.dispatch();
      if (!slot.current && !slot.dead) {
        slot.idle = setTimeout(() => !slot.current && this.retire(slot, null), this.idleMs);
        slot.idle.unref();
      }
    });
    worker.on('error', (e) => this.retire(slot, e));
    worker.on('exit', (code) => this.retire(slot, new Error(`exit code ${code}`)));
    return slot;
  }

  /** Drop a worker that died (or must not be reused): fail its task; the next task starts a fresh worker. */
  private retire(slot: Slot, cause: Error | null): void {
    if (slot.dead) return;
    slot.dead = true;
    clearTimeout(slot.idle);
    const i = this.slots.indexOf(slot);
    if (i >= 0) this.slots.splice(i, 1);
    const p = slot.current;
    slot.current = null;
    if (p) {
      const what = p.task.kind === 'decode' ? 'decoding' : 'encoding';
      p.reject(new ParquetWorkerError(`the Parquet worker thread died while ${what}${cause ? ` (${cause.message})` : ''}`, p.file, { cause }));
    }
    if (!cause) void slot.worker.terminate();
    this.dispatch();
  }
}

const shared = new Map<number, ParquetWorkerPool>();

/**
 * The process-wide pool for `threads` workers (default: the available cores); null when `threads` is 0 or 1, which
 * means encode and decode on the calling thread.
 */
export function parquetPool(threads: number = defaultThreads()): ParquetWorkerPool | null {
  if (!Number.isInteger(threads) || threads < 0) throw new InvalidArgumentError(`threads must be a non-negative integer, got ${threads}`);
  if (threads <= 1) return null;
  let pool = shared.get(threads);
  if (!pool) shared.set(threads, (pool = new ParquetWorkerPool(threads)));
  return pool;
}
