// Skipping: ONE evaluator that decides whether a set of rows (a data file, or a row group of one) may hold a row
// matching a predicate, from bounds supplied by a BoundsSource: partition values and the Delta per-file stats of
// an Add (FileBounds, here), or Parquet row-group statistics (row_group_bounds.ts). Conservative by construction:
// true ("may match") whenever it cannot prove that no row matches. No I/O.
import type { Add } from '../log/actions.js';
import { parseNormalizedPartitionValue } from '../schema/partition_values.js';
import type { StructType } from '../schema/types.js';
import { MICROS_PER_DAY, floorDiv } from '../schema/values.js';
import { type FileStats, type StatValue, parseStats } from './stats.js';
import {
  type CoercedLiteral,
  type ComparisonOp,
  type Domain,
  type Expr,
  type Key,
  type Literal,
  type ResolvedColumn,
  TRUE,
  coerceLiteral,
  compareKeys,
  compareWithLiteral,
  domainOf,
  flipOp,
  inList,
  not3,
  numberToRational,
  parseNonFiniteText,
  parseTimestampText,
  rescale,
  resolveColumn,
} from '../expr/index.js';

export interface PruningContext {
  /** Logical table schema. */
  schema: StructType;
  /** Logical names of the partition columns. */
  partitionColumns: readonly string[];
  /**
   * Physical path of a logical column path (column mapping), used to look up partitionValues and stats keys:
   * pass the snapshot's TableConfiguration. Absent: the logical names (no column mapping).
   */
  physicalPath?(logicalPath: readonly string[]): readonly string[] | null;
}

// ---------------------------------------------------------------------------------------------------------
// Negation normal form: NOT pushed down to the leaves (exact under SQL three-valued logic: Kleene De Morgan,
// NOT(a < b) <=> a >= b since both are NULL exactly when an operand is NULL).

type Leaf =
  | { kind: 'cmp'; op: ComparisonOp; left: Expr; right: Expr }
  | { kind: 'in'; operand: Expr; values: Expr[]; negated: boolean }
  | { kind: 'isNull'; operand: Expr; negated: boolean }
  /** Any other expression (arithmetic, functions, LIKE, CASE, a boolean column ...): nothing is proven, keep the file. */
  | { kind: 'opaque' };

type Nnf = { kind: 'and' | 'or'; children: Nnf[] } | Leaf;

const NEGATE: Record<ComparisonOp, ComparisonOp> = { '=': '!=', '!=': '=', '<': '>=', '<=': '>', '>': '<=', '>=': '<' };

function toNnf(e: Expr, neg: boolean): Nnf {
  switch (e.kind) {
    case 'and':
    case 'or': {
      const kind = (e.kind === 'and') !== neg ? 'and' : 'or';
      return { kind, children: e.children.map((c) => toNnf(c, neg)) };
    }
    case 'not':
      return toNnf(e.child, !neg);
    case 'cmp':
      return { kind: 'cmp', op: neg ? NEGATE[e.op] : e.op, left: e.left, right: e.right };
    case 'in':
      return { kind: 'in', operand: e.operand, values: e.values, negated: neg };
    case 'isNull':
      return { kind: 'isNull', operand: e.operand, negated: e.negated !== neg };
    default:
      return { kind: 'opaque' };
  }
}

// ---------------------------------------------------------------------------------------------------------
// Sources of bounds

/** What a source knows of one column over its rows; keys are in the column's domain (compareKeys order). */
export interface ColumnBounds {
  /** Null values among the rows, null when unknown. */
  nullCount: number | null;
  /** A lower bound of the non-null values (undefined: none known). */
  min?: Key;
  /** An upper bound of the non-null values (undefined: none known). */
  max?: Key;
  /** min and max are actual values of the rows (not widened or truncated bounds), so min == max == v proves all are v. */
  exact: boolean;
  /**
   * Floats: max bounds only the values that are not NaN, and NaN (above every number, as in Spark) may be among
   * the rows. Spark writes max "NaN" when a file holds one, but delta-rs and Parquet writers leave NaN out of
   * max, and a file does not say which wrote it. min is a lower bound of every value either way.
   */
  nanAboveMax?: boolean;
}

/** Bounds of one set of rows (a data file, a row group), as the evaluator asks for them. */
export interface BoundsSource {
  /** Logical table schema (predicate columns resolve against it). */
  readonly schema: StructType;
  isPartition(r: ResolvedColumn): boolean;
  /** Partition value of a partition column (known: false when absent or unparsable). */
  partitionKey(r: ResolvedColumn): { known: boolean; key: Key | null };
  /** Rows in the set; null when unknown. */
  numRecords(): number | null;
  /** Bounds of a non-partition column in domain `d`; null when nothing is known. */
  column(r: ResolvedColumn, d: Domain): ColumnBounds | null;
}

