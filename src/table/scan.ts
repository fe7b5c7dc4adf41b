// Scan: the read of one snapshot: partition pruning + stats skipping over Add actions, then per-file reads with
// exact row filtering and projection. Output is an async iterator of Arrow RecordBatches, toArrow() and toArray().
import { RecordBatch, Table } from 'apache-arrow';
import type { Add } from '../log/actions.js';
import type { Snapshot } from '../log/snapshot.js';
import type { StructType } from '../schema/types.js';
import { toArrowSchema } from '../schema/arrow.js';
import { compilePredicate, parsePredicate, referencedColumnPaths, resolveColumn, type CompiledExpression, type Expr } from '../expr/index.js';
import { fileMayMatch } from './pruning.js';
import { readDataFile } from './read_file.js';
import { tableToObjects } from './objects_out.js';
import { InvalidArgumentError } from '../errors.js';

export interface ScanOptions {
  /** Top-level columns to return, in this order (default: all, in schema order). */
  columns?: string[];
  /** Row filter: an expression built with col()/and()/or()/not(), or a SQL-like predicate string. */
  filter?: Expr | string;
  /** Stop after this many rows. */
  limit?: number;
  /** Files read at once (default 4). */
  concurrency?: number;
  /** Worker threads that decode Parquet (default the available cores; 0 or 1: decode on the calling thread). */
  threads?: number;
}

export class Scan implements AsyncIterable<RecordBatch> {
  readonly filter?: Expr;
  private readonly predicate?: CompiledExpression;
  readonly columns: string[];
  private readonly readColumns: string[];

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
    if (this.filter) for (const p of referencedColumnPaths(this.filter)) needed.add(resolveColumn(schema, p)!.path[0]!);
    this.readColumns = all.filter((c) => needed.has(c));
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
    const concurrency = Math.max(1, this.options.concurrency ?? 4);
    let remaining = this.options.limit ?? Infinity;
    const read = (add: Add): Promise<Table> =>
      readDataFile({
        store: snap.store,
        add,
        config: snap.config,
        columns: this.readColumns,
        threads: this.options.threads,
      });
    // Keep up to `concurrency` files in flight, yield in file order.
    const inflight: Promise<Table>[] = [];
    let next = 0;
    const fill = (): void => {
      while (inflight.length < concurrency && next < files.length) {
        const p = read(files[next++]);
        p.catch(() => undefined); // observed when awaited below
        inflight.push(p);
      }
    };
    fill();
    while (inflight.length && remaining > 0) {
      let t = await inflight.shift()!;
      fill();
      if (this.predicate) t = this.predicate.filter(t);
      if (t.numRows === 0) continue;
      t = t.select(this.columns);
      if (t.numRows > remaining) t = t.slice(0, remaining);
      remaining -= t.numRows;
      for (const b of t.batches) if (b.numRows) yield b;
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
