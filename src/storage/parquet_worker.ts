// Entry of a Parquet worker thread (started by parquet_pool.ts): decodes Parquet to Arrow IPC and encodes Arrow IPC
// to Parquet with parquet-wasm, handing every result back as a transferred buffer. Holds no state between tasks, and
// no buffer either: the task's input goes back with the reply (see WorkerReply.spent).
import { parentPort } from 'node:worker_threads';
import { decodeToIPC, encodeFromIPC, parquetWasmMessage, wasmMemoryBytes, type DecodeRequest, type EncodeRequest } from './parquet_wasm.js';

export type WorkerTask =
  | { id: number; kind: 'decode'; bytes: Uint8Array; request: DecodeRequest }
  | { id: number; kind: 'encode'; bytes: Uint8Array; request: EncodeRequest };

export type WorkerReply =
  /** `memory`: the worker's WASM memory after the task (it never shrinks; the pool replaces a worker grown too big). */
  | { id: number; ok: true; bytes: Uint8Array; memory: number; spent: Uint8Array }
  /** `fatal`: the WASM instance trapped (a Rust panic) and must not be used again. */
  | { id: number; ok: false; message: string; fatal: boolean; spent: Uint8Array };

const port = parentPort;
if (port) {
  port.on('message', (task: WorkerTask) => {
    let reply: WorkerReply;
    let transfer: ArrayBuffer[] = [];
    try {
      const out = task.kind === 'decode' ? decodeToIPC(task.bytes, task.request) : encodeFromIPC(task.bytes, task.request);
      const owned = out.byteOffset === 0 && out.byteLength === out.buffer.byteLength ? out : out.slice();
      reply = { id: task.id, ok: true, bytes: owned, memory: wasmMemoryBytes(), spent: task.bytes };
      transfer = [owned.buffer as ArrayBuffer];
    } catch (e) {
      reply = { id: task.id, ok: false, message: parquetWasmMessage(e), fatal: e instanceof Error && e.constructor.name === 'RuntimeError', spent: task.bytes };
    }
    // The input is moved out with the reply: a dead buffer left here is freed only by this thread's next garbage
    // collection, and a worker allocates so little on its JS heap that collections are rare (measured: ~50 MB of
    // spent row groups held across the two workers of a 10M-row scan).
    transfer.push(task.bytes.buffer as ArrayBuffer);
    port.postMessage(reply, transfer);
  });
}
