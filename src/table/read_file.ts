// Read ONE data file of a snapshot into logical Arrow data, row group by row group: column mapping (names and
// field ids, nested too), columns the file lacks as nulls, casts to the canonical Arrow types, partition columns,
// deletion vectors applied (their row indexes are positions in the whole file). No filtering or file listing
// here (scan.ts); I/O only through the ParquetSource seam.
import * as arrow from 'apache-arrow';
import { DataFileNotFoundError, DeltaError, InvalidArgumentError, NotFoundError, ProtocolError, SchemaMismatchError } from '../errors.js';
import type { Add } from '../log/actions.js';
import { readDeletionVector, type DeletedRows } from '../log/deletion_vectors.js';
import { storePathOf } from '../log/paths.js';
import { toArrowField } from '../schema/arrow.js';
import { arrowFieldId, matchField, PARQUET_FIELD_ID_KEY, physicalFieldName, type ColumnMappingMode } from '../schema/column_mapping.js';
import type { TableConfiguration } from '../log/table_configuration.js';
import { castColumn, checkCast, nullColumn } from '../schema/enforce.js';
import { parseNormalizedPartitionValue } from '../schema/partition_values.js';
import type { DataType, StructField, StructType } from '../schema/types.js';
import { buildData } from '../schema/vectors.js';
import type { Value } from '../schema/access/get.js';
import type { ObjectStore } from '../storage/store.js';
import { schemaTree, type ParquetFooter, type ParquetSchemaInfo, type ParquetSchemaNode, type ParquetStatistics } from '../storage/parquet.js';
import { referencedColumnPaths, resolveColumn, type Expr, type ResolvedColumn } from '../expr/index.js';
import { mayMatch, type PruningContext } from './pruning.js';
import { RowGroupBounds, type RowGroupLeafResolver } from './row_group_bounds.js';
import { pageRangesMayMatch, type LeafPages } from './page_bounds.js';
import { openParquetSource, type ParquetSource, type RowRange } from '../storage/parquet_source.js';
import { takeRows } from '../schema/access/take.js';

export interface ReadDataFileArgs {
  store: ObjectStore;
  add: Add;
  /** The snapshot's configuration: logical schema, partition columns, column mapping. */
  config: TableConfiguration;
  /** The logical schema of the file when it is not the table's (change data files add `_change_type`). */
  schema?: StructType;
  /** Logical top-level columns to output, in this order; default: all, in schema order. */
  columns?: string[];
  /** Worker threads that decode Parquet (default the available cores; 0 or 1: the calling thread). */
  threads?: number;
}

/**
 * Read the data file of `add` as an Arrow table whose schema is the canonical Arrow schema of the requested
 * logical columns (toArrowField of each field). Rows deleted by `add.deletionVector` are dropped.
 */
export async function readDataFile(args: ReadDataFileArgs): Promise<arrow.Table> {
  const file = await DataFile.open(args);
  return file.read(file.rowGroups.map((g) => g.index));
}

/** Options of DataFile.read. */
export interface DataFileReadOptions {
  /** Only these rows (sorted, disjoint, positions within the row group) of the ONE row group read. */
  rows?: readonly RowRange[];
  /** Counts of data pages decoded and skipped by the page selection, added to. */
  pages?: { read: number; skipped: number };
}

/** A row group of a data file: its index, rows, and first row's position in the file. */
export interface DataFileRowGroup {
  index: number;
  numRows: number;
  /** Position of its first row in the file (deletion vector row indexes are positions in the file). */
  firstRow: number;
}

/**
 * One data file opened for reading: its footer is read, its logical columns resolved to the file's columns.
 * `read` decodes chosen row groups and columns into logical Arrow data (casts, partition values, DV applied).
 */
export class DataFile implements RowGroupLeafResolver {
  readonly rowGroups: DataFileRowGroup[];
  /** The output fields, in output order. */
  readonly fields: StructField[];

  private readonly leafIndex: Map<ParquetSchemaNode, number>;

