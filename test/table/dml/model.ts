// A plain TypeScript model of a DML test table (rows in memory) and the random operations run against both it and
// deltats: each operation carries the SQL / builder calls for the table and the same change on the model.
import type { DeltaTable, MergeBuilder } from '../../../src/index.js';

export interface Row {
  id: bigint | null;
  p: string | null;
  v: number | null;
  s: string | null;
}

export const SCHEMA = {
  type: 'struct' as const,
  fields: [
    { name: 'id', type: 'long', nullable: true, metadata: {} },
    { name: 'p', type: 'string', nullable: true, metadata: {} },
    { name: 'v', type: 'double', nullable: true, metadata: {} },
    { name: 's', type: 'string', nullable: true, metadata: {} },
  ],
};

export function rowKey(r: Record<string, unknown>): string {
  return `${r.id ?? 'null'}|${r.p ?? 'null'}|${r.v ?? 'null'}|${r.s ?? 'null'}`;
}

export function sortedKeys(rows: readonly Record<string, unknown>[]): string[] {
  return rows.map(rowKey).sort();
}

export function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export interface Step {
  describe: string;
  /** Apply to the table; the version committed (unchanged when nothing was written). */
  run(t: DeltaTable): Promise<void>;
  /** Apply to the model. */
  model(rows: Row[]): Row[];
}

type Pred = { sql: string; f: (r: Row) => boolean };

const gt = (a: number | null, b: number | null): boolean => a !== null && b !== null && a > b;

export class Generator {
  /** `write`: options of every write and DML call (rowGroupSize for files of several row groups). */
  constructor(
    private readonly r: () => number,
    private readonly write: { rowGroupSize?: number } = {},
  ) {}
  int(n: number): number {
    return Math.floor(this.r() * n);
  }
  pick<T>(xs: readonly T[]): T {
    return xs[this.int(xs.length)]!;
  }
  maybeNull<T>(v: T, p = 0.15): T | null {
    return this.r() < p ? null : v;
  }
  row(): Row {
    return {
      id: this.maybeNull(BigInt(this.int(40))),
      p: this.maybeNull(this.pick(['a', 'b', 'c'])),
      v: this.maybeNull(this.int(20) / 2),
      s: this.maybeNull(this.pick(['x', 'y', 'zz'])),
    };
  }

  predicate(): Pred {
    const k = this.int(40);
    const x = this.int(20) / 2;
    const part = this.pick(['a', 'b', 'c']);
    const list = [this.int(40), this.int(40), this.int(40)];
    return this.pick<Pred>([
      { sql: `id < ${k}`, f: (r) => r.id !== null && r.id < BigInt(k) },
      { sql: 'id IS NULL', f: (r) => r.id === null },
      { sql: `p = '${part}'`, f: (r) => r.p === part },
      { sql: 'p IS NULL', f: (r) => r.p === null },
      { sql: `v > ${x} OR id = ${k}`, f: (r) => gt(r.v, x) || (r.id !== null && r.id === BigInt(k)) },
      { sql: `NOT (v > ${x})`, f: (r) => r.v !== null && !(r.v > x) },
      { sql: `s = 'x' AND id >= ${k}`, f: (r) => r.s === 'x' && r.id !== null && r.id >= BigInt(k) },
      { sql: `id IN (${list.join(', ')})`, f: (r) => r.id !== null && list.map(BigInt).includes(r.id) },
    ]);
  }

