// `deltats stream <job.json | job.ts | job.js>`: run a perpetual query described by a JSON job file or defined by a
// TS/JS job module, with a live progress line on a TTY, JSON progress lines with --json, and a clean stop on Ctrl-C.
// Loading the job and output only; the query lives in src/streaming.
import { readFile } from 'node:fs/promises';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import {
  InvalidArgumentError,
  type StreamJob,
  type StreamProgress,
  type StreamQuery,
  type Trigger,
  type WriteToOptions,
  jobDefinition,
  jobQuery,
} from '../index.js';
import type { Command } from './command.js';
import { toJson } from './format.js';

function progressLine(p: StreamProgress): string {
  const parts = [
    `batch ${p.batchId}${p.noData ? ' (no data)' : ''}`,
    `${p.numInputRows} in / ${p.numOutputRows} out`,
    `${Math.round(p.processedRowsPerSecond)} rows/s`,
    `${Math.round(p.durationMs)} ms`,
  ];
  if (p.watermark) parts.push(`watermark ${p.watermark}`);
  if (p.numStateRows !== undefined) parts.push(`state ${p.numStateRows}`);
  if (p.numRowsDroppedByWatermark) parts.push(`late ${p.numRowsDroppedByWatermark}`);
  return parts.join(', ');
}

export const streamCommand: Command = {
  name: 'stream',
  summary: 'Run a perpetual streaming query (source table -> steps -> windows/aggregates -> sink table) from a JSON job',
  usage: 'stream <job.json | job.ts | job.js> [--available-now | --once]',
  optionHelp: [
    ['--available-now', 'process everything available, then stop (overrides the job trigger)'],
    ['--once', 'run one batch, then stop'],
  ],
  notes: [
    'The job file: {"source": "./bronze", "steps": [{"withWatermark": {"column": "ts", "delay": "30 seconds"}}, ' +
      '{"where": "temp > -50"}], "groupBy": {"window": {"type": "tumbling", "column": "ts", "size": "1 minute"}, ' +
      '"keys": ["sensor"]}, "agg": {"n": "count()", "avg_temp": "avg(temp)"}, "sink": "./silver", ' +
      '"checkpointLocation": "./ckpt/silver", "outputMode": "append"}. Relative paths are relative to the job file.',
    'A job module (.ts, .mts, .js, .mjs) exports as default { query, sink, checkpointLocation, outputMode?, trigger? } ' +
      "(query built with deltats' API), a JSON-style job, or a function returning either; .ts needs tsx installed.",
    'Without a trigger the query runs until Ctrl-C (which stops it between batches; a restart resumes exactly).',
  ],
  examples: ['deltats stream job.json', 'deltats stream job.ts --available-now --json'],
  options: { 'available-now': { type: 'boolean' }, once: { type: 'boolean' } },
  positionals: ['job'],
  async run({ values, positionals }, ctx) {
    const file = positionals[0]!;
    const { query, sink, options } = await loadJob(file);
    const trigger: Trigger | undefined = values['available-now'] ? { availableNow: true } : values.once ? { once: true } : options.trigger;
    const abort = new AbortController();
    const stop = (): void => abort.abort();
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
    const tty = Boolean(ctx.out.stderr.isTTY) && !ctx.json;
    let rows = 0;
    try {
      const res = await query.writeTo(sink, {
        ...options,
        trigger,
        signal: abort.signal,
        onProgress: (p) => {
          rows += p.numOutputRows;
          if (ctx.json) void ctx.out.line(toJson({ event: 'progress', ...p }));
          else if (tty) ctx.out.stderr.write(`\r${progressLine(p).slice(0, (ctx.out.stderr.columns ?? 120) - 1)}\x1b[K`);
        },
      });
      if (tty) ctx.out.stderr.write('\r\x1b[K');
      if (ctx.json) await ctx.out.line(toJson({ event: 'stopped', ...res, rowsWritten: rows }));
      else await ctx.out.line(`Stopped (${res.stoppedBy}) after ${res.batches} batch(es), last batch ${res.lastBatchId}: ${rows} row(s) written to ${sink}.`);
    } finally {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
    }
  },
};

const MODULE = /\.(?:[cm]?js|[cm]?ts)$/i;
const TYPESCRIPT = /\.[cm]?ts$/i;

/** The query of a job file: JSON, or a module whose export jobDefinition understands. */
async function loadJob(file: string): Promise<{ query: StreamQuery; sink: string; options: WriteToOptions }> {
  const baseDir = path.dirname(path.resolve(file));
  if (!MODULE.test(file)) {
    let job: StreamJob;
    try {
      job = JSON.parse(await readFile(file, 'utf8')) as StreamJob;
    } catch (e) {
      throw new InvalidArgumentError(`cannot read job file ${file}: ${(e as Error).message}`);
    }
    return jobQuery(job, baseDir);
  }
  const url = pathToFileURL(path.resolve(file)).href;
  let mod: { default?: unknown; job?: unknown };
  try {
    if (TYPESCRIPT.test(file)) {
      let tsImport: (specifier: string, parent: string) => Promise<unknown>;
      try {
        ({ tsImport } = (await import('tsx/esm/api' as string)) as { tsImport: typeof tsImport });
      } catch {
        throw new InvalidArgumentError(`job module ${file} is TypeScript: install tsx (npm install --save-dev tsx), or compile it to .js`);
      }
      mod = (await tsImport(url, import.meta.url)) as typeof mod;
    } else mod = (await import(url)) as typeof mod;
  } catch (e) {
    if (e instanceof InvalidArgumentError) throw e;
    throw new InvalidArgumentError(`cannot load job module ${file}: ${(e as Error).message}`, { cause: e });
  }
  let def = mod.default ?? mod.job;
  // A .ts file outside a "type": "module" package loads as CommonJS: its exports object is the default.
  if (def && typeof def === 'object' && !('query' in def) && !('source' in def) && ('default' in def || 'job' in def)) {
    def = (def as typeof mod).default ?? (def as typeof mod).job;
  }
  if (typeof def === 'function') def = await (def as () => unknown)();
  return jobDefinition(def, baseDir, file);
}