  private constructor(
    readonly add: Add,
    readonly footer: ParquetFooter,
    private readonly source: ParquetSource,
    private readonly tree: ParquetSchemaInfo,
    fields: StructField[],
    private readonly mode: ColumnMappingMode,
    /** File column (top-level name) of each data field; absent: the file lacks it (nulls). */
    private readonly fileColumn: Map<StructField, string>,
    private readonly partValues: Map<StructField, Value>,
    private readonly deleted: Promise<DeletedRows> | null,
  ) {
    this.fields = fields;
    this.leafIndex = new Map(tree.leaves.map((l, i) => [l, i]));
    let firstRow = 0;
    this.rowGroups = footer.rowGroups.map((rg, index) => {
      const g = { index, numRows: rg.numRows, firstRow };
      firstRow += rg.numRows;
      return g;
    });
  }

  static async open(args: ReadDataFileArgs): Promise<DataFile> {
    const { store, add, config } = args;
    const mode = config.columnMappingMode;
    const fields = selectFields(args.schema ?? config.schema, args.columns);
    const partitionSet = new Set(config.partitionColumns);
    const path = storePathOf(store, add.path, 'data file');
    const source = openParquetSource(store, path, { ...(add.size !== undefined ? { size: add.size } : {}), threads: args.threads });
    const deleted = add.deletionVector ? readDeletionVector(store, add.deletionVector) : null;
    deleted?.catch(() => undefined); // observed when awaited in read()
    let footer: ParquetFooter;
    try {
      footer = await source.footer();
    } catch (e) {
      if (e instanceof NotFoundError) throw new DataFileNotFoundError(add.path);
      throw asProtocolError(e, add.path);
    }

    // Resolve each data field to a top-level column of the file by the footer schema (field ids in id mode).
    let tree: ParquetSchemaInfo;
    try {
      tree = schemaTree(footer, add.path);
    } catch (e) {
      throw asProtocolError(e, add.path);
    }
    const fileColumn = new Map<StructField, string>();
    for (const f of fields) {
      if (partitionSet.has(f.name)) continue;
      const node = matchNode(tree.columns, f, mode);
      if (node) fileColumn.set(f, node.name);
    }

    // Partition values are constant per file: parse once.
    const partValues = new Map<StructField, Value>();
    for (const f of fields) {
      if (partitionSet.has(f.name)) {
        const raw = config.partitionValue(add.partitionValues, f);
        try {
          // PROTOCOL.md "Partition Value Serialization"; zone-less timestamps are read as UTC.
          partValues.set(f, parseNormalizedPartitionValue(raw, f.type, f.name));
        } catch (e) {
          if (e instanceof ProtocolError) throw new ProtocolError(e.message, add.path, undefined, { cause: e });
          throw e;
        }
      }
    }
    return new DataFile(add, footer, source, tree, fields, mode, fileColumn, partValues, deleted);
  }

  /** The leaf column chunk holding a (non-repeated, primitive) logical column, or null when the file lacks it. */
  leafOf(r: ResolvedColumn): { node: ParquetSchemaNode; index: number } | null {
    let nodes = this.tree.columns;
    let node: ParquetSchemaNode | null = null;
    for (const f of r.fields) {
      node = matchNode(nodes, f, this.mode);
      if (!node) return null;
      nodes = node.children;
    }
    if (!node || node.children.length || node.maxRepetitionLevel > 0) return null;
    const index = this.leafIndex.get(node);
    return index === undefined ? null : { node, index };
  }

  statisticsOf(rowGroup: number, leafIndex: number): ParquetStatistics | undefined {
    return this.footer.rowGroups[rowGroup]?.columns[leafIndex]?.statistics;
  }

  numRowsOf(rowGroup: number): number {
    return this.footer.rowGroups[rowGroup]?.numRows ?? 0;
  }

