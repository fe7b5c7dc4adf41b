// Scan: the read of one snapshot: partition pruning + stats skipping over Add actions, then row group by row group:
// row groups skipped by their Parquet statistics, the predicate's columns decoded first and the other projected
// columns only for row groups with matching rows, exact row filtering and projection. At most `concurrency` row
// groups are in flight, so memory follows row groups, not files; `limit` stops reading early. Output is an async
// iterator of Arrow RecordBatches, toArrow() and toArray().
import { RecordBatch, Table } from 'apache-arrow';
import type { Add } from '../log/actions.js';
import type { Snapshot } from '../log/snapshot.js';
import type { StructType } from '../schema/types.js';
import { toArrowSchema } from '../schema/arrow.js';
import { compilePredicate, parsePredicate, referencedColumnPaths, resolveColumn, type CompiledExpression, type Expr } from '../expr/index.js';
import { fileMayMatch } from './pruning.js';
import { DataFile } from './read_file.js';
import type { RowRange } from '../storage/parquet_source.js';
import { filterRows } from '../schema/access/take.js';
import { zipColumns } from '../schema/access/zip.js';
import { tableToObjects } from './objects_out.js';
import { InvalidArgumentError } from '../errors.js';
import { defaultThreads } from '../storage/parquet.js';

export interface ScanOptions {
  /** Top-level columns to return, in this order (default: all, in schema order). */
  columns?: string[];
  /** Row filter: an expression built with col()/and()/or()/not(), or a SQL-like predicate string. */
  filter?: Expr | string;
  /** Stop after this many rows. */
  limit?: number;
  /** Row groups read at once (default: the decode threads + 1, or 2 without them; see defaultScanConcurrency). */
  concurrency?: number;
  /** Worker threads that decode Parquet (default the available cores; 0 or 1: decode on the calling thread). */
  threads?: number;
  /**
   * Use the Parquet page index (ColumnIndex/OffsetIndex) where files have one: with a filter, decode only the data
   * pages that may hold matching rows (default true).
   */
  pageIndex?: boolean;
}

/** What a scan read (counted while it runs; complete once iteration ends). */
export interface ScanMetrics {
  /** Data files opened (after file skipping). */
  files: number;
  /** Row groups in the opened files. */
  rowGroups: number;
  /** Row groups skipped by their Parquet statistics or page index (nothing decoded). */
  rowGroupsSkipped: number;
  /** Row groups whose predicate columns were decoded and had no matching row (other columns not decoded). */
  rowGroupsFiltered: number;
  /** Row groups whose projected columns were decoded. */
  rowGroupsRead: number;
  /** Data pages decoded by a filtered scan of row groups read page by page (chunks with an OffsetIndex). */
  pagesRead: number;
  /** Data pages of those chunks not decoded: ruled out by the page index, or holding no matching row. */
  pagesSkipped: number;
}

/** A second read of the other projected columns takes the matching rows' runs exactly up to this many runs. */
const MAX_MATCH_RUNS = 64;

/** When the page index leaves at most 1/ONE_PASS_SHARE of a row group, the predicate and other columns are read in
 *  one pass: decoding the other columns of a few pages costs less than a second fetch and decode. */
const ONE_PASS_SHARE = 4;

const rowsIn = (rows: readonly RowRange[]): number => rows.reduce((n, r) => n + r.end - r.start, 0);

const zeroMetrics = (): ScanMetrics => ({ files: 0, rowGroups: 0, rowGroupsSkipped: 0, rowGroupsFiltered: 0, rowGroupsRead: 0, pagesRead: 0, pagesSkipped: 0 });

/**
 * Row groups a scan keeps in flight by default: one more than the pool decodes at once (each row group is several
 * decode tasks, one per ~4 MB of columns), so that one is fetched while the others decode; 2 without a pool. More
 * only holds more row groups waiting: measured on a 10M-row scan with 2 threads, peak RSS 275-285 MB with 4 in flight,
 * 262-267 MB with 3, 254-263 MB with 2 (2 was ~5% slower on a 2-column scan).
 */
export function defaultScanConcurrency(threads: number = defaultThreads()): number {
  return threads > 1 ? threads + 1 : 2;
}