function physicalPath(ctx: PruningContext, r: ResolvedColumn): readonly string[] {
  return ctx.physicalPath?.(r.path) ?? r.path;
}

/** Bounds from an Add: its partition values (exact) and its Delta per-file stats (PROTOCOL.md "Per-file Statistics"). */
export class FileBounds implements BoundsSource {
  private stats: FileStats | null | undefined; // undefined = not parsed yet
  constructor(
    readonly add: Add,
    readonly ctx: PruningContext,
  ) {}

  get schema(): StructType {
    return this.ctx.schema;
  }

  private parsed(): FileStats | null {
    if (this.stats === undefined) {
      try {
        this.stats = parseStats(this.add.stats);
      } catch {
        this.stats = null; // malformed stats: no skipping
      }
    }
    return this.stats;
  }

  numRecords(): number | null {
    return this.parsed()?.numRecords ?? null;
  }

  isPartition(r: ResolvedColumn): boolean {
    const ctx = this.ctx;
    return r.path.length === 1 && ctx.partitionColumns.some((p) => p === r.path[0] || p.toLowerCase() === r.path[0]!.toLowerCase());
  }

  partitionKey(r: ResolvedColumn): { known: boolean; key: Key | null } {
    const phys = physicalPath(this.ctx, r)[0]!;
    const pv = this.add.partitionValues ?? {};
    const raw = Object.prototype.hasOwnProperty.call(pv, phys) ? pv[phys] : Object.prototype.hasOwnProperty.call(pv, r.path[0]!) ? pv[r.path[0]!] : undefined;
    if (raw === undefined) return { known: false, key: null };
    try {
      return { known: true, key: parseNormalizedPartitionValue(raw, r.type, r.path[0]) as Key | null };
    } catch {
      return { known: false, key: null };
    }
  }

  column(r: ResolvedColumn, d: Domain): ColumnBounds | null {
    const stats = this.parsed();
    if (!stats) return null;
    const phys = physicalPath(this.ctx, r);
    const nullCountRaw = statAt(stats.nullCount, phys);
    const nullCount = typeof nullCountRaw === 'number' || typeof nullCountRaw === 'bigint' ? Number(nullCountRaw) : null;
    const b: ColumnBounds = { nullCount, exact: exactDomain(d) };
    const min = statKey(statAt(stats.minValues, phys), d, -1);
    const max = statKey(statAt(stats.maxValues, phys), d, 1);
    if (min !== undefined) b.min = min;
    if (max !== undefined) b.max = max;
    if (d.kind === 'float' && !(typeof max === 'number' && Number.isNaN(max))) b.nanAboveMax = true;
    return b;
  }
}

function statAt(obj: { [k: string]: StatValue }, path: readonly string[]): StatValue | undefined {
  let cur: StatValue | undefined = obj;
  for (const p of path) {
    if (cur === null || cur === undefined || typeof cur !== 'object' || Array.isArray(cur)) return undefined;
    cur = (cur as { [k: string]: StatValue })[p];
  }
  return cur;
}

