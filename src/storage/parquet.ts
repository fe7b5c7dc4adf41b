// The Parquet seam: encode Arrow tables to Parquet bytes and decode Parquet bytes to Arrow, via parquet-wasm.
// src/log and src/table use these functions only; nothing else imports parquet-wasm.
import * as pw from 'parquet-wasm/node';
import { tableFromIPC, tableToIPC, type Table } from 'apache-arrow';

export type ParquetCompression = 'snappy' | 'zstd' | 'uncompressed' | 'gzip';

export interface ParquetWriteOptions {
  compression?: ParquetCompression;
  /** Max rows per row group. */
  rowGroupSize?: number;
  createdBy?: string;
  keyValueMetadata?: Record<string, string>;
}

export interface ParquetReadOptions {
  /** Top-level column names (as stored in the file) to read; all when omitted. */
  columns?: string[];
  batchSize?: number;
}

const COMPRESSION: Record<ParquetCompression, pw.Compression> = {
  snappy: pw.Compression.SNAPPY,
  zstd: pw.Compression.ZSTD,
  gzip: pw.Compression.GZIP,
  uncompressed: pw.Compression.UNCOMPRESSED,
};

export function writeParquet(table: Table, options: ParquetWriteOptions = {}): Uint8Array {
  let b = new pw.WriterPropertiesBuilder().setCompression(COMPRESSION[options.compression ?? 'snappy']);
  if (options.rowGroupSize) b = b.setMaxRowGroupSize(options.rowGroupSize);
  if (options.createdBy) b = b.setCreatedBy(options.createdBy);
  if (options.keyValueMetadata) b = b.setKeyValueMetadata(new Map(Object.entries(options.keyValueMetadata)));
  const wasmTable = pw.Table.fromIPCStream(tableToIPC(table, 'stream'));
  return pw.writeParquet(wasmTable, b.build());
}

export function readParquet(bytes: Uint8Array, options: ParquetReadOptions = {}): Table {
  const opts: pw.ReaderOptions = {};
  if (options.columns) opts.columns = options.columns;
  if (options.batchSize) opts.batchSize = options.batchSize;
  const wasmTable = pw.readParquet(bytes, opts);
  return tableFromIPC(wasmTable.intoIPCStream());
}

/** Names of the top-level columns stored in a Parquet file (reads the footer schema only). */
export function parquetColumnNames(bytes: Uint8Array): string[] {
  const t = pw.readParquet(bytes, { limit: 0 });
  const schema = tableFromIPC(t.intoIPCStream()).schema;
  return schema.fields.map((f) => f.name);
}
