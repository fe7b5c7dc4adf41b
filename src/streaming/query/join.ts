// Stream-static join: each micro-batch's rows joined with the rows of a reference Delta table (sensor names,
// thresholds), re-read when that table has a new version. Equality conjuncts of `on` pick candidates by hash; the
// whole `on` is then evaluated on each candidate pair (SQL three-valued logic). Inner and left outer joins.
import { ExpressionError, InvalidArgumentError } from '../../errors.js';
import { type Expr, childrenOf } from '../../expr/ast.js';
import { compileNode } from '../../expr/compile.js';
import type { Compiled } from '../../expr/compiled.js';
import { resolveRef } from '../../expr/resolve.js';
import type { Value } from '../../schema/access/get.js';
import type { StructField, StructType } from '../../schema/types.js';
import type { Snapshot } from '../../log/snapshot.js';
import { Scan } from '../../table/scan.js';
import { Frame, frameOf, toExpr } from './frame.js';

export interface JoinOptions {
  /** Join condition over the stream (alias `e`) and the reference table (alias `r`): 'e.sensor = r.sensor'. */
  on: string | Expr;
  /** 'inner' (default) or 'left' (stream rows without a match keep null reference columns). */
  type?: 'inner' | 'left';
  /** Aliases of the stream and the reference table in `on` (default ['e', 'r']). */
  aliases?: [string, string];
}

export interface CompiledJoin {
  out: StructType;
  refresh(): Promise<void>;
  apply(f: Frame): Frame;
}

type Side = 0 | 1;

/** Relations an expression references (0 stream, 1 reference). */
function sidesOf(e: Expr, scope: { name: string; schema: StructType }[], acc = new Set<Side>()): Set<Side> {
  if (e.kind === 'column') {
    const r = resolveRef(scope, e.path);
    if (r) acc.add(r.relation as Side);
  } else for (const c of childrenOf(e)) sidesOf(c, scope, acc);
  return acc;
}

function hashKey(v: Value): string {
  return typeof v === 'bigint' ? `n${v}` : typeof v === 'number' ? `n${v}` : typeof v === 'string' ? `s${v}` : JSON.stringify(v);
}

/** An opened reference table (a DeltaTable fits): its snapshot is brought up to date before each batch. */
export interface ReferenceTable {
  readonly uri: string;
  readonly snapshot: Snapshot;
}

