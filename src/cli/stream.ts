// `deltats stream <job.json>`: run a perpetual query described by a JSON job file, with a live progress line on a
// TTY, JSON progress lines with --json, and a clean stop on Ctrl-C. Output only; the query lives in src/streaming.
import { readFile } from 'node:fs/promises';
import * as path from 'node:path';
import { InvalidArgumentError } from '../index.js';
import { type StreamJob, jobQuery } from '../streaming/query/job.js';
import type { StreamProgress, Trigger } from '../streaming/runner.js';
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
  usage: 'stream <job.json> [--available-now | --once]',
  optionHelp: [
    ['--available-now', 'process everything available, then stop (overrides the job trigger)'],
    ['--once', 'run one batch, then stop'],
  ],
  notes: [
    'The job file: {"source": "./bronze", "steps": [{"withWatermark": {"column": "ts", "delay": "30 seconds"}}, ' +
      '{"where": "temp > -50"}], "groupBy": {"window": {"type": "tumbling", "column": "ts", "size": "1 minute"}, ' +
      '"keys": ["sensor"]}, "agg": {"n": "count()", "avg_temp": "avg(temp)"}, "sink": "./silver", ' +
      '"checkpointLocation": "./ckpt/silver", "outputMode": "append"}. Relative paths are relative to the job file.',
    'Without a trigger the query runs until Ctrl-C (which stops it between batches; a restart resumes exactly).',
  ],
  examples: ['deltats stream job.json', 'deltats stream job.json --available-now --json'],
  options: { 'available-now': { type: 'boolean' }, once: { type: 'boolean' } },
  positionals: ['job'],
  async run({ values, positionals }, ctx) {
    const file = positionals[0]!;
    let job: StreamJob;
    try {
      job = JSON.parse(await readFile(file, 'utf8')) as StreamJob;
    } catch (e) {
      throw new InvalidArgumentError(`cannot read job file ${file}: ${(e as Error).message}`);
    }
    const { query, sink, options } = jobQuery(job, path.dirname(path.resolve(file)));
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