  /** Row groups (file order) whose statistics do not rule out a row matching `filter` (pruning.ts decides). */
  rowGroupsMayMatch(filter: Expr, ctx: PruningContext): number[] {
    return this.rowGroups.filter((g) => mayMatch(new RowGroupBounds(this.add, ctx, this, g.index), filter)).map((g) => g.index);
  }

  /**
   * The rows of row group `g` that may hold a row matching `filter`, judged page by page from the page index of the
   * predicate's columns (page_bounds.ts): sorted disjoint ranges, empty when no page may match; null when the file
   * has no usable page index for them (then nothing is ruled out).
   */
  async pageRangesMayMatch(g: number, filter: Expr, ctx: PruningContext): Promise<RowRange[] | null> {
    const rg = this.rowGroups[g];
    if (!rg || !this.footer.typeDefinedOrder) return null;
    const leaves = new Set<number>();
    for (const path of referencedColumnPaths(filter)) {
      const r = resolveColumn(ctx.schema, path);
      const leaf = r ? this.leafOf(r) : null;
      if (leaf && this.footer.typeDefinedOrder[leaf.index] && this.footer.rowGroups[g]!.columns[leaf.index]?.columnIndex) leaves.add(leaf.index);
    }
    if (leaves.size === 0) return null;
    const index = await this.source.pageIndex(g, [...leaves], true);
    const pages = new Map<number, LeafPages>();
    for (const [leaf, i] of index) if (i.offset && i.column) pages.set(leaf, { offset: i.offset, column: i.column });
    if (pages.size === 0) return null;
    return pageRangesMayMatch(this.add, ctx, this, pages, rg.numRows, filter);
  }

  /**
   * The rows (positions within row group `g`) that `mask` selects among the rows read([g], ..., { rows }) returned
   * (deletion vector applied), as ranges of consecutive positions; null when there are more than `maxRuns` of them.
   */
  async maskedRanges(g: number, rows: readonly RowRange[] | undefined, mask: Uint8Array, maxRuns: number): Promise<RowRange[] | null> {
    const rg = this.rowGroups[g];
    if (!rg) throw new InvalidArgumentError(`data file ${this.add.path}: no row group ${g} (the file has ${this.rowGroups.length})`);
    const deleted = this.deleted ? await this.deleted : null;
    const dv = deleted && deleted.cardinality > 0 ? deleted : null;
    const out: RowRange[] = [];
    let k = 0;
    for (const r of rows ?? [{ start: 0, end: rg.numRows }]) {
      for (let pos = r.start; pos < r.end; pos++) {
        if (dv?.has(rg.firstRow + pos)) continue;
        if (!mask[k++]) continue;
        const last = out[out.length - 1];
        if (last && last.end === pos) last.end = pos + 1;
        else if (out.push({ start: pos, end: pos + 1 }) > maxRuns) return null;
      }
    }
    return out;
  }

  /** The file column (top-level physical name) that holds output field `f`, or undefined (absent, or a partition column). */
  fileColumnOf(f: StructField): string | undefined {
    return this.fileColumn.get(f);
  }

