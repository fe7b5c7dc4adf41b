// `deltats history <uri> [--limit N]`: commits newest first (version, time, operation, parameters, metrics).
// Output formatting only; the log reading is table.history().
import type { Command } from './command.js';
import { intOption, openTable } from './command.js';
import { formatTime, oneLine, renderTable, toJson } from './format.js';

function compact(o: Record<string, unknown> | undefined): string {
  if (!o) return '';
  return Object.entries(o)
    .map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`)
    .join(' ');
}

export const historyCommand: Command = {
  name: 'history',
  summary: 'List the commits of a table, newest first',
  usage: 'history <uri> [--limit N]',
  optionHelp: [['--limit N', 'show only the N newest commits']],
  examples: ['deltats history ./events --limit 5', 'deltats history s3://bucket/events --json'],
  options: { limit: { type: 'string' } },
  positionals: ['uri'],
  async run({ values, positionals }, ctx) {
    const limit = intOption(values, 'limit', { min: 1 });
    const table = await openTable(positionals[0]!, ctx);
    const entries = await table.history(limit);
    if (ctx.json) {
      await ctx.out.line(
        toJson(
          entries.map((e) => ({
            version: e.version,
            timestamp: new Date(e.timestamp).toISOString(),
            operation: e.operation,
            operationParameters: e.operationParameters,
            operationMetrics: e.operationMetrics,
            engineInfo: e.engineInfo ?? null,
            isBlindAppend: e.isBlindAppend ?? null,
            readVersion: e.readVersion ?? null,
            ...(e.userMetadata !== undefined ? { userMetadata: e.userMetadata } : {}),
          })),
        ),
      );
      return;
    }
    const rows = entries.map((e) => [
      String(e.version),
      formatTime(e.timestamp),
      e.operation || '-',
      oneLine(compact(e.operationParameters), 50),
      oneLine(compact(e.operationMetrics), 60),
    ]);
    await ctx.out.line(renderTable(['VERSION', 'TIMESTAMP', 'OPERATION', 'PARAMETERS', 'METRICS'], rows));
  },
};