export class Scan implements AsyncIterable<RecordBatch> {
  readonly filter?: Expr;
  private readonly predicate?: CompiledExpression;
  readonly columns: string[];
  private readonly readColumns: string[];
  /** Top-level columns the predicate references (decoded first). */
  private readonly predicateColumns: string[];
  readonly metrics: ScanMetrics = zeroMetrics();

  constructor(
    readonly snapshot: Snapshot,
    readonly options: ScanOptions = {},
  ) {
    const schema = snapshot.schema;
    const all = schema.fields.map((f) => f.name);
    // Projection and filter resolve names by the same rule (resolveColumn: exact, then case-insensitive).
    this.columns = (options.columns ?? all).map((c) => {
      const r = resolveColumn(schema, [c]);
      if (!r) throw new InvalidArgumentError(`unknown column '${c}' in scan columns (table has: ${all.join(', ')})`);
      return r.path[0]!;
    });
    if (options.filter !== undefined) {
      this.filter = typeof options.filter === 'string' ? parsePredicate(options.filter) : options.filter;
      // compiled once per scan: every file is filtered by the same predicate (one CURRENT_TIMESTAMP)
      this.predicate = compilePredicate(this.filter, schema);
    }
    const needed = new Set(this.columns);
    const inPredicate = new Set<string>();
    if (this.filter) for (const p of referencedColumnPaths(this.filter)) inPredicate.add(resolveColumn(schema, p)!.path[0]!);
    for (const c of inPredicate) needed.add(c);
    this.readColumns = all.filter((c) => needed.has(c));
    this.predicateColumns = all.filter((c) => inPredicate.has(c));
  }

  /** The active files that may hold matching rows (after partition pruning and stats skipping). */
  files(): Add[] {
    const files = this.snapshot.activeFiles();
    const filter = this.filter;
    if (!filter) return files;
    const config = this.snapshot.config;
    return files.filter((a) => fileMayMatch(a, filter, config));
  }

  /** Schema of the batches this scan yields. */
  outputSchema(): StructType {
    const byName = new Map(this.snapshot.schema.fields.map((f) => [f.name, f]));
    return { type: 'struct', fields: this.columns.map((c) => byName.get(c)!) };
  }

  async *[Symbol.asyncIterator](): AsyncIterator<RecordBatch> {
    const files = this.files();
    const snap = this.snapshot;
    const concurrency = Math.max(1, this.options.concurrency ?? defaultScanConcurrency(this.options.threads));
    const limit = this.options.limit ?? Infinity;
    let remaining = limit;
    const m = this.metrics;
    Object.assign(m, zeroMetrics());
    const filter = this.filter;

    // Files are opened (footer read) in order, a few ahead; each yields its row groups that may match.
    const opening: Promise<DataFile>[] = [];
    let nextFile = 0;
    const openAhead = (): void => {
      const ahead = Number.isFinite(limit) ? 1 : concurrency;
      while (opening.length < ahead && nextFile < files.length) {
        const p = DataFile.open({ store: snap.store, add: files[nextFile++]!, config: snap.config, columns: this.readColumns, threads: this.options.threads });
        p.catch(() => undefined); // observed when awaited
        opening.push(p);
      }
    };
    const units = async function* (this: Scan): AsyncGenerator<{ rows: number; read: () => Promise<Table | null> }> {
      openAhead();
      while (opening.length) {
        const file = await opening.shift()!;
        openAhead();
        m.files++;
        m.rowGroups += file.rowGroups.length;
        const groups = filter ? file.rowGroupsMayMatch(filter, snap.config) : file.rowGroups.map((g) => g.index);
        m.rowGroupsSkipped += file.rowGroups.length - groups.length;
        for (const g of groups) yield { rows: file.numRowsOf(g), read: () => this.readRowGroup(file, g) };
      }
    }.call(this);

    // Up to `concurrency` row groups in flight, yielded in file order. Without a filter, no more rows are
    // requested than the limit still needs.
    const inflight: Array<{ rows: number; result: Promise<Table | null> }> = [];
    let exhausted = false;
    const fill = async (): Promise<void> => {
      while (!exhausted && inflight.length < concurrency) {
        if (!this.predicate && inflight.reduce((n, u) => n + u.rows, 0) >= remaining) return;
        const next = await units.next();
        if (next.done) {
          exhausted = true;
          return;
        }
        const result = next.value.read();
        result.catch(() => undefined); // observed when awaited below
        inflight.push({ rows: next.value.rows, result });
      }
    };
    try {
      await fill();
      while (inflight.length && remaining > 0) {
        let t = await inflight.shift()!.result;
        if (t && t.numRows > 0) {
          if (t.numRows > remaining) t = t.slice(0, remaining);
          remaining -= t.numRows;
        }
        if (remaining > 0) await fill();
        if (t) for (const b of t.batches) if (b.numRows) yield b;
      }
    } finally {
      await units.return(undefined);
    }
  }

