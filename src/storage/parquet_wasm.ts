// The one module that calls parquet-wasm: Parquet bytes <-> Arrow IPC stream bytes. It runs on the main thread and
// in the worker pool's threads alike (parquet_worker.ts), so it knows no Arrow JS objects, no Delta and no I/O.
// parquet-wasm is loaded on the first call, not on import: instantiating it costs ~20 MB of memory, which a
// thread that never encodes or decodes (the main thread while the pool decodes) should not pay. Its Node build is
// CommonJS and instantiates synchronously, so a lazy require keeps these functions synchronous.
import { createRequire } from 'node:module';
import type * as PW from 'parquet-wasm/node';

export type ParquetCompression = 'snappy' | 'zstd' | 'uncompressed' | 'gzip';

export interface DecodeRequest {
  /** Top-level column names (as stored in the file); all when omitted. */
  columns?: string[];
  /** Row group indexes, in file order; all when omitted. */
  rowGroups?: number[];
  batchSize?: number;
}

export interface EncodeRequest {
  compression: ParquetCompression;
  /** Max rows per row group. */
  rowGroupSize?: number;
  createdBy?: string;
  keyValueMetadata?: Record<string, string>;
  /** Write no column statistics (min/max/null count, chunk and page) for these top-level columns, or for any. */
  noStatistics?: 'all' | string[];
}

let loaded: typeof PW | undefined;

/** parquet-wasm, instantiated in this thread on first use. */
function wasm(): typeof PW {
  return (loaded ??= createRequire(import.meta.url)('parquet-wasm/node') as typeof PW);
}

/** Whether this thread has instantiated parquet-wasm (tests, diagnostics). */
export function parquetWasmLoaded(): boolean {
  return loaded !== undefined;
}

const COMPRESSION: Record<ParquetCompression, keyof typeof PW.Compression> = {
  snappy: 'SNAPPY',
  zstd: 'ZSTD',
  gzip: 'GZIP',
  uncompressed: 'UNCOMPRESSED',
};

/** Decode Parquet bytes to an Arrow IPC stream (a fresh buffer, safe to transfer). */
export function decodeToIPC(bytes: Uint8Array, request: DecodeRequest = {}): Uint8Array {
  const opts: PW.ReaderOptions = {};
  if (request.columns) opts.columns = request.columns;
  if (request.rowGroups) opts.rowGroups = request.rowGroups;
  if (request.batchSize) opts.batchSize = request.batchSize;
  return wasm().readParquet(bytes, opts).intoIPCStream();
}

/** Encode an Arrow IPC stream as Parquet bytes (a fresh buffer, safe to transfer). */
export function encodeFromIPC(ipc: Uint8Array, request: EncodeRequest): Uint8Array {
  const pw = wasm();
  let b = new pw.WriterPropertiesBuilder().setCompression(pw.Compression[COMPRESSION[request.compression]]);
  if (request.rowGroupSize) b = b.setMaxRowGroupSize(request.rowGroupSize);
  if (request.createdBy) b = b.setCreatedBy(request.createdBy);
  if (request.keyValueMetadata) b = b.setKeyValueMetadata(new Map(Object.entries(request.keyValueMetadata)));
  if (request.noStatistics === 'all') b = b.setStatisticsEnabled(pw.EnabledStatistics.None);
  else for (const c of request.noStatistics ?? []) b = b.setColumnStatisticsEnabled(c, pw.EnabledStatistics.None);
  return pw.writeParquet(pw.Table.fromIPCStream(ipc), b.build());
}

/** Size of this thread's WASM linear memory: it grows to the largest task's need and never shrinks. */
export function wasmMemoryBytes(): number {
  return wasm().wasmMemory().buffer.byteLength;
}

/** parquet-wasm throws plain Errors or strings; keep its first line. */
export function parquetWasmMessage(e: unknown): string {
  const text = e instanceof Error ? e.message : String(e);
  return text.split('\n')[0]!.slice(0, 300);
}
