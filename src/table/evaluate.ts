// Exact row filtering of Arrow data by an Expr with SQL three-valued logic, comparing values by Delta type
// (bigint longs, exact decimals, timestamps as bigint micros, code-point strings, bytewise binary). No I/O.
import * as arrow from 'apache-arrow';
import { InvalidArgumentError } from '../errors.js';
import { typeToString } from '../schema/json.js';
import type { DataType, StructType } from '../schema/types.js';
import { MICROS_PER_DAY, floorDiv } from '../schema/values.js';
import { filterRows } from './arrow_take.js';
import {
  type CoercedLiteral,
  type ComparisonOp,
  type Expr,
  type Literal,
  type Operand,
  coerceLiteral,
  resolveColumn,
} from './expr.js';
import {
  type Domain,
  type Key,
  compareKeys,
  domainOf,
  int128FromWords,
  rescale,
} from './typed_values.js';

/** Three-valued truth: FALSE, TRUE, NULL (unknown). */
export const FALSE = 0;
export const TRUE = 1;
export const NULL = 2;
export type Truth = 0 | 1 | 2;

const FLIP: Record<ComparisonOp, ComparisonOp> = { '=': '=', '!=': '!=', '<': '>', '<=': '>=', '>': '<', '>=': '<=' };

/** Flip `lit op col` into `col op' lit`. */
export function flipOp(op: ComparisonOp): ComparisonOp {
  return FLIP[op];
}

function holds(op: ComparisonOp, c: number): boolean {
  switch (op) {
    case '=':
      return c === 0;
    case '!=':
      return c !== 0;
    case '<':
      return c < 0;
    case '<=':
      return c <= 0;
    case '>':
      return c > 0;
    case '>=':
      return c >= 0;
  }
}

/** `value op literal` for one value already in the column's domain (null value -> NULL). */
export function compareWithLiteral(op: ComparisonOp, value: Key | null, l: CoercedLiteral): Truth {
  if (value === null || l.kind === 'null') return NULL;
  if (l.kind === 'exact') return holds(op, compareKeys(value, l.key)) ? TRUE : FALSE;
  // The literal lies strictly between floor and ceil (adjacent representable values).
  switch (op) {
    case '=':
      return FALSE;
    case '!=':
      return TRUE;
    case '<':
    case '<=':
      return compareKeys(value, l.floor) <= 0 ? TRUE : FALSE;
    case '>':
    case '>=':
      return compareKeys(value, l.ceil) >= 0 ? TRUE : FALSE;
  }
}

/** `value IN (literals)` with SQL semantics: NULL when no match and the value or a list element is null. */
export function inList(value: Key | null, list: CoercedLiteral[]): Truth {
  if (value === null) return NULL;
  let sawNull = false;
  for (const l of list) {
    if (l.kind === 'null') sawNull = true;
    else if (l.kind === 'exact' && compareKeys(value, l.key) === 0) return TRUE;
  }
  return sawNull ? NULL : FALSE;
}

export function and3(a: Truth, b: Truth): Truth {
  if (a === FALSE || b === FALSE) return FALSE;
  if (a === NULL || b === NULL) return NULL;
  return TRUE;
}

export function or3(a: Truth, b: Truth): Truth {
  if (a === TRUE || b === TRUE) return TRUE;
  if (a === NULL || b === NULL) return NULL;
  return FALSE;
}

export function not3(a: Truth): Truth {
  return a === NULL ? NULL : a === TRUE ? FALSE : TRUE;
}

// ---------------------------------------------------------------------------------------------------------
// Reading Arrow columns as keys

function findChild(fields: readonly arrow.Field[], name: string): number {
  let i = fields.findIndex((f) => f.name === name);
  if (i < 0) {
    const l = name.toLowerCase();
    i = fields.findIndex((f) => f.name.toLowerCase() === l);
  }
  return i;
}

function timestampToMicros(raw: bigint, unit: arrow.TimeUnit): bigint {
  switch (unit) {
    case arrow.TimeUnit.SECOND:
      return raw * 1_000_000n;
    case arrow.TimeUnit.MILLISECOND:
      return raw * 1000n;
    case arrow.TimeUnit.MICROSECOND:
      return raw;
    case arrow.TimeUnit.NANOSECOND:
      return floorDiv(raw, 1000n);
  }
}

/** Convert an exact integer-valued number (unscaled at `scale`) into domain `d`. */
function fromExact(unscaled: bigint, scale: number, d: Domain): Key {
  switch (d.kind) {
    case 'int':
      return scale === 0 ? Number(unscaled) : Number(unscaled) / 10 ** scale;
    case 'long':
      return scale === 0 ? unscaled : unscaled / 10n ** BigInt(scale);
    case 'decimal': {
      const r = rescale({ unscaled, scale }, d.scale);
      return r.exact ? r.value : r.floor;
    }
    case 'float':
      return scale === 0 ? Number(unscaled) : Number(unscaled) / 10 ** scale;
    default:
      return Number(unscaled);
  }
}

