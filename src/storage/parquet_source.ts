// ParquetSource: the read of ONE Parquet file through an ObjectStore: its footer (read once, cached) and the
// decode of selected row groups and top-level columns into Arrow. src/table reads data files only through it.
// The bytes come by ranged reads: the footer, then only the selected row groups' column chunks (parquet_ranged.ts).
import type * as arrow from 'apache-arrow';
import { InvalidArgumentError } from '../errors.js';
import type { ParquetFooter } from './parquet_footer.js';
import type { ParquetThreadOptions } from './parquet.js';
import type { RowRange } from './parquet_page_index.js';
import { RangedParquetFile, type ChunkPageIndex, type RowsRead } from './parquet_ranged.js';
import type { ObjectStore } from './store.js';

export type { ChunkPageIndex, RowsRead } from './parquet_ranged.js';
export type { ColumnIndex, OffsetIndex, PageLocation, RowRange } from './parquet_page_index.js';

export interface ParquetSource {
  readonly path: string;
  /** The footer (schema, row groups with per-column-chunk stats, offsets and sizes), read once and cached. */
  footer(): Promise<ParquetFooter>;
  /** Decode the given row groups (file order), only the given top-level columns (undefined = all). */
  readRowGroups(rowGroups: number[], columns?: string[]): Promise<arrow.Table>;
  /** The page index (OffsetIndex, and ColumnIndex with `withColumnIndex`) of leaves (file leaf order) of a row group. */
  pageIndex(rowGroup: number, leaves: readonly number[], withColumnIndex?: boolean): Promise<Map<number, ChunkPageIndex>>;
  /** Decode only the rows `rows` (sorted, disjoint) of one row group, top-level `columns` only (file column order),
   *  reading only the data pages that hold them where the page index allows. */
  readRows(rowGroup: number, rows: readonly RowRange[], columns: readonly string[]): Promise<RowsRead>;
}

export interface ParquetSourceOptions extends ParquetThreadOptions {
  /** Size of the object in bytes when known (add.size), so that no request is spent on it. */
  size?: number;
}

/** A ParquetSource over `path` of `store`. Nothing is read until footer() or readRowGroups() is called. */
export function openParquetSource(store: ObjectStore, path: string, options: ParquetSourceOptions = {}): ParquetSource {
  // Decoded in the worker pool (options.threads): the compact file of the fetched chunks is transferred, not copied.
  return new RangedSource(new RangedParquetFile(store, path, options));
}

/** Ranged reads (parquet_ranged.ts): the footer by a tail read, then only the selected column chunks. */
class RangedSource implements ParquetSource {
  constructor(private readonly file: RangedParquetFile) {}

  get path(): string {
    return this.file.path;
  }

  footer(): Promise<ParquetFooter> {
    return this.file.footer();
  }

  pageIndex(rowGroup: number, leaves: readonly number[], withColumnIndex?: boolean): Promise<Map<number, ChunkPageIndex>> {
    return this.file.pageIndex(rowGroup, leaves, withColumnIndex);
  }

  readRows(rowGroup: number, rows: readonly RowRange[], columns: readonly string[]): Promise<RowsRead> {
    return this.file.readRows(rowGroup, rows, columns);
  }

  async readRowGroups(rowGroups: number[], columns?: string[]): Promise<arrow.Table> {
    const footer = await this.file.footer();
    let rows = 0;
    for (const g of rowGroups) {
      const rg = footer.rowGroups[g];
      if (!Number.isInteger(g) || !rg) {
        throw new InvalidArgumentError(`${this.path}: row group ${g} does not exist (the file has ${footer.rowGroups.length})`);
      }
      rows = Math.max(rows, rg.numRows);
    }
    // One batch per row group (parquet-wasm's default of 1024 rows makes every later step pay per batch).
    return this.file.readRowGroups(rowGroups, columns, Math.max(1, Math.min(rows, 1 << 20)));
  }
}
