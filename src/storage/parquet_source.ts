// ParquetSource: the read of ONE Parquet file through an ObjectStore: its footer (read once, cached) and the
// decode of selected row groups and top-level columns into Arrow. src/table reads data files only through it.
// This version fetches the whole object once (cached in the source) and decodes with parquet-wasm.
import type * as arrow from 'apache-arrow';
import { InvalidArgumentError } from '../errors.js';
import { readParquet } from './parquet.js';
import { readParquetFooter, type ParquetFooter } from './parquet_footer.js';
import type { ObjectStore } from './store.js';

export interface ParquetSource {
  readonly path: string;
  /** The footer (schema, row groups with per-column-chunk stats, offsets and sizes), read once and cached. */
  footer(): Promise<ParquetFooter>;
  /** Decode the given row groups (file order), only the given top-level columns (undefined = all). */
  readRowGroups(rowGroups: number[], columns?: string[]): Promise<arrow.Table>;
}

export interface ParquetSourceOptions {
  /** Size of the object in bytes when known (add.size), so that no request is spent on it. */
  size?: number;
}

/** A ParquetSource over `path` of `store`. Nothing is read until footer() or readRowGroups() is called. */
export function openParquetSource(store: ObjectStore, path: string, options: ParquetSourceOptions = {}): ParquetSource {
  return new WholeObjectSource(store, path, options);
}

class WholeObjectSource implements ParquetSource {
  private bytes: Promise<Uint8Array> | undefined;
  private footerP: Promise<ParquetFooter> | undefined;

  constructor(
    private readonly store: ObjectStore,
    readonly path: string,
    private readonly options: ParquetSourceOptions,
  ) {}

  private load(): Promise<Uint8Array> {
    this.bytes ??= this.store.get(this.path);
    return this.bytes;
  }

  footer(): Promise<ParquetFooter> {
    this.footerP ??= this.load().then((b) => readParquetFooter(b, this.path));
    return this.footerP;
  }

  async readRowGroups(rowGroups: number[], columns?: string[]): Promise<arrow.Table> {
    const [bytes, footer] = await Promise.all([this.load(), this.footer()]);
    let rows = 0;
    for (const g of rowGroups) {
      const rg = footer.rowGroups[g];
      if (!Number.isInteger(g) || !rg) {
        throw new InvalidArgumentError(`${this.path}: row group ${g} does not exist (the file has ${footer.rowGroups.length})`);
      }
      rows = Math.max(rows, rg.numRows);
    }
    // One batch per row group (parquet-wasm's default of 1024 rows makes every later step pay per batch).
    return readParquet(bytes, {
      rowGroups,
      columns,
      footer,
      file: this.path,
      batchSize: Math.max(1, Math.min(rows, 1 << 20)),
    });
  }
}