type Getter = (i: number) => Key | null;

/** A getter of row i (relative to `data`) converted into domain `d`, honouring ancestor validity. */
function keyGetter(data: arrow.Data, d: Domain, column: string): Getter {
  const t = data.type as arrow.DataType;
  const vec = arrow.makeVector(data);
  const valid = (i: number) => data.nullCount === 0 || data.getValid(i);
  const fail = (): never => {
    throw new InvalidArgumentError(`cannot compare column '${column}' of Arrow type ${String(t)} in a predicate`);
  };
  switch (t.typeId) {
    case arrow.Type.Int:
    case arrow.Type.Int8:
    case arrow.Type.Int16:
    case arrow.Type.Int32:
    case arrow.Type.Uint8:
    case arrow.Type.Uint16:
    case arrow.Type.Uint32:
    case arrow.Type.Int64:
    case arrow.Type.Uint64: {
      const values = data.values as ArrayLike<number | bigint>;
      if (d.kind === 'int' || d.kind === 'float') {
        return (i) => (valid(i) ? Number(values[i]!) : null);
      }
      return (i) => (valid(i) ? fromExact(BigInt(values[i]!), 0, d) : null);
    }
    case arrow.Type.Float:
    case arrow.Type.Float16:
    case arrow.Type.Float32:
    case arrow.Type.Float64: {
      if (d.kind !== 'float') fail();
      return (i) => (valid(i) ? (vec.get(i) as number) : null);
    }
    case arrow.Type.Decimal: {
      const dt = t as arrow.Decimal;
      const words = data.values as Uint32Array;
      const stride = dt.bitWidth / 32;
      if (stride !== 4) fail();
      if (d.kind === 'decimal' && d.scale === dt.scale) return (i) => (valid(i) ? int128FromWords(words, i * 4) : null);
      if (d.kind === 'float') {
        return (i) => (valid(i) ? Number(int128FromWords(words, i * 4)) / 10 ** dt.scale : null);
      }
      if (d.kind === 'int' || d.kind === 'long' || d.kind === 'decimal') {
        return (i) => (valid(i) ? fromExact(int128FromWords(words, i * 4), dt.scale, d) : null);
      }
      return fail();
    }
    case arrow.Type.Utf8:
    case arrow.Type.LargeUtf8:
      if (d.kind !== 'string') fail();
      return (i) => (valid(i) ? (vec.get(i) as string) : null);
    case arrow.Type.Binary:
    case arrow.Type.LargeBinary:
    case arrow.Type.FixedSizeBinary:
      if (d.kind !== 'binary') fail();
      return (i) => (valid(i) ? (vec.get(i) as Uint8Array) : null);
    case arrow.Type.Bool:
      if (d.kind !== 'boolean') fail();
      return (i) => (valid(i) ? (vec.get(i) as boolean) : null);
    case arrow.Type.Date:
    case arrow.Type.DateDay:
    case arrow.Type.DateMillisecond: {
      const dt = t as arrow.Date_;
      const days: (i: number) => number =
        dt.unit === arrow.DateUnit.DAY
          ? (i) => (data.values as Int32Array)[i]!
          : (i) => Math.floor((vec.get(i) as unknown as number) / 86_400_000);
      if (d.kind === 'date') return (i) => (valid(i) ? days(i) : null);
      if (d.kind === 'timestamp') return (i) => (valid(i) ? BigInt(days(i)) * MICROS_PER_DAY : null);
      return fail();
    }
    case arrow.Type.Timestamp:
    case arrow.Type.TimestampSecond:
    case arrow.Type.TimestampMillisecond:
    case arrow.Type.TimestampMicrosecond:
    case arrow.Type.TimestampNanosecond: {
      const dt = t as arrow.Timestamp;
      const values = data.values as BigInt64Array;
      const micros = (i: number) => timestampToMicros(BigInt(values[i]!), dt.unit);
      if (d.kind === 'timestamp') return (i) => (valid(i) ? micros(i) : null);
      if (d.kind === 'date') return (i) => (valid(i) ? Number(floorDiv(micros(i), MICROS_PER_DAY)) : null);
      return fail();
    }
    default:
      return fail();
  }
}

interface BatchColumns {
  batch: arrow.RecordBatch;
  schema: StructType;
}