  assignments(): { set: Record<string, string>; f: (r: Row) => Row } {
    const all: Array<[string, string, (r: Row) => Partial<Row>]> = [
      ['v', 'v * 2', (r) => ({ v: r.v === null ? null : r.v * 2 })],
      ['v', 'NULL', () => ({ v: null })],
      ['v', 'CASE WHEN v IS NULL THEN 0 ELSE v + 1 END', (r) => ({ v: r.v === null ? 0 : r.v + 1 })],
      ['s', "'u'", () => ({ s: 'u' })],
      ['s', "'s' || CAST(id AS STRING)", (r) => ({ s: r.id === null ? null : `s${r.id}` })],
      ['p', "'c'", () => ({ p: 'c' })],
      ['id', 'id + 100', (r) => ({ id: r.id === null ? null : r.id + 100n })],
    ];
    const chosen = new Map<string, [string, (r: Row) => Partial<Row>]>();
    const n = 1 + this.int(2);
    while (chosen.size < n) {
      const [c, e, f] = this.pick(all);
      if (!chosen.has(c)) chosen.set(c, [e, f]);
    }
    const set: Record<string, string> = {};
    for (const [c, [e]] of chosen) set[c] = e;
    // SET expressions all see the old row.
    return { set, f: (r) => Object.assign({ ...r }, ...[...chosen.values()].map(([, f]) => f(r))) };
  }

  step(partitioned: boolean): Step {
    const kind = this.pick(['append', 'append', 'delete', 'update', 'merge', 'merge']);
    if (kind === 'append') {
      const rows = Array.from({ length: 1 + this.int(15) }, () => this.row());
      return {
        describe: `append ${rows.length}`,
        run: async (t) => void (await t.append(rows.map((r) => ({ ...r })), this.write)),
        model: (m) => [...m, ...rows],
      };
    }
    if (kind === 'delete') {
      const p = this.r() < 0.05 ? null : this.predicate();
      return {
        describe: `delete ${p?.sql ?? '(all)'}`,
        run: async (t) => void (await t.delete(p?.sql, this.write)),
        model: (m) => m.filter((r) => (p ? !p.f(r) : false)),
      };
    }
    if (kind === 'update') {
      const p = this.r() < 0.1 ? null : this.predicate();
      const a = this.assignments();
      return {
        describe: `update set ${JSON.stringify(a.set)} where ${p?.sql ?? '(all)'}`,
        run: async (t) => void (await t.update({ where: p?.sql, set: a.set }, this.write)),
        model: (m) => m.map((r) => (!p || p.f(r) ? a.f(r) : r)),
      };
    }
    return this.merge(partitioned);
  }

