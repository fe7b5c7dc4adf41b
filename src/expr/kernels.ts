// Column-at-a-time kernels over vectors (vectors.ts): comparisons, arithmetic, AND / OR / NOT, IS NULL and IN, one
// loop over typed arrays per operation, with the same results as the row engine (compile.ts). A kernel returns
// null when some row needs the row engine (an integral result beyond +-2^53 or outside its type, which the row
// engine computes exactly or reports as an overflow). No I/O.
import type { ComparisonOp } from './ast.js';
import { FALSE, NULL, TRUE, holds } from './literal_keys.js';
import type { NumVec, TruthVec } from './vectors.js';

/** Validity of rows valid in both (null = all valid). */
export function bothValid(a: Uint8Array | null, b: Uint8Array | null): Uint8Array | null {
  if (!a) return b;
  if (!b) return a;
  const out = new Uint8Array(a.length);
  for (let i = 0; i < a.length; i++) out[i] = a[i]! & b[i]!;
  return out;
}

/**
 * `a op b` per row in three-valued logic; `b` is a vector or one number for every row. `nan`: the values may be
 * NaN, which equals NaN and is above every number (compareKeys' order).
 */
export function compareVec(op: ComparisonOp, a: NumVec, b: NumVec | number, nan: boolean): TruthVec {
  const n = a.values.length;
  const out = new Uint8Array(n);
  const x = a.values;
  if (typeof b === 'number') {
    if (nan) cmpNaN(op, x, null, b, out);
    else cmpScalar(op, x, b, out);
    markNull(out, a.valid);
    return { kind: 'truth', values: out };
  }
  if (nan) cmpNaN(op, x, b.values, 0, out);
  else cmpVector(op, x, b.values, out);
  markNull(out, a.valid);
  markNull(out, b.valid);
  return { kind: 'truth', values: out };
}

function markNull(out: Uint8Array, valid: Uint8Array | null): void {
  if (!valid) return;
  for (let i = 0; i < out.length; i++) if (!valid[i]) out[i] = NULL;
}

function cmpScalar(op: ComparisonOp, x: Float64Array, k: number, out: Uint8Array): void {
  const n = x.length;
  switch (op) {
    case '=':
      for (let i = 0; i < n; i++) out[i] = x[i] === k ? TRUE : FALSE;
      return;
    case '!=':
      for (let i = 0; i < n; i++) out[i] = x[i] !== k ? TRUE : FALSE;
      return;
    case '<':
      for (let i = 0; i < n; i++) out[i] = x[i]! < k ? TRUE : FALSE;
      return;
    case '<=':
      for (let i = 0; i < n; i++) out[i] = x[i]! <= k ? TRUE : FALSE;
      return;
    case '>':
      for (let i = 0; i < n; i++) out[i] = x[i]! > k ? TRUE : FALSE;
      return;
    case '>=':
      for (let i = 0; i < n; i++) out[i] = x[i]! >= k ? TRUE : FALSE;
      return;
  }
}

function cmpVector(op: ComparisonOp, x: Float64Array, y: Float64Array, out: Uint8Array): void {
  const n = x.length;
  switch (op) {
    case '=':
      for (let i = 0; i < n; i++) out[i] = x[i] === y[i] ? TRUE : FALSE;
      return;
    case '!=':
      for (let i = 0; i < n; i++) out[i] = x[i] !== y[i] ? TRUE : FALSE;
      return;
    case '<':
      for (let i = 0; i < n; i++) out[i] = x[i]! < y[i]! ? TRUE : FALSE;
      return;
    case '<=':
      for (let i = 0; i < n; i++) out[i] = x[i]! <= y[i]! ? TRUE : FALSE;
      return;
    case '>':
      for (let i = 0; i < n; i++) out[i] = x[i]! > y[i]! ? TRUE : FALSE;
      return;
    case '>=':
      for (let i = 0; i < n; i++) out[i] = x[i]! >= y[i]! ? TRUE : FALSE;
      return;
  }
}

/** Comparison in the total order of compareKeys (NaN = NaN, NaN above every number). */
function cmpNaN(op: ComparisonOp, x: Float64Array, y: Float64Array | null, k: number, out: Uint8Array): void {
  for (let i = 0; i < x.length; i++) {
    const a = x[i]!;
    const b = y ? y[i]! : k;
    let c: number;
    if (a !== a || b !== b) c = a !== a ? (b !== b ? 0 : 1) : -1;
    else c = a < b ? -1 : a > b ? 1 : 0;
    out[i] = holds(op, c) ? TRUE : FALSE;
  }
}

/** `operand IN (keys)`: TRUE on a match, else NULL when the list holds a NULL, else FALSE; NULL operand is NULL. */
export function inVec(a: NumVec, keys: ReadonlySet<number>, listHasNull: boolean): TruthVec {
  const n = a.values.length;
  const out = new Uint8Array(n);
  const miss = listHasNull ? NULL : FALSE;
  const x = a.values;
  for (let i = 0; i < n; i++) out[i] = keys.has(x[i]!) ? TRUE : miss;
  markNull(out, a.valid);
  return { kind: 'truth', values: out };
}

/** Three-valued AND (`and`) or OR of two truth vectors, into a fresh array. */
export function logicVec(and: boolean, a: Uint8Array, b: Uint8Array): Uint8Array {
  const n = a.length;
  const out = new Uint8Array(n);
  // FALSE 0, TRUE 1, NULL 2: AND is FALSE if either is FALSE, else NULL if either is NULL; OR symmetrically.
  if (and) {
    for (let i = 0; i < n; i++) {
      const x = a[i]!;
      const y = b[i]!;
      out[i] = x === FALSE || y === FALSE ? FALSE : x === NULL || y === NULL ? NULL : TRUE;
    }
  } else {
    for (let i = 0; i < n; i++) {
      const x = a[i]!;
      const y = b[i]!;
      out[i] = x === TRUE || y === TRUE ? TRUE : x === NULL || y === NULL ? NULL : FALSE;
    }
  }
  return out;
}