/** Conservative key of a min (side = -1) or max (side = +1) statistic in domain `d`; undefined = no bound. */
function statKey(v: StatValue | undefined, d: Domain, side: -1 | 1): Key | undefined {
  if (v === null || v === undefined) return undefined;
  switch (d.kind) {
    case 'int':
    case 'long':
    case 'decimal': {
      if (typeof v !== 'number' && typeof v !== 'bigint') return undefined;
      const r = typeof v === 'bigint' ? { unscaled: v, scale: 0 } : numberToRational(v);
      if (!r) return undefined;
      const scale = d.kind === 'decimal' ? d.scale : 0;
      const s = rescale(r, scale);
      let k = s.exact ? s.value : side < 0 ? s.floor : s.ceil;
      // parseStats reads fractional JSON numbers as doubles: beyond ~15 significant digits the double may be
      // off by an ulp from the decimal text, so widen the bound by one ulp (in unscaled units) plus one.
      if (typeof v === 'number' && Math.abs(v) * 10 ** scale >= 1e15) {
        const ulp = 2 ** (Math.floor(Math.log2(Math.abs(v))) - 52);
        const widen = BigInt(Math.ceil(ulp * 10 ** scale)) + 1n;
        k = side < 0 ? k - widen : k + widen;
      }
      return d.kind === 'int' ? Number(k) : k;
    }
    case 'float':
      if (typeof v === 'bigint') return Number(v);
      // Spark writes NaN and the infinities as the strings "NaN", "Infinity", "-Infinity" (its JSON generator).
      if (typeof v === 'string') return parseNonFiniteText(v) ?? undefined;
      if (typeof v !== 'number') return undefined;
      // Spark writes a float's shortest float32 text while the column holds the float32 value itself, which as
      // a double may lie on either side of that text; with type widening (float -> double) old files keep such
      // stats under a double column. Take the wider of the two readings.
      return side < 0 ? Math.min(v, Math.fround(v)) : Math.max(v, Math.fround(v));
    case 'string': {
      if (typeof v !== 'string') return undefined;
      if (side > 0) {
        // A max cut to the prefix length (32 by default) is only an upper bound when a tie-breaker
        // (U+007F or U+10FFFF, Delta's truncateMaxStringAgg) was appended; a bare long max may be a cut prefix.
        const last = v.codePointAt(v.length - 1) ?? 0;
        const tieBreaker = last === 0x7f || last === 0x10ffff;
        if (!tieBreaker && [...v].length >= 32) return undefined;
      }
      return v; // a cut min is a prefix, which is <= the true min
    }
    case 'boolean':
      return typeof v === 'boolean' ? v : undefined;
    case 'date': {
      if (typeof v !== 'string') return undefined;
      const p = parseTimestampText(v);
      if (!p) return undefined;
      const days = floorDiv(p.micros, MICROS_PER_DAY);
      const exact = days * MICROS_PER_DAY === p.micros;
      return Number(exact || side < 0 ? days : days + 1n);
    }
    case 'timestamp': {
      if (typeof v !== 'string') return undefined;
      const p = parseTimestampText(v);
      if (!p) return undefined;
      // PROTOCOL.md "Per-file Statistics" footnote: timestamp stats are truncated to milliseconds.
      if (p.fractionDigits > 3) return p.micros;
      if (side > 0) return p.micros + 999n;
      return p.micros < 0n ? p.micros - 999n : p.micros; // some writers truncate toward zero before 1970
    }
    case 'binary':
      return undefined;
  }
}

/** Domains where min == max == v proves every non-null value equals v (no truncation, exact values). */
export function exactDomain(d: Domain): boolean {
  return d.kind === 'int' || d.kind === 'long' || d.kind === 'decimal' || d.kind === 'date' || d.kind === 'boolean';
}

// ---------------------------------------------------------------------------------------------------------
// Leaves

/** May some row of the set make `leaf` TRUE? */
function leafMay(src: BoundsSource, leaf: Leaf): boolean {
  const { schema } = src;
  if (leaf.kind === 'opaque') return true;
  // Normalize to column-vs-literal.
  let column: Expr;
  let op: ComparisonOp | null = null;
  let lits: Literal[] = [];
  if (leaf.kind === 'cmp') {
    if (leaf.left.kind === 'column' && leaf.right.kind === 'literal') {
      column = leaf.left;
      op = leaf.op;
      lits = [leaf.right];
    } else if (leaf.left.kind === 'literal' && leaf.right.kind === 'column') {
      column = leaf.right;
      op = flipOp(leaf.op);
      lits = [leaf.left];
    } else {
      return colVsColMay(src, leaf);
    }
  } else {
    column = leaf.operand;
    if (leaf.kind === 'in') {
      if (!leaf.values.every((v) => v.kind === 'literal')) return true;
      lits = leaf.values as Literal[];
    }
  }
  if (column.kind !== 'column') return true; // literal-only leaf: not worth proving anything
  const r = resolveColumn(schema, column.path);
  if (!r) return true;
  const d = domainOf(r.type);
  if (!d) return true;
  const name = r.path.join('.');
  const coerced: CoercedLiteral[] = lits.map((l) => coerceLiteral(l, r.type, name));

  if (src.isPartition(r)) {
    const { known, key } = src.partitionKey(r);
    if (!known) return true;
    if (leaf.kind === 'isNull') return (key === null) !== leaf.negated;
    if (leaf.kind === 'in') {
      const t = inList(key, coerced);
      return (leaf.negated ? not3(t) : t) === TRUE;
    }
    return compareWithLiteral(op!, key, coerced[0]!) === TRUE;
  }

  const bounds = src.column(r, d);
  if (!bounds) return true;
  const { nullCount, min, max } = bounds;
  const numRecords = src.numRecords();
  // PROTOCOL.md "Per-file Statistics": nullCount == numRecords means all (valid) rows are null and nullCount == 0
  // means none are, also for wide bounds; other values carry no information for wide bounds (not used here).
  const allNull = nullCount !== null && numRecords !== null && nullCount === numRecords;
  if (leaf.kind === 'isNull') {
    if (!leaf.negated) return nullCount !== 0;
    return !allNull;
  }
  if (allNull) return false; // comparisons / IN with a NULL value are never TRUE
  // Rows that are NaN may lie above max: keep the set when a NaN would match. Otherwise only the other values
  // can match, and max bounds those.
  if (bounds.nanAboveMax && nanMatches(leaf, op, coerced)) return true;
  const minLe = (k: Key) => min === undefined || compareKeys(min, k) <= 0;
  const maxGe = (k: Key) => max === undefined || compareKeys(max, k) >= 0;
  const single = (k: Key): boolean =>
    bounds.exact && min !== undefined && max !== undefined && compareKeys(min, k) === 0 && compareKeys(max, k) === 0;

  if (leaf.kind === 'in') {
    if (leaf.negated) {
      // x NOT IN (..., NULL) is never TRUE; otherwise only a file whose values all equal a listed value is skipped.
      if (coerced.some((c) => c.kind === 'null')) return false;
      return !coerced.some((c) => c.kind === 'exact' && single(c.key));
    }
    return coerced.some((c) => c.kind === 'exact' && minLe(c.key) && maxGe(c.key));
  }
  const c = coerced[0]!;
  if (c.kind === 'null') return false;
  if (c.kind === 'between') {
    switch (op!) {
      case '=':
        return false;
      case '!=':
        return true;
      case '<':
      case '<=':
        return min === undefined || compareKeys(min, c.floor) <= 0;
      case '>':
      case '>=':
        return max === undefined || compareKeys(max, c.ceil) >= 0;
    }
  }
  const v = c.key;
  switch (op!) {
    case '=':
      return minLe(v) && maxGe(v);
    case '!=':
      return !single(v);
    case '<':
      return min === undefined || compareKeys(min, v) < 0;
    case '<=':
      return minLe(v);
    case '>':
      return max === undefined || compareKeys(max, v) > 0;
    case '>=':
      return maxGe(v);
  }
}

