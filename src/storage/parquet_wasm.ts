// The one module that calls parquet-wasm: Parquet bytes <-> Arrow IPC stream bytes. It runs on the main thread and
// in the worker pool's threads alike (parquet_worker.ts), so it knows no Arrow JS objects, no Delta and no I/O.
import * as pw from 'parquet-wasm/node';

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
}

const COMPRESSION: Record<ParquetCompression, pw.Compression> = {
  snappy: pw.Compression.SNAPPY,
  zstd: pw.Compression.ZSTD,
  gzip: pw.Compression.GZIP,
  uncompressed: pw.Compression.UNCOMPRESSED,
};

/** Decode Parquet bytes to an Arrow IPC stream (a fresh buffer, safe to transfer). */
export function decodeToIPC(bytes: Uint8Array, request: DecodeRequest = {}): Uint8Array {
  const opts: pw.ReaderOptions = {};
  if (request.columns) opts.columns = request.columns;
  if (request.rowGroups) opts.rowGroups = request.rowGroups;
  if (request.batchSize) opts.batchSize = request.batchSize;
  return pw.readParquet(bytes, opts).intoIPCStream();
}

/** Encode an Arrow IPC stream as Parquet bytes (a fresh buffer, safe to transfer). */
export function encodeFromIPC(ipc: Uint8Array, request: EncodeRequest): Uint8Array {
  let b = new pw.WriterPropertiesBuilder().setCompression(COMPRESSION[request.compression]);
  if (request.rowGroupSize) b = b.setMaxRowGroupSize(request.rowGroupSize);
  if (request.createdBy) b = b.setCreatedBy(request.createdBy);
  if (request.keyValueMetadata) b = b.setKeyValueMetadata(new Map(Object.entries(request.keyValueMetadata)));
  return pw.writeParquet(pw.Table.fromIPCStream(ipc), b.build());
}

/** Size of this thread's WASM linear memory: it grows to the largest task's need and never shrinks. */
export function wasmMemoryBytes(): number {
  return pw.wasmMemory().buffer.byteLength;
}

/** parquet-wasm throws plain Errors or strings; keep its first line. */
export function parquetWasmMessage(e: unknown): string {
  const text = e instanceof Error ? e.message : String(e);
  return text.split('\n')[0]!.slice(0, 300);
}