/** Keys of a (nested) column of one batch, in domain `d`. */
function readColumn(ctx: BatchColumns, path: readonly string[], d: Domain): (Key | null)[] {
  const name = path.join('.');
  const resolved = resolveColumn(ctx.schema, path);
  const names = resolved ? resolved.path : [...path];
  let data = ctx.batch.data as arrow.Data;
  let fields = ctx.batch.schema.fields;
  const ancestors: arrow.Data[] = [];
  for (let k = 0; k < names.length; k++) {
    const idx = findChild(fields, names[k]!);
    if (idx < 0) throw new InvalidArgumentError(`predicate column '${name}' is not in the data (missing '${names[k]}')`);
    if (k > 0) ancestors.push(data);
    data = data.children[idx]!;
    const f = fields[idx]!;
    fields = k < names.length - 1 ? ((f.type as arrow.Struct).children ?? []) : [];
    if (k < names.length - 1 && f.type.typeId !== arrow.Type.Struct) {
      throw new InvalidArgumentError(`predicate column '${name}': '${names[k]}' is not a struct`);
    }
  }
  const get = keyGetter(data, d, name);
  const n = ctx.batch.numRows;
  const out = new Array<Key | null>(n);
  for (let i = 0; i < n; i++) {
    let ok = true;
    for (const a of ancestors) {
      if (a.nullCount !== 0 && !a.getValid(i)) {
        ok = false;
        break;
      }
    }
    out[i] = ok ? get(i) : null;
  }
  return out;
}

function columnType(schema: StructType, path: readonly string[]): DataType {
  const r = resolveColumn(schema, path);
  if (!r) {
    throw new InvalidArgumentError(
      `predicate references unknown column '${path.join('.')}' (table columns: ${schema.fields.map((f) => f.name).join(', ')})`,
    );
  }
  return r.type;
}

function domainOfColumn(schema: StructType, path: readonly string[]): { domain: Domain; type: DataType } {
  const type = columnType(schema, path);
  const domain = domainOf(type);
  if (!domain) {
    throw new InvalidArgumentError(`column '${path.join('.')}' of type ${typeToString(type)} cannot be used in a predicate comparison`);
  }
  return { domain, type };
}

/** Common domain of two comparable column domains (numeric widening, date -> timestamp). */
function commonDomain(a: Domain, b: Domain, what: string): Domain {
  if (a.kind === b.kind && (a.kind !== 'decimal' || (b.kind === 'decimal' && a.scale === b.scale))) return a;
  const num = (d: Domain) => d.kind === 'int' || d.kind === 'long' || d.kind === 'decimal' || d.kind === 'float';
  if (num(a) && num(b)) {
    if (a.kind === 'float' || b.kind === 'float') return { kind: 'float' };
    const scale = Math.max(a.kind === 'decimal' ? a.scale : 0, b.kind === 'decimal' ? b.scale : 0);
    return { kind: 'decimal', precision: 38, scale };
  }
  if ((a.kind === 'date' || a.kind === 'timestamp') && (b.kind === 'date' || b.kind === 'timestamp')) return { kind: 'timestamp' };
  throw new InvalidArgumentError(`cannot compare ${what}: incompatible types`);
}

/** A Delta type describing a literal, for constant comparisons. */
function literalType(l: Literal): DataType | null {
  switch (l.type) {
    case 'null':
      return null;
    case 'string':
      return 'string';
    case 'number':
      return 'double';
    case 'bigint':
      return 'long';
    case 'boolean':
      return 'boolean';
    case 'date':
      return 'date';
    case 'timestamp':
      return 'timestamp';
    case 'binary':
      return 'binary';
  }
}

function fill(n: number, v: Truth): Uint8Array {
  return new Uint8Array(n).fill(v);
}

function evalCmp(ctx: BatchColumns, op: ComparisonOp, left: Operand, right: Operand): Uint8Array {
  const n = ctx.batch.numRows;
  if (left.kind === 'literal' && right.kind === 'column') return evalCmp(ctx, flipOp(op), right, left);
  if (left.kind === 'column' && right.kind === 'literal') {
    const { domain, type } = domainOfColumn(ctx.schema, left.path);
    const l = coerceLiteral(right, type, left.path.join('.'));
    if (l.kind === 'null') return fill(n, NULL);
    const keys = readColumn(ctx, left.path, domain);
    const out = new Uint8Array(n);
    for (let i = 0; i < n; i++) out[i] = compareWithLiteral(op, keys[i]!, l);
    return out;
  }
  if (left.kind === 'column' && right.kind === 'column') {
    const a = domainOfColumn(ctx.schema, left.path);
    const b = domainOfColumn(ctx.schema, right.path);
    const d = commonDomain(a.domain, b.domain, `column '${left.path.join('.')}' with column '${right.path.join('.')}'`);
    const ka = readColumn(ctx, left.path, d);
    const kb = readColumn(ctx, right.path, d);
    const out = new Uint8Array(n);
    for (let i = 0; i < n; i++) {
      const x = ka[i]!;
      const y = kb[i]!;
      out[i] = x === null || y === null ? NULL : holds(op, compareKeys(x, y)) ? TRUE : FALSE;
    }
    return out;
  }
  // literal op literal
  const l = left as Literal;
  const r = right as Literal;
  const lt = literalType(l);
  if (lt === null || r.type === 'null') return fill(n, NULL);
  const lk = coerceLiteral(l, lt, 'literal');
  const rk = coerceLiteral(r, lt, 'literal');
  if (lk.kind !== 'exact') return fill(n, NULL);
  return fill(n, compareWithLiteral(op, lk.key, rk));
}