  /**
   * One row group of `file` as output rows: with a predicate, its columns are decoded and evaluated first, and
   * the other output columns are decoded only when some row matches. With the page index, only the pages that may
   * match are decoded for the predicate, and for the other columns only the pages that hold matching rows. Null
   * when no row matches.
   */
  private async readRowGroup(file: DataFile, g: number): Promise<Table | null> {
    const m = this.metrics;
    if (!this.predicate) {
      m.rowGroupsRead++;
      return file.read([g], this.columns);
    }
    const pages = { read: 0, skipped: 0 };
    let rows: RowRange[] | undefined;
    if (this.options.pageIndex !== false) {
      const may = await file.pageRangesMayMatch(g, this.filter!, this.snapshot.config);
      if (may && may.length === 0) {
        m.rowGroupsSkipped++;
        return null;
      }
      if (may && !(may.length === 1 && may[0]!.start === 0 && may[0]!.end === file.numRowsOf(g))) rows = may;
    }
    const usePages = this.options.pageIndex !== false;
    try {
      // When the page index left a small part of the row group, all columns are read in one pass (one fetch, one
      // decode); otherwise the predicate's columns first.
      const onePass = rows !== undefined && rowsIn(rows) * ONE_PASS_SHARE <= file.numRowsOf(g);
      const firstColumns = onePass ? this.readColumns : this.predicateColumns;
      const first = await file.read([g], firstColumns, rows ? { rows, pages } : {});
      const mask = this.predicate.mask(first);
      let matches = 0;
      for (let i = 0; i < mask.length; i++) matches += mask[i]!;
      if (matches === 0) {
        m.rowGroupsFiltered++;
        return null;
      }
      m.rowGroupsRead++;
      const have = new Set(firstColumns);
      const rest = this.columns.filter((c) => !have.has(c));
      if (!rest.length) {
        const all = selectColumns(first, this.columns);
        return matches === mask.length ? all : filterRows(all, mask);
      }
      // The other columns: only the matching rows' runs when they are few (their pages alone are decoded).
      const runs = usePages && matches < mask.length ? await file.maskedRanges(g, rows, mask, MAX_MATCH_RUNS) : null;
      if (runs) {
        const second = await file.read([g], rest, { rows: runs, pages });
        return zipColumns([filterRows(first, mask), second], this.columns);
      }
      const second = await file.read([g], rest, rows ? { rows, pages } : {});
      const all = zipColumns([first, second], this.columns);
      return matches === mask.length ? all : filterRows(all, mask);
    } finally {
      m.pagesRead += pages.read;
      m.pagesSkipped += pages.skipped;
    }
  }

  async toArrow(): Promise<Table> {
    const batches: RecordBatch[] = [];
    for await (const b of this) batches.push(b);
    if (batches.length === 0) return new Table(toArrowSchema(this.outputSchema()));
    return new Table(batches);
  }

  /** Rows as plain objects (long: bigint, decimal: string, timestamps and dates: Date, binary: Uint8Array). */
  async toArray(): Promise<Record<string, unknown>[]> {
    return tableToObjects(await this.toArrow(), this.outputSchema());
  }
}

/** The named columns of `t`, in that order (schema fields kept). */
function selectColumns(t: Table, names: string[]): Table {
  return zipColumns([t], names);
}
