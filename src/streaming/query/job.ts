// A streaming job (what `deltats stream <job>` runs): described as JSON (source, ordered steps, optional aggregation,
// sink and run options), or defined in a TS/JS module as a StreamQuery plus writeTo options; either is turned into a
// StreamQuery and writeTo options. Validation only; no running, no module loading.
import * as path from 'node:path';
import { InvalidArgumentError } from '../../errors.js';
import { DeltaSource, type DeltaSourceOptions } from '../source.js';
import type { Trigger } from '../runner.js';
import { type AggSpec, avg, count, countDistinct, first, last, max, min, sum } from './aggregate.js';
import type { OutputMode } from './aggregation.js';
import type { Duration } from './duration.js';
import { StreamQuery, type WriteToOptions } from './query.js';
import type { SelectItem } from './stages.js';
import { type WindowSpec, hoppingWindow, sessionWindow, snapshotWindow, tumblingWindow } from './window.js';

/**
 * {
 *   "source": "./bronze", "sourceOptions": { "startingVersion": 0 },
 *   "steps": [ { "withWatermark": { "column": "ts", "delay": "30 seconds" } }, { "where": "temp > -50" },
 *              { "withColumn": { "name": "temp_f", "expr": "temp * 9 / 5 + 32" } }, { "select": ["sensor", "temp_f"] },
 *              { "join": { "table": "./sensors", "on": "e.sensor = r.sensor", "type": "left" } } ],
 *   "groupBy": { "window": { "type": "tumbling", "column": "ts", "size": "1 minute" }, "keys": ["sensor"] },
 *   "agg": { "n": "count()", "avg_temp": "avg(temp)" },
 *   "sink": "./silver", "checkpointLocation": "./ckpt/silver", "outputMode": "append", "trigger": { "availableNow": true }
 * }
 * Relative paths are relative to the job file's folder.
 */
export interface StreamJob {
  source: string;
  sourceOptions?: DeltaSourceOptions;
  steps?: Record<string, unknown>[];
  groupBy?: { window?: { type: string; column: string; size?: Duration; slide?: Duration; gap?: Duration; maxDuration?: Duration }; keys?: string[] };
  agg?: Record<string, string>;
  sink: string;
  checkpointLocation: string;
  outputMode?: OutputMode;
  trigger?: Trigger;
  queryId?: string;
  partitionBy?: string[];
}

const AGGS: Record<string, (x: string) => AggSpec> = { sum, avg, min, max, first, last, countdistinct: countDistinct };

/** `count()`, `count(*)`, `avg(temp)`, `countDistinct(sensor)`, `max(temp * 2)`. */
export function parseAggregate(name: string, text: string): AggSpec {
  const m = typeof text === 'string' ? /^\s*([a-zA-Z]+)\s*\((.*)\)\s*$/s.exec(text) : null;
  const fn = m?.[1]!.toLowerCase();
  const arg = m?.[2]!.trim() ?? '';
  if (fn === 'count') return arg === '' || arg === '*' ? count() : count(arg);
  const make = fn === undefined ? undefined : AGGS[fn];
  if (!make || arg === '') {
    throw new InvalidArgumentError(
      `job agg '${name}': '${String(text)}' is not an aggregate (count(), count(col), sum, avg, min, max, first, last, countDistinct of a column or expression)`,
    );
  }
  return make(arg);
}

function isUri(p: string): boolean {
  return /^[a-z][a-z0-9+.-]*:\/\//i.test(p);
}

function windowOf(w: NonNullable<StreamJob['groupBy']>['window'] & object): WindowSpec {
  switch (w.type) {
    case 'tumbling':
      return tumblingWindow(w.column, w.size!);
    case 'hopping':
      return hoppingWindow(w.column, w.size!, w.slide!);
    case 'session':
      return sessionWindow(w.column, w.gap!, { maxDuration: w.maxDuration });
    case 'snapshot':
      return snapshotWindow(w.column);
    default:
      throw new InvalidArgumentError(`job groupBy.window.type must be tumbling, hopping, session or snapshot, got '${String(w.type)}'`);
  }
}

