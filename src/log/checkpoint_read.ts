// Reads checkpoints (classic single-file, multi-part, V2 JSON/Parquet with sidecars) into Action[].
// Goes through the ObjectStore and the Parquet seam only; does not decide which checkpoint to use (segment.ts).
import { DataType, type Data, type Field, type Table } from 'apache-arrow';
import { readValues, type Value } from '../schema/access/get.js';
import { validityOf } from '../schema/access/validity.js';
import { fromArrowType } from '../schema/arrow.js';
import { decimalParams } from '../schema/json.js';
import type { DataType as DeltaType } from '../schema/types.js';
import { floorDiv, formatDate, formatDecimal } from '../schema/values.js';
import { ProtocolError } from '../errors.js';
import { parquetColumnNames, readParquet, readParquetFooter } from '../storage/parquet.js';
import type { ObjectStore } from '../storage/store.js';
import type { Action } from './actions.js';
import { parseCommit, validateAction } from './codec.js';
import { sidecarPath } from './paths.js';
import type { SegmentCheckpoint } from './segment.js';

/** Top-level checkpoint columns that carry table state (PROTOCOL.md "Checkpoint Schema"); others are not read. */
const STATE_COLUMNS = ['protocol', 'metaData', 'txn', 'add', 'remove', 'domainMetadata', 'checkpointMetadata', 'sidecar'];

type Plain = null | boolean | number | string | Plain[] | { [k: string]: Plain };

/** A converter of values read by access/get.ts to plain JS as in the JSON log (longs and decimals as numbers, maps
 *  as objects, dates as YYYY-MM-DD, timestamps as ISO-8601 milliseconds, binary as base64). Built once per column. */
function plainOf(type: DeltaType): (value: Value) => Plain {
  if (typeof type === 'object') {
    if (type.type === 'struct') {
      const fields = type.fields.map((f) => [f.name, plainOf(f.type)] as const);
      return (value) => {
        if (value === null) return null;
        const row = value as { [k: string]: Value };
        const o: { [k: string]: Plain } = {};
        for (const [name, conv] of fields) o[name] = conv(row[name] ?? null);
        return o;
      };
    }
    if (type.type === 'array') {
      const conv = plainOf(type.elementType);
      return (value) => (value === null ? null : (value as Value[]).map(conv));
    }
    const key = plainOf(type.keyType);
    const val = plainOf(type.valueType);
    return (value) => {
      if (value === null) return null;
      const o: { [k: string]: Plain } = {};
      for (const kv of value as Value[][]) o[String(key(kv[0]!))] = val(kv[1] ?? null);
      return o;
    };
  }
  const dec = decimalParams(type);
  if (dec) return (v) => (v === null ? null : Number(formatDecimal(v as bigint, dec.scale)));
  if (type === 'date') return (v) => (v === null ? null : formatDate(v as number));
  if (type === 'timestamp' || type === 'timestamp_ntz') return (v) => (v === null ? null : new Date(Number(floorDiv(v as bigint, 1000n))).toISOString());
  if (type === 'long') return (v) => (v === null ? null : Number(v));
  if (type === 'binary') return (v) => (v === null ? null : Buffer.from(v as Uint8Array).toString('base64'));
  return (v) => v as Plain;
}

/** Drop null-valued fields so a checkpoint action looks like its JSON form (absent optional fields). */
function dropNulls(o: { [k: string]: Plain }, keep: ReadonlySet<string> = new Set()): { [k: string]: Plain } {
  const out: { [k: string]: Plain } = {};
  for (const [k, v] of Object.entries(o)) if (v !== null || keep.has(k)) out[k] = v;
  return out;
}

/** Partition values keep explicit nulls (null partition value) — only top-level nulls are dropped. */
const KEEP_NULL = new Set<string>();

function fixFileAction(kind: 'add' | 'remove', o: { [k: string]: Plain }): { [k: string]: Plain } {
  const out = dropNulls(o, KEEP_NULL);
  if (out.deletionVector && typeof out.deletionVector === 'object') {
    out.deletionVector = dropNulls(out.deletionVector as { [k: string]: Plain });
  }
  // PROTOCOL.md "Checkpoint Schema": stats may be written only as `stats_parsed`; rebuild the JSON string.
  if (out.stats === undefined && out.stats_parsed && typeof out.stats_parsed === 'object') {
    out.stats = JSON.stringify(pruneNullStats(out.stats_parsed as { [k: string]: Plain }));
  }
  if ((out.partitionValues === undefined || out.partitionValues === null) && out.partitionValues_parsed) {
    out.partitionValues = Object.fromEntries(
      Object.entries(out.partitionValues_parsed as { [k: string]: Plain }).map(([k, v]) => [k, v === null ? null : String(v)]),
    );
  }
  if (kind === 'add' && (out.partitionValues === undefined || out.partitionValues === null)) out.partitionValues = {};
  delete out.stats_parsed;
  delete out.partitionValues_parsed;
  return out;
}

/**
 * Nulls in stats_parsed mean "no statistic" (JSON stats omit those keys). NaN and infinite floats become the
 * strings Spark's JSON stats hold for them ("NaN", "Infinity", "-Infinity"), which JSON.stringify would make null.
 */
function pruneNullStats(o: { [k: string]: Plain }): { [k: string]: Plain } {
  const out: { [k: string]: Plain } = {};
  for (const [k, v] of Object.entries(o)) {
    if (v === null) continue;
    if (typeof v === 'number' && !Number.isFinite(v)) out[k] = Number.isNaN(v) ? 'NaN' : v > 0 ? 'Infinity' : '-Infinity';
    else out[k] = typeof v === 'object' && !Array.isArray(v) ? pruneNullStats(v) : v;
  }
  return out;
}