export function notVec(a: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length);
  for (let i = 0; i < a.length; i++) out[i] = a[i] === NULL ? NULL : a[i] === TRUE ? FALSE : TRUE;
  return out;
}

/** IS NULL (or IS NOT NULL when `negated`) of a numeric or truth vector. */
export function isNullVec(valid: Uint8Array | null, truth: Uint8Array | null, n: number, negated: boolean): TruthVec {
  const out = new Uint8Array(n);
  const yes = negated ? FALSE : TRUE;
  const no = negated ? TRUE : FALSE;
  if (truth) for (let i = 0; i < n; i++) out[i] = truth[i] === NULL ? yes : no;
  else if (valid) for (let i = 0; i < n; i++) out[i] = valid[i] ? no : yes;
  else out.fill(no);
  return { kind: 'truth', values: out };
}

export type ArithOp = '+' | '-' | '*' | '/' | '%';

/**
 * How arithmetic results are checked: 'exact' integral results must stay within [min, max] (beyond: null, the row
 * engine decides); 'double' and 'float' (rounded to single precision) are IEEE results. `/` and `%` by 0 give NULL.
 */
export interface ArithMode {
  kind: 'exact' | 'double' | 'float';
  min: number;
  max: number;
}

/** `a op b` per row (either side may be one number for every row); null when a row needs the row engine. */
export function arithVec(op: ArithOp, a: NumVec | number, b: NumVec | number, mode: ArithMode): NumVec | null {
  const n = typeof a === 'number' ? (b as NumVec).values.length : a.values.length;
  // One loop per operator and shape (vector op vector, vector op number): no per-row dispatch.
  const x = typeof a === 'number' ? new Float64Array(n).fill(a) : a.values;
  const out = new Float64Array(n);
  let valid = bothValid(typeof a === 'number' ? null : a.valid, typeof b === 'number' ? null : b.valid);
  if (typeof b === 'number') {
    if ((op === '/' || op === '%') && b === 0) return { kind: 'num', values: out, valid: new Uint8Array(n) };
    switch (op) {
      case '+':
        for (let i = 0; i < n; i++) out[i] = x[i]! + b;
        break;
      case '-':
        for (let i = 0; i < n; i++) out[i] = x[i]! - b;
        break;
      case '*':
        for (let i = 0; i < n; i++) out[i] = x[i]! * b;
        break;
      case '/':
        for (let i = 0; i < n; i++) out[i] = x[i]! / b;
        break;
      case '%':
        if ((b | 0) === b) {
          // Integers in int32 range: the same JS result through V8's integer modulo (fmod is several times slower);
          // 0 keeps its sign through fmod (-0 % b is -0).
          for (let i = 0; i < n; i++) {
            const v = x[i]!;
            out[i] = (v | 0) === v && v !== 0 ? (v | 0) % b : v % b;
          }
        } else for (let i = 0; i < n; i++) out[i] = x[i]! % b;
        break;
    }
  } else {
    const y = b.values;
    switch (op) {
      case '+':
        for (let i = 0; i < n; i++) out[i] = x[i]! + y[i]!;
        break;
      case '-':
        for (let i = 0; i < n; i++) out[i] = x[i]! - y[i]!;
        break;
      case '*':
        for (let i = 0; i < n; i++) out[i] = x[i]! * y[i]!;
        break;
      case '/':
        for (let i = 0; i < n; i++) out[i] = x[i]! / y[i]!;
        break;
      case '%':
        for (let i = 0; i < n; i++) out[i] = x[i]! % y[i]!;
        break;
    }
    if (op === '/' || op === '%') {
      // x / 0 and x % 0 are NULL.
      let owned = false;
      for (let i = 0; i < n; i++) {
        if (y[i] === 0) {
          if (!owned) {
            valid = valid ? valid.slice() : new Uint8Array(n).fill(1);
            owned = true;
          }
          valid![i] = 0;
          out[i] = 0;
        }
      }
    }
  }
  if (mode.kind === 'float') {
    for (let i = 0; i < n; i++) out[i] = Math.fround(out[i]!);
  } else if (mode.kind === 'exact') {
    const { min, max } = mode;
    for (let i = 0; i < n; i++) {
      const r = out[i]!;
      if ((r < min || r > max) && (!valid || valid[i])) return null;
    }
  }
  return { kind: 'num', values: out, valid };
}

/** `x * k` per row for an exact integral conversion (date days to micros); null when a value leaves +-2^53. */
export function scaleVec(a: NumVec, k: number): NumVec | null {
  const out = new Float64Array(a.values.length);
  for (let i = 0; i < out.length; i++) {
    const r = a.values[i]! * k;
    if (!Number.isSafeInteger(r) && (!a.valid || a.valid[i])) return null;
    out[i] = r;
  }
  return { kind: 'num', values: out, valid: a.valid };
}

/** Unary minus; null when a result leaves [min, max] (exact integral types). */
export function negVec(a: NumVec, exact: { min: number; max: number } | null): NumVec | null {
  const out = new Float64Array(a.values.length);
  for (let i = 0; i < out.length; i++) {
    const r = -a.values[i]!;
    if (exact && (r < exact.min || r > exact.max) && (!a.valid || a.valid[i])) return null;
    out[i] = r;
  }
  return { kind: 'num', values: out, valid: a.valid };
}