/** Whether a NaN value makes a comparison / IN leaf TRUE (Spark: NaN = NaN, NaN above every number). */
function nanMatches(leaf: Leaf, op: ComparisonOp | null, coerced: CoercedLiteral[]): boolean {
  if (leaf.kind === 'in') {
    const t = inList(Number.NaN, coerced);
    return (leaf.negated ? not3(t) : t) === TRUE;
  }
  return op !== null && compareWithLiteral(op, Number.NaN, coerced[0]!) === TRUE;
}

/** Column-vs-column: decided only when both are partition columns of the same domain. */
function colVsColMay(src: BoundsSource, leaf: Extract<Leaf, { kind: 'cmp' }>): boolean {
  if (leaf.left.kind !== 'column' || leaf.right.kind !== 'column') return true;
  const a = resolveColumn(src.schema, leaf.left.path);
  const b = resolveColumn(src.schema, leaf.right.path);
  if (!a || !b || !src.isPartition(a) || !src.isPartition(b)) return true;
  const da = domainOf(a.type);
  const db = domainOf(b.type);
  if (!da || !db || JSON.stringify(da) !== JSON.stringify(db)) return true;
  const ka = src.partitionKey(a);
  const kb = src.partitionKey(b);
  if (!ka.known || !kb.known) return true;
  if (ka.key === null || kb.key === null) return false;
  return compareWithLiteral(leaf.op, ka.key, { kind: 'exact', key: kb.key }) === TRUE;
}

function may(src: BoundsSource, e: Nnf): boolean {
  switch (e.kind) {
    case 'and':
      return e.children.every((c) => may(src, c));
    case 'or':
      return e.children.some((c) => may(src, c));
    default:
      try {
        return leafMay(src, e);
      } catch {
        return true; // e.g. a literal incomparable with the column: let the exact filter report it
      }
  }
}

const nnfCache = new WeakMap<Expr, Nnf>();

/**
 * False only when no row of the set `src` describes can satisfy `expr` (SQL semantics: rows where it is NULL do
 * not match), judged from its bounds. True when unsure.
 */
export function mayMatch(src: BoundsSource, expr: Expr): boolean {
  if (src.numRecords() === 0) return false; // an empty set has no matching row
  let nnf = nnfCache.get(expr);
  if (!nnf) nnfCache.set(expr, (nnf = toNnf(expr, false)));
  return may(src, nnf);
}

/**
 * False only when no row of the file can satisfy `expr` (SQL semantics: rows where it is NULL do not match),
 * judged from partition values (exact) and per-file stats (bounds). True when unsure.
 */
export function fileMayMatch(add: Add, expr: Expr, ctx: PruningContext): boolean {
  return mayMatch(new FileBounds(add, ctx), expr);
}
