// Parquet files with many data pages per row group (for page index tests), written by parquet-wasm directly, and a
// table whose one data file is such a file.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as arrow from 'apache-arrow';
import * as pw from 'parquet-wasm/node';
import { DeltaTable, Transaction, type StructType } from '../../src/index.js';
import { LocalStore } from '../../src/storage/local.js';
import { tempDir } from './tmp.js';

/**
 * Parquet bytes in row groups of `rowGroupRows` with small data pages. arrow-rs cuts a page of a nullable column only
 * between input batches, and then only past the page size limit: the input is cut into batches of `batchRows` rows,
 * and a page ends after a batch once it holds `pageBytes` (1: every batch is a page).
 */
export function smallPages(t: arrow.Table, rowGroupRows: number, opts: { v2?: boolean; pageBytes?: number; batchRows?: number } = {}): Uint8Array {
  let b = new pw.WriterPropertiesBuilder()
    .setMaxRowGroupSize(rowGroupRows)
    .setCompression(pw.Compression.SNAPPY)
    .setDataPageSizeLimit(opts.pageBytes ?? 512)
    .setWriteBatchSize(32)
    .setDictionaryPageSizeLimit(4096);
  if (opts.v2) b = b.setWriterVersion(pw.WriterVersion.V2);
  const step = Math.max(1, opts.batchRows ?? 50);
  const batches: arrow.RecordBatch[] = [];
  for (let s = 0; s < t.numRows; s += step) batches.push(...t.slice(s, s + step).batches);
  return pw.writeParquet(pw.Table.fromIPCStream(arrow.tableToIPC(new arrow.Table(t.schema, batches), 'stream')), b.build());
}

/** A table of `schema` whose one data file is `bytes`, committed without Delta stats (so no file skipping). */
export async function tableOfFile(schema: StructType, bytes: Uint8Array, properties: Record<string, string> = {}, dir = tempDir('pages-')): Promise<{ dir: string; t: DeltaTable }> {
  const t = await DeltaTable.create(dir, { schema, properties });
  writeFileSync(join(dir, 'data.parquet'), bytes);
  await new Transaction(new LocalStore(dir), t.snapshot, { operation: 'WRITE', operationParameters: { mode: 'Append' } })
    .addActions([{ add: { path: 'data.parquet', partitionValues: {}, size: bytes.length, modificationTime: Date.now(), dataChange: true } }])
    .commit();
  return { dir, t: await DeltaTable.open(dir) };
}