  merge(_partitioned: boolean): Step {
    // Source: distinct non-null ids (a target row meets at most one source row), some null ids.
    const ids = new Set<number>();
    const n = 1 + this.int(10);
    while (ids.size < n) ids.add(this.int(45));
    const src = [...ids].map((id) => ({ ...this.row(), id: BigInt(id) as bigint | null, flag: this.r() < 0.3 }));
    if (this.r() < 0.5) src.push({ ...this.row(), id: null, flag: false });
    const byP = this.r() < 0.3;
    const on = byP ? 't.id = s.id AND t.p = s.p' : 't.id = s.id';
    const matches = (t: Row, s: Row): boolean => t.id !== null && s.id !== null && t.id === s.id && (!byP || (t.p !== null && s.p !== null && t.p === s.p));
    type S = (typeof src)[number];
    type Matched = { add(b: MergeBuilder): void; cond: (t: Row, s: S) => boolean; act: (t: Row, s: S) => Row | null; cond0: boolean };
    const matchedPool: Matched[] = [
      { add: (b) => b.whenMatchedDelete({ where: 's.flag' }), cond: (_t, s) => s.flag, act: () => null, cond0: true },
      {
        add: (b) => b.whenMatchedUpdate({ where: 's.v > t.v', set: { v: 's.v', s: "'m'" } }),
        cond: (t, s) => gt(s.v, t.v),
        act: (t, s) => ({ ...t, v: s.v, s: 'm' }),
        cond0: true,
      },
      { add: (b) => b.whenMatchedUpdate({ set: { v: 't.v + 1' } }), cond: () => true, act: (t) => ({ ...t, v: t.v === null ? null : t.v + 1 }), cond0: false },
      { add: (b) => b.whenMatchedUpdateAll(), cond: () => true, act: (_t, s) => ({ id: s.id, p: s.p, v: s.v, s: s.s }), cond0: false },
      { add: (b) => b.whenMatchedDelete(), cond: () => true, act: () => null, cond0: false },
    ];
    type NotMatched = { add(b: MergeBuilder): void; cond: (s: S) => boolean; act: (s: S) => Row; cond0: boolean };
    const insertPool: NotMatched[] = [
      { add: (b) => b.whenNotMatchedInsertAll({ where: 's.v IS NOT NULL' }), cond: (s) => s.v !== null, act: (s) => ({ id: s.id, p: s.p, v: s.v, s: s.s }), cond0: true },
      { add: (b) => b.whenNotMatchedInsert({ values: { id: 's.id', v: 's.v' } }), cond: () => true, act: (s) => ({ id: s.id, p: null, v: s.v, s: null }), cond0: false },
      { add: (b) => b.whenNotMatchedInsertAll(), cond: () => true, act: (s) => ({ id: s.id, p: s.p, v: s.v, s: s.s }), cond0: false },
    ];
    type BySource = { add(b: MergeBuilder): void; cond: (t: Row) => boolean; act: (t: Row) => Row | null; cond0: boolean };
    const bySourcePool: BySource[] = [
      { add: (b) => b.whenNotMatchedBySourceDelete({ where: 't.v < 3' }), cond: (t) => t.v !== null && t.v < 3, act: () => null, cond0: true },
      { add: (b) => b.whenNotMatchedBySourceUpdate({ where: 't.id IS NULL', set: { s: "'gone'" } }), cond: (t) => t.id === null, act: (t) => ({ ...t, s: 'gone' }), cond0: true },
      { add: (b) => b.whenNotMatchedBySourceUpdate({ set: { v: '0' } }), cond: () => true, act: (t) => ({ ...t, v: 0 }), cond0: false },
    ];
    // Spark: within each kind, only the last clause may omit its condition.
    const choose = <T extends { cond0: boolean }>(pool: T[], max: number): T[] => {
      const out: T[] = [];
      const k = this.int(max + 1);
      for (let i = 0; i < k; i++) {
        const c = this.pick(pool);
        if (out.includes(c)) continue;
        out.push(c);
        if (!c.cond0) break;
      }
      return out;
    };
    let matched = choose(matchedPool, 2);
    const inserts = choose(insertPool, 2);
    const bySource = this.r() < 0.3 ? choose(bySourcePool, 2) : [];
    if (!matched.length && !inserts.length && !bySource.length) matched = [matchedPoolDefault(matchedPool)];
    const clauses = [...matched.map((c) => c.add), ...inserts.map((c) => c.add), ...bySource.map((c) => c.add)];
    return {
      describe: `merge on ${on}: ${matched.length} matched, ${inserts.length} insert, ${bySource.length} by-source clauses, ${src.length} source rows`,
      run: async (t) => {
        const b = t.merge(src.map((r) => ({ ...r })), { on, targetAlias: 't', sourceAlias: 's', ...this.write });
        for (const add of clauses) add(b);
        await b.execute();
      },
      model: (m) => {
        const out: Row[] = [];
        for (const tr of m) {
          const s = src.find((x) => matches(tr, x));
          if (s) {
            const c = matched.find((c) => c.cond(tr, s));
            if (!c) out.push(tr);
            else {
              const r = c.act(tr, s);
              if (r) out.push(r);
            }
          } else {
            const c = bySource.find((c) => c.cond(tr));
            if (!c) out.push(tr);
            else {
              const r = c.act(tr);
              if (r) out.push(r);
            }
          }
        }
        for (const s of src) {
          if (m.some((tr) => matches(tr, s))) continue;
          const c = inserts.find((c) => c.cond(s));
          if (c) out.push(c.act(s));
        }
        return out;
      },
    };
  }
}

function matchedPoolDefault<T>(pool: T[]): T {
  return pool[2]!;
}
