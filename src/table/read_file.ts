// Read ONE data file of a snapshot into a logical Arrow table: column mapping (names and field ids, nested too),
// columns the file lacks as nulls, casts to the canonical Arrow types, partition columns, deletion vectors applied.
// No filtering, pruning or file listing here (scan.ts); I/O only through ObjectStore and the Parquet seam.
import * as arrow from 'apache-arrow';
import { DataFileNotFoundError, InvalidArgumentError, NotFoundError, ProtocolError, SchemaMismatchError } from '../errors.js';
import type { Add } from '../log/actions.js';
import { readDeletionVector } from '../log/deletion_vectors.js';
import { storePathOf } from '../log/paths.js';
import { toArrowField } from '../schema/arrow.js';
import { arrowFieldId, matchField, physicalFieldName, type ColumnMappingMode } from '../schema/column_mapping.js';
import type { TableConfiguration } from '../log/table_configuration.js';
import { castColumn, checkCast, nullColumn } from '../schema/enforce.js';
import { parseNormalizedPartitionValue } from '../schema/partition_values.js';
import type { DataType, StructField, StructType } from '../schema/types.js';
import { buildData } from '../schema/vectors.js';
import type { Value } from '../schema/access/get.js';
import type { ObjectStore } from '../storage/store.js';
import { parquetColumnNames, readParquet } from '../storage/parquet.js';
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
}

/**
 * Read the data file of `add` as an Arrow table whose schema is the canonical Arrow schema of the requested
 * logical columns (toArrowField of each field). Rows deleted by `add.deletionVector` are dropped.
 */
export async function readDataFile(args: ReadDataFileArgs): Promise<arrow.Table> {
  const { store, add, config } = args;
  const mode = config.columnMappingMode;
  const fields = selectFields(args.schema ?? config.schema, args.columns);
  const partitionSet = new Set(config.partitionColumns);

  const path = storePathOf(store, add.path, 'data file');
  let bytes: Uint8Array;
  try {
    bytes = await store.get(path);
  } catch (e) {
    if (e instanceof NotFoundError) throw new DataFileNotFoundError(add.path);
    throw e;
  }
  const dvPromise = add.deletionVector ? readDeletionVector(store, add.deletionVector) : null;

  const dataFields = fields.filter((f) => !partitionSet.has(f.name));
  const raw = decodeParquet(bytes, dataFields, mode, add.path);

  // Resolve each output data field to its top-level column of the file (-1: absent -> nulls).
  const fileFields = raw.schema.fields;
  const sourceNames = new WeakMap<StructField, string>();
  const colIndex = new Map<StructField, number>();
  for (const f of dataFields) {
    const i = matchField(fileFields, f, mode);
    colIndex.set(f, i);
    if (i < 0) continue;
    const src = fileFields[i]!;
    if (arrow.DataType.isNull(src.type)) continue;
    try {
      checkCast(src.type, f.type, f.name, 'read');
    } catch (e) {
      if (e instanceof SchemaMismatchError) {
        throw new SchemaMismatchError(`data file ${add.path}: ${e.message}`, e.column, e.row);
      }
      throw e;
    }
    resolveNested(f.type, src.type, mode, sourceNames);
  }
  const sourceName = (f: StructField): string => sourceNames.get(f) ?? physicalFieldName(f, mode);

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

  const outFields = fields.map(toArrowField);
  const outSchema = new arrow.Schema(outFields);
  const batches: arrow.RecordBatch[] = [];
  let rowBase = 0;
  for (const batch of raw.batches) {
    const n = batch.numRows;
    const children = fields.map((f) => {
      if (partValues.has(f)) return buildData(new Array<Value>(n).fill(partValues.get(f)!), f.type);
      const i = colIndex.get(f)!;
      const data = i >= 0 ? batch.data.children[i] : undefined;
      if (!data || arrow.DataType.isNull(data.type)) return nullColumn(f.type, n);
      try {
        return castColumn(data, f.type, f.name, { mode: 'read', rowBase, sourceName });
      } catch (e) {
        if (e instanceof SchemaMismatchError) {
          throw new SchemaMismatchError(`data file ${add.path}: ${e.message}`, e.column, e.row);
        }
        throw e;
      }
    });
    const struct = arrow.makeData({ type: new arrow.Struct(outFields), length: n, nullCount: 0, children });
    batches.push(new arrow.RecordBatch(outSchema, struct));
    rowBase += n;
  }
  let table = new arrow.Table(outSchema, batches);

  if (dvPromise) {
    const deleted = await dvPromise;
    if (deleted.cardinality > 0) {
      if (deleted.max >= table.numRows) {
        throw new ProtocolError(
          `deletion vector deletes row ${deleted.max} but the data file has ${table.numRows} rows`,
          add.path,
        );
      }
      const kept = deleted.keptIndexes(table.numRows);
      table = kept.length ? takeRows(table, kept) : new arrow.Table(outSchema);
    }
  }
  return table;
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

/** Decode the Parquet bytes, reading only the top-level columns the output needs (by physical name). */
function decodeParquet(bytes: Uint8Array, dataFields: StructField[], mode: ColumnMappingMode, file: string): arrow.Table {
  try {
    if (mode === 'id') {
      // Field ids are only visible on the decoded schema: the seam has no footer-schema call yet, so read all.
      return readParquet(bytes);
    }
    const present = parquetColumnNames(bytes);
    const presentSet = new Set(present);
    const wanted = [...new Set(dataFields.map((f) => physicalFieldName(f, mode)))].filter((c) => presentSet.has(c));
    // No data column needed (only partition columns / all missing): still read one column for the row count.
    const columns = wanted.length ? wanted : present.slice(0, 1);
    return readParquet(bytes, columns.length ? { columns } : {});
  } catch (e) {
    if (e instanceof SchemaMismatchError || e instanceof ProtocolError) throw e;
    throw new ProtocolError(`cannot decode Parquet data file: ${(e as Error).message ?? String(e)}`, file, undefined, {
      cause: e,
    });
  }
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
