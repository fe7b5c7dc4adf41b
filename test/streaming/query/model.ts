// The independent truth for streaming-query tests: a plain TypeScript batch computation of a windowed aggregation
// over the same micro-batches, with the watermark rule written out directly (no code shared with src/).

export interface Ev {
  /** Event time, ms since epoch (null: no event time). */
  ts: number | null;
  sensor: string;
  temp: number | null;
}

export type ModelWindow =
  | { kind: 'tumbling'; size: number }
  | { kind: 'hopping'; size: number; slide: number }
  | { kind: 'session'; gap: number; maxDuration?: number }
  | { kind: 'snapshot' };

export interface ModelQuery {
  window: ModelWindow;
  delay: number;
  keep: (e: Ev) => boolean;
  policy?: 'drop' | 'adjust';
}

/** Row as the sink holds it: window in ms, aggregates of temp (count(*), count(temp), sum, avg, min, max(temp*2), first, last, countDistinct). */
export interface ModelRow {
  start: number;
  end: number;
  sensor: string;
  n: number;
  c: number;
  s: number | null;
  a: number | null;
  mn: number | null;
  mx2: number | null;
  f: number | null;
  l: number | null;
  d: number;
}

interface Kept {
  t: number;
  seq: number;
  e: Ev;
}

/** Rows that survive the watermark, each batch judged by the watermark of the batches before it; and the final watermark. */
export function survivors(batches: Ev[][], q: ModelQuery, dropLate: boolean): { kept: Kept[]; watermark: number | null; dropped: number } {
  let wm: number | null = null;
  let maxEv: number | null = null;
  const kept: Kept[] = [];
  let dropped = 0;
  batches.forEach((batch, b) => {
    // withWatermark comes before where in the tested query: every row with a time counts for max event time.
    for (const e of batch) if (e.ts !== null && (maxEv === null || e.ts > maxEv)) maxEv = e.ts;
    batch.forEach((e, i) => {
      if (!q.keep(e) || e.ts === null) return;
      let t = e.ts;
      if (dropLate && wm !== null && t < wm) {
        if ((q.policy ?? 'drop') === 'drop') {
          dropped++;
          return;
        }
        t = wm;
      }
      kept.push({ t, seq: b * 1e6 + i, e });
    });
    if (maxEv !== null && (wm === null || maxEv - q.delay > wm)) wm = maxEv - q.delay;
  });
  return { kept, watermark: wm, dropped };
}

function aggregate(start: number, end: number, sensor: string, rows: Kept[]): ModelRow {
  const sorted = [...rows].sort((x, y) => x.t - y.t || x.seq - y.seq);
  const temps = rows.map((r) => r.e.temp).filter((v): v is number => v !== null);
  return {
    start,
    end,
    sensor,
    n: rows.length,
    c: temps.length,
    s: temps.length ? temps.reduce((a, b) => a + b, 0) : null,
    a: temps.length ? temps.reduce((a, b) => a + b, 0) / temps.length : null,
    mn: temps.length ? Math.min(...temps) : null,
    mx2: temps.length ? Math.max(...temps) * 2 : null,
    f: sorted[0]!.e.temp,
    l: sorted[sorted.length - 1]!.e.temp,
    d: new Set(temps).size,
  };
}