export function compileJoin(left: StructType, table: ReferenceTable, options: JoinOptions): CompiledJoin {
  if (!options || (typeof options.on !== 'string' && (typeof options.on !== 'object' || options.on === null))) {
    throw new InvalidArgumentError("join needs options.on, e.g. { on: 'e.sensor = r.sensor' }");
  }
  const type = options.type ?? 'inner';
  if (type !== 'inner' && type !== 'left') throw new InvalidArgumentError(`join type must be 'inner' or 'left', got '${String(type)}'`);
  const [ea, ra] = options.aliases ?? ['e', 'r'];
  let snap = table.snapshot;
  const right = snap.schema;
  const scope = [
    { name: ea, schema: left },
    { name: ra, schema: right },
  ];
  const on = toExpr(options.on);
  let cond: Compiled;
  try {
    cond = compileNode(on, { relations: scope });
  } catch (err) {
    if (err instanceof ExpressionError) throw new ExpressionError(`join on: ${err.message}`, err.expression, err.position);
    throw err;
  }
  if (cond.type !== 'boolean') throw new ExpressionError(`join on: the condition must be boolean`);
  // Equality conjuncts stream-expr = reference-expr of the same type: the hash keys.
  const conjuncts = on.kind === 'and' ? on.children : [on];
  const keys: { l: Compiled; r: Compiled }[] = [];
  for (const c of conjuncts) {
    if (c.kind !== 'cmp' || c.op !== '=') continue;
    const a = sidesOf(c.left, scope);
    const b = sidesOf(c.right, scope);
    const one = (s: Set<Side>, x: Side): boolean => s.size === 1 && s.has(x);
    const [l, r] = one(a, 0) && one(b, 1) ? [c.left, c.right] : one(a, 1) && one(b, 0) ? [c.right, c.left] : [null, null];
    if (!l || !r) continue;
    const lc = compileNode(l, { relations: scope });
    const rc = compileNode(r, { relations: scope });
    if (JSON.stringify(lc.type) === JSON.stringify(rc.type)) keys.push({ l: lc, r: rc });
  }
  const leftNames = new Set(left.fields.map((f) => f.name.toLowerCase()));
  const rightOut: StructField[] = right.fields.map((f) => ({
    ...f,
    name: leftNames.has(f.name.toLowerCase()) ? `${ra}_${f.name}` : f.name,
    nullable: true,
  }));
  const out: StructType = { type: 'struct', fields: [...left.fields, ...rightOut] };

  let refVersion = -1;
  let ref: Frame = Frame.of(right, 0, right.fields.map(() => []));
  let index = new Map<string, number[]>();
  const inputOf = (lf: Frame, li: number[], ri: number[]) => ({
    numRows: li.length,
    column(refc: { relation: number; path: readonly string[] }): Value[] {
      const [frame, idx] = refc.relation === 0 ? [lf, li] : [ref, ri];
      const c = frame.schema.fields.findIndex((f) => f.name === refc.path[0]);
      const col = frame.column(c);
      let vals: Value[] = idx.map((i) => col[i]!);
      for (let k = 1; k < refc.path.length; k++) vals = vals.map((v) => (v === null ? null : ((v as Record<string, Value>)[refc.path[k]!] ?? null)));
      return vals;
    },
  });

  return {
    out,
    async refresh() {
      snap = await snap.update();
      if (snap.version === refVersion) return;
      if (JSON.stringify(snap.schema) !== JSON.stringify(right)) {
        throw new InvalidArgumentError(`the schema of the reference table ${table.uri} changed at version ${snap.version}: restart the query`);
      }
      ref = frameOf(await new Scan(snap).toArrow(), right);
      refVersion = snap.version;
      index = new Map();
      if (keys.length) {
        const all = Array.from({ length: ref.numRows }, (_, i) => i);
        const cols = keys.map((k) => k.r.evaluate(inputOf(ref, [], all) as never));
        for (let i = 0; i < ref.numRows; i++) {
          if (cols.some((c) => c[i] === null)) continue; // null never equals
          const h = cols.map((c) => hashKey(c[i]!)).join('\u0000');
          const list = index.get(h);
          if (list) list.push(i);
          else index.set(h, [i]);
        }
      }
    },
    apply(f) {
      const all = Array.from({ length: ref.numRows }, (_, i) => i);
      const li: number[] = [];
      const ri: number[] = [];
      if (keys.length) {
        const idx = Array.from({ length: f.numRows }, (_, i) => i);
        const cols = keys.map((k) => k.l.evaluate(inputOf(f, idx, []) as never));
        for (let i = 0; i < f.numRows; i++) {
          if (cols.some((c) => c[i] === null)) continue;
          for (const r of index.get(cols.map((c) => hashKey(c[i]!)).join('\u0000')) ?? []) li.push(i), ri.push(r);
        }
      } else for (let i = 0; i < f.numRows; i++) for (const r of all) li.push(i), ri.push(r);
      const ok = li.length ? cond.evaluate(inputOf(f, li, ri) as never) : [];
      const matchedL: number[] = [];
      const matchedR: (number | null)[] = [];
      const hit = new Uint8Array(f.numRows);
      for (let k = 0; k < li.length; k++) {
        if (ok[k] !== true) continue;
        hit[li[k]!] = 1;
        matchedL.push(li[k]!);
        matchedR.push(ri[k]!);
      }
      if (type === 'left') for (let i = 0; i < f.numRows; i++) if (!hit[i]) matchedL.push(i), matchedR.push(null);
      // Keep stream order: by stream row, then reference row.
      const order = matchedL.map((_, k) => k).sort((a, b) => matchedL[a]! - matchedL[b]! || (matchedR[a] ?? -1) - (matchedR[b] ?? -1));
      return Frame.of(out, order.length, [
        ...f.columns.map((c) => order.map((k) => c[matchedL[k]!]!)),
        ...ref.columns.map((c) => order.map((k) => (matchedR[k] === null ? null : c[matchedR[k]!]!))),
      ]);
    },
  };
}
