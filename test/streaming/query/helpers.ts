// Shared helpers of the streaming-query tests: a bronze table fed batch by batch, and the sink read back as model rows.
import { DeltaTable } from '../../../src/delta_table.js';
import type { StructType } from '../../../src/schema/types.js';
import { fromArrowSchema } from '../../../src/schema/arrow.js';
import { frameOf } from '../../../src/streaming/query/frame.js';
import { tempDir } from '../../helpers/tmp.js';
import { avg, count, countDistinct, first, last, max, min, sum, type StreamQuery, type WindowSpec } from '../../../src/index.js';
import type { Ev, ModelRow } from './model.js';

export const eventSchema: StructType = {
  type: 'struct',
  fields: [
    { name: 'ts', type: 'timestamp', nullable: true, metadata: {} },
    { name: 'sensor', type: 'string', nullable: true, metadata: {} },
    { name: 'temp', type: 'long', nullable: true, metadata: {} },
  ],
};

export async function bronze(): Promise<{ uri: string; table: DeltaTable; add: (b: Ev[]) => Promise<void> }> {
  const uri = tempDir('bronze-');
  const table = await DeltaTable.create(uri, { schema: eventSchema });
  return {
    uri,
    table,
    add: async (b) => {
      await table.append(b.map((e) => ({ ts: e.ts, sensor: e.sensor, temp: e.temp === null ? null : BigInt(e.temp) })));
    },
  };
}

/** Sink rows as plain objects (timestamps in ms, numbers as numbers), sorted. */
export async function sinkRows(uri: string): Promise<Record<string, unknown>[]> {
  const t = await DeltaTable.open(uri);
  const data = await t.scan().toArrow();
  const f = frameOf(data, fromArrowSchema(data.schema));
  const rows: Record<string, unknown>[] = [];
  for (let i = 0; i < f.numRows; i++) {
    const r: Record<string, unknown> = {};
    f.schema.fields.forEach((fd, c) => {
      const v = f.columns[c]![i];
      r[fd.name] = typeof v === 'bigint' ? (fd.type === 'timestamp' ? Number(v) / 1000 : Number(v)) : v;
    });
    rows.push(r);
  }
  return sortRows(rows);
}

export function sortRows<T>(rows: T[]): T[] {
  return rows.map((r) => [JSON.stringify(r), r] as const).sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0)).map((x) => x[1]);
}

/** Model rows in the sink's column names and order. */
export function asSink(rows: ModelRow[], windowed = true): Record<string, unknown>[] {
  return sortRows(
    rows.map((r) => ({
      ...(windowed ? { window_start: r.start, window_end: r.end } : {}),
      sensor: r.sensor,
      n: r.n,
      c: r.c,
      s: r.s,
      a: r.a,
      mn: r.mn,
      mx2: r.mx2,
      f: r.f,
      l: r.l,
      d: r.d,
    })),
  );
}

/** The query every model test runs: watermark 5 s, a filter, a computed column, window + sensor, nine aggregates. */
export function sensorQuery(src: DeltaTable, spec: WindowSpec): StreamQuery {
  return src
    .stream({ startingVersion: 0, maxFilesPerTrigger: 1 })
    .withWatermark('ts', '5 seconds')
    .where("sensor != 's9'")
    .withColumn('temp2', 'temp * 2')
    .groupBy(spec, 'sensor')
    .agg({ n: count(), c: count('temp'), s: sum('temp'), a: avg('temp'), mn: min('temp'), mx2: max('temp2'), f: first('temp'), l: last('temp'), d: countDistinct('temp') });
}