/** Every window of the query over `kept`, with the watermark at which each one is complete. */
export function windows(kept: Kept[], w: ModelWindow): { row: ModelRow; closeAt: number }[] {
  const out: { row: ModelRow; closeAt: number }[] = [];
  const bySensor = new Map<string, Kept[]>();
  for (const k of kept) bySensor.set(k.e.sensor, [...(bySensor.get(k.e.sensor) ?? []), k]);
  for (const [sensor, rows] of bySensor) {
    const groups = new Map<string, { start: number; end: number; closeAt: number; rows: Kept[] }>();
    const put = (start: number, end: number, closeAt: number, r: Kept): void => {
      const key = `${start}/${end}`;
      const g = groups.get(key) ?? { start, end, closeAt, rows: [] };
      g.rows.push(r);
      groups.set(key, g);
    };
    if (w.kind === 'session') {
      const buckets = new Map<number, Kept[]>();
      for (const r of rows) {
        const b = w.maxDuration ? Math.floor(r.t / w.maxDuration) : 0;
        buckets.set(b, [...(buckets.get(b) ?? []), r]);
      }
      for (const [b, list] of buckets) {
        list.sort((x, y) => x.t - y.t);
        const bucketEnd = w.maxDuration ? (b + 1) * w.maxDuration : Infinity;
        let cur: Kept[] = [];
        const flush = (): void => {
          if (!cur.length) return;
          const end = Math.min(cur[cur.length - 1]!.t + w.gap, bucketEnd);
          for (const r of cur) put(cur[0]!.t, end, end, r);
          cur = [];
        };
        for (const r of list) {
          if (cur.length && r.t >= cur[cur.length - 1]!.t + w.gap) flush();
          cur.push(r);
        }
        flush();
      }
    } else {
      for (const r of rows) {
        if (w.kind === 'tumbling') {
          const s = Math.floor(r.t / w.size) * w.size;
          put(s, s + w.size, s + w.size, r);
        } else if (w.kind === 'hopping') {
          for (let k = Math.floor(r.t / w.slide); k * w.slide + w.size > r.t; k--) put(k * w.slide, k * w.slide + w.size, k * w.slide + w.size, r);
        } else put(r.t, r.t, r.t + 0.001, r);
      }
    }
    for (const g of groups.values()) out.push({ row: aggregate(g.start, g.end, sensor, g.rows), closeAt: g.closeAt });
  }
  return out;
}

/** What the sink holds after draining in append mode: windows the final watermark closed. */
export function appendResult(batches: Ev[][], q: ModelQuery): ModelRow[] {
  const { kept, watermark } = survivors(batches, q, true);
  return windows(kept, q.window)
    .filter((w) => watermark !== null && w.closeAt <= watermark)
    .map((w) => w.row);
}

/** Update mode: every window over the rows the watermark kept, at its latest value (each change was upserted). */
export function updateResult(batches: Ev[][], q: ModelQuery): ModelRow[] {
  return windows(survivors(batches, q, true).kept, q.window).map((w) => w.row);
}

/** Complete mode: every window over every row (the watermark drops nothing and evicts nothing there). */
export function completeResult(batches: Ev[][], q: ModelQuery): ModelRow[] {
  return windows(survivors(batches, q, false).kept, q.window).map((w) => w.row);
}

/** Deterministic pseudo-random events: mostly increasing time with jitter, some out of order, some very late. */
export function makeEvents(seed: number, batches: number, perBatch: number, stepMs: number): Ev[][] {
  let x = seed >>> 0 || 1;
  const rnd = (): number => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) / 4294967296;
  };
  const base = Date.UTC(2026, 0, 1, 12, 0, 0);
  const out: Ev[][] = [];
  let clock = base;
  for (let b = 0; b < batches; b++) {
    const batch: Ev[] = [];
    for (let i = 0; i < perBatch; i++) {
      clock += Math.floor(rnd() * stepMs);
      const r = rnd();
      // 10% out of order within a few steps, 5% very late, 2% without time.
      const ts = r < 0.02 ? null : r < 0.07 ? clock - Math.floor(20 * stepMs + rnd() * 40 * stepMs) : r < 0.17 ? clock - Math.floor(rnd() * 12 * stepMs) : clock;
      const sensor = `s${Math.floor(rnd() * 3)}`;
      const temp = rnd() < 0.1 ? null : Math.floor(rnd() * 200) - 60;
      batch.push({ ts: ts === null ? null : Math.floor(ts / 1000) * 1000, sensor, temp });
    }
    out.push(batch);
  }
  return out;
}