  /**
   * Logical rows of the given row groups (file order) for the given output columns (names among `fields`;
   * default: all of them, in order), with the rows the deletion vector deletes dropped. With `options.rows`, only
   * those rows of the one row group given.
   */
  async read(rowGroups: number[], columns?: string[], options: DataFileReadOptions = {}): Promise<arrow.Table> {
    const { add } = this;
    const fields = columns
      ? columns.map((c) => {
          const f = this.fields.find((x) => x.name === c);
          if (!f) throw new InvalidArgumentError(`data file ${add.path}: column '${c}' was not opened for reading`);
          return f;
        })
      : this.fields;
    const groups = rowGroups.map((g) => {
      const rg = this.rowGroups[g];
      if (!rg) throw new InvalidArgumentError(`data file ${add.path}: no row group ${g} (the file has ${this.rowGroups.length})`);
      return rg;
    });
    const selection = options.rows;
    if (selection && groups.length !== 1) throw new InvalidArgumentError(`data file ${add.path}: a row selection needs exactly one row group`);
    const numRows = selection ? selection.reduce((n, r) => n + r.end - r.start, 0) : groups.reduce((n, g) => n + g.numRows, 0);
    const outFields = fields.map(toArrowField);
    const outSchema = new arrow.Schema(outFields);

    // Decode only the file columns the requested fields need.
    const wanted = [...new Set(fields.map((f) => this.fileColumn.get(f)).filter((c): c is string => c !== undefined))];
    let raw: arrow.Table | null = null;
    if (wanted.length && groups.length) {
      try {
        if (selection) {
          const got = await this.source.readRows(rowGroups[0]!, selection, wanted);
          raw = got.table;
          if (options.pages) {
            options.pages.read += got.pagesRead;
            options.pages.skipped += got.pagesSkipped;
          }
        } else raw = await this.source.readRowGroups(rowGroups, wanted);
      } catch (e) {
        if (e instanceof NotFoundError) throw new DataFileNotFoundError(add.path);
        throw asProtocolError(e, add.path);
      }
      if (raw.numRows !== numRows) {
        throw new ProtocolError(`the Parquet decoder returned ${raw.numRows} rows, the footer's row groups hold ${numRows}`, add.path);
      }
    }

    // Resolve output fields to the decoded columns (the decoded schema carries field ids and nested children).
    const rawFields = raw?.schema.fields ?? [];
    const colIndex = new Map<StructField, number>();
    const sourceNames = new WeakMap<StructField, string>();
    for (const f of fields) {
      if (this.partValues.has(f) || !this.fileColumn.has(f)) continue;
      const i = matchField(rawFields, f, this.mode);
      colIndex.set(f, i);
      if (i < 0) continue;
      const src = rawFields[i]!;
      if (arrow.DataType.isNull(src.type)) continue;
      try {
        checkCast(src.type, f.type, f.name, 'read');
      } catch (e) {
        if (e instanceof SchemaMismatchError) {
          throw new SchemaMismatchError(`data file ${add.path}: ${e.message}`, e.column, e.row);
        }
        throw e;
      }
      resolveNested(f.type, src.type, this.mode, sourceNames);
    }
    const sourceName = (f: StructField): string => sourceNames.get(f) ?? physicalFieldName(f, this.mode);

    const batches: arrow.RecordBatch[] = [];
    const rowBase = (groups[0]?.firstRow ?? 0) + (selection?.[0]?.start ?? 0);
    const emit = (batch: arrow.RecordBatch | null, n: number, offset: number): void => {
      const children = fields.map((f) => {
        if (this.partValues.has(f)) return buildData(new Array<Value>(n).fill(this.partValues.get(f)!), f.type);
        const i = colIndex.get(f) ?? -1;
        const data = batch && i >= 0 ? batch.data.children[i] : undefined;
        if (!data || arrow.DataType.isNull(data.type)) return nullColumn(f.type, n);
        try {
          return castColumn(data, f.type, f.name, { mode: 'read', rowBase: rowBase + offset, sourceName });
        } catch (e) {
          if (e instanceof SchemaMismatchError) {
            throw new SchemaMismatchError(`data file ${add.path}: ${e.message}`, e.column, e.row);
          }
          throw e;
        }
      });
      const struct = arrow.makeData({ type: new arrow.Struct(outFields), length: n, nullCount: 0, children });
      batches.push(new arrow.RecordBatch(outSchema, struct));
    };
    if (raw) {
      let offset = 0;
      for (const batch of raw.batches) {
        if (batch.numRows === 0) continue;
        emit(batch, batch.numRows, offset);
        offset += batch.numRows;
      }
    } else if (numRows > 0) {
      emit(null, numRows, 0); // no data column needed: the footer gives the row count
    }
    let table = batches.length ? new arrow.Table(outSchema, batches) : new arrow.Table(outSchema);

    if (this.deleted) {
      const deleted = await this.deleted;
      if (deleted.cardinality > 0) {
        if (deleted.max >= this.footer.numRows) {
          throw new ProtocolError(
            `deletion vector deletes row ${deleted.max} but the data file has ${this.footer.numRows} rows`,
            add.path,
          );
        }
        const kept = keptRows(deleted, groups, selection);
        if (kept.length !== numRows) table = kept.length ? takeRows(table, kept) : new arrow.Table(outSchema);
      }
    }
    return table;
  }
}