function evalNode(ctx: BatchColumns, e: Expr): Uint8Array {
  const n = ctx.batch.numRows;
  switch (e.kind) {
    case 'cmp':
      return evalCmp(ctx, e.op, e.left, e.right);
    case 'in': {
      if (e.operand.kind === 'literal') {
        const t = literalType(e.operand);
        if (t === null) return fill(n, NULL);
        const k = coerceLiteral(e.operand, t, 'literal');
        return fill(n, k.kind === 'exact' ? inList(k.key, e.values.map((v) => coerceLiteral(v, t, 'literal'))) : NULL);
      }
      const { domain, type } = domainOfColumn(ctx.schema, e.operand.path);
      const name = e.operand.path.join('.');
      const list = e.values.map((v) => coerceLiteral(v, type, name));
      const keys = readColumn(ctx, e.operand.path, domain);
      const out = new Uint8Array(n);
      // Fast path: primitive keys in a Set (SameValueZero: bigint/number/string/boolean compare by value).
      const primitive = list.every((l) => l.kind !== 'exact' || !(l.key instanceof Uint8Array));
      if (primitive) {
        const set = new Set<Key>();
        let sawNull = false;
        for (const l of list) {
          if (l.kind === 'exact') set.add(l.key);
          else if (l.kind === 'null') sawNull = true;
        }
        for (let i = 0; i < n; i++) {
          const k = keys[i]!;
          out[i] = k === null ? NULL : set.has(k) ? TRUE : sawNull ? NULL : FALSE;
        }
      } else {
        for (let i = 0; i < n; i++) out[i] = inList(keys[i]!, list);
      }
      return out;
    }
    case 'isNull': {
      if (e.operand.kind === 'literal') return fill(n, (e.operand.type === 'null') !== e.negated ? TRUE : FALSE);
      const { domain } = domainOfColumn(ctx.schema, e.operand.path);
      const keys = readColumn(ctx, e.operand.path, domain);
      const out = new Uint8Array(n);
      for (let i = 0; i < n; i++) out[i] = (keys[i] === null) !== e.negated ? TRUE : FALSE;
      return out;
    }
    case 'and':
    case 'or': {
      const combine = e.kind === 'and' ? and3 : or3;
      let acc = evalNode(ctx, e.children[0]!);
      for (let c = 1; c < e.children.length; c++) {
        const next = evalNode(ctx, e.children[c]!);
        for (let i = 0; i < n; i++) acc[i] = combine(acc[i] as Truth, next[i] as Truth);
      }
      return acc;
    }
    case 'not': {
      const v = evalNode(ctx, e.child);
      for (let i = 0; i < n; i++) v[i] = not3(v[i] as Truth);
      return v;
    }
  }
}

/**
 * Per-row three-valued result of `expr` (0 = FALSE, 1 = TRUE, 2 = NULL). Columns are looked up by the
 * logical names of `schema` (exact, then case-insensitive); `schema` gives each column's Delta type.
 */
export function evaluateTruth(data: arrow.Table | arrow.RecordBatch, expr: Expr, schema: StructType): Uint8Array {
  const batches = data instanceof arrow.Table ? data.batches : [data];
  const out = new Uint8Array(data.numRows);
  let pos = 0;
  for (const batch of batches) {
    const r = evalNode({ batch, schema }, expr);
    out.set(r, pos);
    pos += batch.numRows;
  }
  return out;
}

/** Keep-mask: 1 where `expr` is TRUE, 0 where it is FALSE or NULL (SQL WHERE semantics). */
export function evaluateMask(data: arrow.Table | arrow.RecordBatch, expr: Expr, schema: StructType): Uint8Array {
  const t = evaluateTruth(data, expr, schema);
  for (let i = 0; i < t.length; i++) t[i] = t[i] === TRUE ? 1 : 0;
  return t;
}

/** The rows for which `expr` is TRUE. */
export function filterBatch(data: arrow.Table | arrow.RecordBatch, expr: Expr, schema: StructType): arrow.Table {
  return filterRows(data, evaluateMask(data, expr, schema));
}