/** The query and writeTo arguments of a job; `baseDir` resolves relative paths. */
export function jobQuery(job: StreamJob, baseDir: string): { query: StreamQuery; sink: string; options: WriteToOptions } {
  if (!job || typeof job !== 'object') throw new InvalidArgumentError('a stream job must be a JSON object');
  for (const k of ['source', 'sink', 'checkpointLocation'] as const) {
    if (typeof job[k] !== 'string' || job[k] === '') throw new InvalidArgumentError(`the job needs "${k}" (a path or URI)`);
  }
  const at = (p: string): string => (isUri(p) ? p : path.resolve(baseDir, p));
  let q = new StreamQuery({ source: new DeltaSource(at(job.source), job.sourceOptions ?? {}), stages: [] });
  for (const [i, step] of (job.steps ?? []).entries()) {
    const keys = step && typeof step === 'object' ? Object.keys(step) : [];
    if (keys.length !== 1) throw new InvalidArgumentError(`job step ${i + 1} must be an object with one key (where, withColumn, select, withWatermark, join)`);
    const v = step[keys[0]!] as Record<string, unknown> & unknown[];
    switch (keys[0]) {
      case 'where':
        q = q.where(v as unknown as string);
        break;
      case 'withColumn':
        q = q.withColumn(v.name as string, v.expr as string);
        break;
      case 'select':
        q = q.select(...(v as SelectItem[]));
        break;
      case 'withWatermark':
        q = q.withWatermark(v.column as string, v.delay as Duration, { lateArrivalPolicy: v.lateArrivalPolicy as 'drop' | 'adjust' | undefined });
        break;
      case 'join':
        q = q.join(at(v.table as string), { on: v.on as string, type: v.type as 'inner' | 'left' | undefined });
        break;
      default:
        throw new InvalidArgumentError(`job step ${i + 1}: unknown step '${keys[0]}' (where, withColumn, select, withWatermark, join)`);
    }
  }
  if (job.groupBy || job.agg) {
    if (!job.agg || typeof job.agg !== 'object') throw new InvalidArgumentError('a job with groupBy needs "agg": { name: "avg(col)", ... }');
    const g = job.groupBy ?? {};
    const items = [...(g.window ? [windowOf(g.window)] : []), ...(g.keys ?? [])];
    q = q.groupBy(...items).agg(Object.fromEntries(Object.entries(job.agg).map(([n, t]) => [n, parseAggregate(n, t)])));
  }
  return {
    query: q,
    sink: at(job.sink),
    options: {
      checkpointLocation: at(job.checkpointLocation),
      outputMode: job.outputMode,
      trigger: job.trigger,
      queryId: job.queryId,
      partitionBy: job.partitionBy,
    },
  };
}

/**
 * What a job module (`job.ts` / `job.js`) exports as `default` (or `job`): the query built with the API, where to
 * write it and writeTo's options. Relative `sink` and `checkpointLocation` paths are relative to the job file's folder.
 */
export interface StreamJobDefinition extends WriteToOptions {
  query: StreamQuery;
  sink: string;
}

/** A job module's export: a definition, a JSON-style job, or a function (async or not) returning either. */
export type StreamJobExport =
  | StreamJobDefinition
  | StreamJob
  | (() => StreamJobDefinition | StreamJob | Promise<StreamJobDefinition | StreamJob>);

/** Types a job module's export: `export default defineStreamJob(async () => ({ query, sink, checkpointLocation }))`. */
export function defineStreamJob<T extends StreamJobExport>(job: T): T {
  return job;
}

/** The query and writeTo arguments of a job module's export (already called when it was a function). */
export function jobDefinition(def: unknown, baseDir: string, file: string): { query: StreamQuery; sink: string; options: WriteToOptions } {
  if (!def || typeof def !== 'object') {
    throw new InvalidArgumentError(
      `job module ${file} must export (default, or as 'job') { query, sink, checkpointLocation, ... }, a JSON-style job, or a function returning one; it exports ${def === undefined ? 'nothing' : typeof def}`,
    );
  }
  if (!('query' in def)) return jobQuery(def as StreamJob, baseDir);
  const { query, sink, ...options } = def as StreamJobDefinition;
  if (!(query instanceof StreamQuery) && typeof (query as { writeTo?: unknown } | null)?.writeTo !== 'function') {
    throw new InvalidArgumentError(`job module ${file}: 'query' must be a streaming query (table.stream(...)...agg(...)), got ${String(query)}`);
  }
  for (const [k, v] of [['sink', sink], ['checkpointLocation', options.checkpointLocation]] as const) {
    if (typeof v !== 'string' || v === '') throw new InvalidArgumentError(`job module ${file} needs "${k}" (a path or URI)`);
  }
  const at = (p: string): string => (isUri(p) ? p : path.resolve(baseDir, p));
  return { query, sink: at(sink), options: { ...options, checkpointLocation: at(options.checkpointLocation) } };
}