/** The node among `nodes` (a struct's children in the file) that holds Delta field `f` (field ids in id mode). */
function matchNode(nodes: ParquetSchemaNode[], f: StructField, mode: ColumnMappingMode): ParquetSchemaNode | null {
  const candidates = nodes.map(
    (c) => new arrow.Field(c.name, new arrow.Null(), true, c.fieldId !== undefined ? new Map([[PARQUET_FIELD_ID_KEY, String(c.fieldId)]]) : undefined),
  );
  const i = matchField(candidates, f, mode);
  return i >= 0 ? nodes[i]! : null;
}

/**
 * Positions (in the concatenation of `groups`, or of the `selection` of the one group) of the rows the deletion
 * vector keeps; DV indexes are file positions.
 */
function keptRows(deleted: DeletedRows, groups: DataFileRowGroup[], selection?: readonly RowRange[]): Int32Array {
  const runs = selection ? selection.map((r) => ({ first: groups[0]!.firstRow + r.start, n: r.end - r.start })) : groups.map((g) => ({ first: g.firstRow, n: g.numRows }));
  const out = new Int32Array(runs.reduce((n, r) => n + r.n, 0));
  let o = 0;
  let base = 0;
  for (const r of runs) {
    for (let k = 0; k < r.n; k++) if (!deleted.has(r.first + k)) out[o++] = base + k;
    base += r.n;
  }
  return out.subarray(0, o);
}

function asProtocolError(e: unknown, file: string): Error {
  if (e instanceof DeltaError) return e;
  return new ProtocolError(`cannot decode Parquet data file: ${(e as Error)?.message ?? String(e)}`, file, undefined, { cause: e });
}

/** The schema fields to output, in the requested order. */
function selectFields(schema: StructType, columns: string[] | undefined): StructField[] {
  if (!columns) return schema.fields;
  const byName = new Map(schema.fields.map((f) => [f.name, f]));
  return columns.map((c) => {
    const f = byName.get(c);
    if (!f) {
      throw new InvalidArgumentError(
        `unknown column '${c}' (table columns: ${schema.fields.map((x) => x.name).join(', ')})`,
      );
    }
    return f;
  });
}

/**
 * Record, for every struct field nested in `t`, the name of the file's child that holds it (id mode resolves by
 * Parquet field id), so that castColumn can find it through `sourceName`.
 */
function resolveNested(
  t: DataType,
  src: arrow.DataType,
  mode: ColumnMappingMode,
  out: WeakMap<StructField, string>,
): void {
  if (typeof t === 'string') return;
  const s = arrow.DataType.isDictionary(src) ? src.dictionary : src;
  switch (t.type) {
    case 'struct': {
      if (!arrow.DataType.isStruct(s)) return;
      for (const f of t.fields) {
        const i = matchField(s.children, f, mode);
        if (i < 0) {
          // Make sure castColumn does not pick up a same-named but different (id-mismatched) child.
          if (mode === 'id' && s.children.some((c) => arrowFieldId(c) !== undefined)) out.set(f, '\u0000<absent>');
          continue;
        }
        out.set(f, s.children[i]!.name);
        resolveNested(f.type, s.children[i]!.type, mode, out);
      }
      return;
    }
    case 'array':
      if (s.children[0]) resolveNested(t.elementType, s.children[0].type, mode, out);
      return;
    case 'map': {
      const entries = s.children[0]?.type;
      if (entries && arrow.DataType.isStruct(entries) && entries.children.length === 2) {
        resolveNested(t.keyType, entries.children[0]!.type, mode, out);
        resolveNested(t.valueType, entries.children[1]!.type, mode, out);
      }
      return;
    }
  }
}