/**
 * One Arrow column chunk -> plain JS values, converted column by column (children first) rather than row by row:
 * a checkpoint of 10k files is 10k rows x ~10 fields, and per-row Arrow accessors dominate snapshot load.
 */
function dataToPlain(data: Data, type: DataType): Plain[] {
  const n = data.length;
  // An empty Parquet file (Spark 4 writes empty V2 sidecars) decodes to struct Data without children.
  if (n === 0) return [];
  const out: Plain[] = new Array<Plain>(n);
  const valid = validityOf(data);
  if (DataType.isStruct(type)) {
    const fields = type.children as Field[];
    const cols = fields.map((f, k) => dataToPlain(data.children[k]!, f.type));
    for (let i = 0; i < n; i++) {
      if (!valid(i)) {
        out[i] = null;
        continue;
      }
      const o: { [k: string]: Plain } = {};
      for (let k = 0; k < fields.length; k++) o[fields[k]!.name] = cols[k]![i]!;
      out[i] = o;
    }
    return out;
  }
  if (DataType.isMap(type) || DataType.isList(type)) {
    const offs = data.valueOffsets as Int32Array;
    const child = data.children[0]!;
    const childField = (type.children[0] as Field);
    const isMap = DataType.isMap(type);
    const childValues = isMap
      ? null
      : dataToPlain(child, childField.type);
    const keys = isMap ? dataToPlain(child.children[0]!, ((childField.type as DataType).children[0] as Field).type) : null;
    const vals = isMap ? dataToPlain(child.children[1]!, ((childField.type as DataType).children[1] as Field).type) : null;
    for (let i = 0; i < n; i++) {
      if (!valid(i)) {
        out[i] = null;
        continue;
      }
      if (isMap) {
        const o: { [k: string]: Plain } = {};
        for (let j = offs[i]!; j < offs[i + 1]!; j++) o[String(keys![j])] = vals![j]!;
        out[i] = o;
      } else {
        out[i] = childValues!.slice(offs[i]!, offs[i + 1]!);
      }
    }
    return out;
  }
  const delta = fromArrowType(type, 'checkpoint');
  const values = readValues(data, delta, { loss: 'truncate', path: 'checkpoint' });
  const conv = plainOf(delta);
  for (let i = 0; i < n; i++) out[i] = conv(values[i] ?? null);
  return out;
}

/** Rows of a checkpoint Parquet table -> actions (each row carries one non-null action struct). */
export function checkpointTableToActions(table: Table, fileName: string): Action[] {
  const out: Action[] = [];
  const cols: Array<{ name: string; chunks: Plain[][] }> = [];
  for (const f of table.schema.fields) {
    if (!STATE_COLUMNS.includes(f.name)) continue;
    const v = table.getChild(f.name);
    if (!v) continue;
    cols.push({ name: f.name, chunks: v.data.map((d) => dataToPlain(d, f.type)) });
  }
  let chunk = 0;
  let base = 0;
  const chunkLengths = table.batches.map((b) => b.numRows);
  for (let i = 0; i < table.numRows; i++) {
    while (i - base >= chunkLengths[chunk]!) base += chunkLengths[chunk++]!;
    for (const c of cols) {
      const raw = c.chunks[chunk]![i - base];
      if (raw === null || raw === undefined) continue;
      let body = raw as { [k: string]: Plain };
      if (c.name === 'add' || c.name === 'remove') body = fixFileAction(c.name, body);
      else body = dropNulls(body);
      // A struct with all-null fields can appear valid in some writers' files; skip rows without a key field.
      if (c.name === 'add' || c.name === 'remove') {
        if (body.path === undefined) continue;
      }
      if (c.name === 'remove' && body.dataChange === undefined) body.dataChange = false;
      const a = validateAction({ [c.name]: body }, fileName, undefined);
      if (a) out.push(a);
    }
  }
  return out;
}

async function readParquetActions(store: ObjectStore, path: string): Promise<Action[]> {
  const bytes = await store.get(path);
  let table: Table;
  try {
    const footer = readParquetFooter(bytes, path);
    const present = parquetColumnNames(bytes, footer);
    const columns = STATE_COLUMNS.filter((c) => present.includes(c));
    table = readParquet(bytes, { columns, footer, file: path });
  } catch (e) {
    throw new ProtocolError(`cannot read checkpoint Parquet: ${(e as Error).message}`, path, undefined, { cause: e });
  }
  return checkpointTableToActions(table, path);
}

/** Read a single checkpoint file (JSON or Parquet) without following sidecars. */
export async function readCheckpointFile(store: ObjectStore, path: string): Promise<Action[]> {
  if (path.endsWith('.json')) return parseCommit(await store.get(path), path);
  return readParquetActions(store, path);
}

/**
 * All actions of a checkpoint. V2 checkpoints (PROTOCOL.md "V2 Spec") carry `sidecar` actions naming Parquet
 * files in `_delta_log/_sidecars/` that hold the add/remove actions; those are read and appended. A classic-named
 * checkpoint may also be V2 spec ("Handling Backward compatibility..."), so sidecars are followed for every kind.
 */
export async function readCheckpoint(store: ObjectStore, checkpoint: SegmentCheckpoint): Promise<Action[]> {
  const parts = await Promise.all(checkpoint.files.map((f) => readCheckpointFile(store, f)));
  const top = parts.flat();
  const sidecars = top.filter((a): a is Extract<Action, { sidecar: unknown }> => 'sidecar' in a);
  if (sidecars.length === 0) return top;
  const fromSidecars = await Promise.all(sidecars.map((s) => readParquetActions(store, sidecarPath(s.sidecar.path))));
  return [...top.filter((a) => !('sidecar' in a)), ...fromSidecars.flat()];
}
