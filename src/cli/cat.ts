// `deltats cat <uri>`: print rows (optionally a version, a filter, some columns, a limit) as a table, JSON lines or CSV.
// Output formatting only; reading is table.scan().
import { InvalidArgumentError } from '../errors.js';
import type { Command } from './command.js';
import { TIME_TRAVEL_OPTIONS, intOption, listOption, openTable, stringOption, timeTravelOptions } from './command.js';
import { cellText, csvField, plainRows, renderTable, toJson, type Plain } from './format.js';
import { Table } from 'apache-arrow';

const FORMATS = ['table', 'jsonl', 'csv'] as const;
type Format = (typeof FORMATS)[number];

export const catCommand: Command = {
  name: 'cat',
  summary: 'Print the rows of a table (time travel, filter, columns, limit)',
  usage: 'cat <uri> [--version N | --timestamp T] [--where PRED] [--columns a,b] [--limit N] [--format table|jsonl|csv]',
  optionHelp: [
    ['--version N', 'read version N (time travel)'],
    ['--timestamp T', 'read the version current at ISO-8601 time T'],
    ['--where PRED', "row filter, e.g. \"country = 'NL' AND amount > 10\""],
    ['--columns a,b', 'only these columns, in this order'],
    ['--limit N', 'at most N rows'],
    ['--format F', 'table (default), jsonl or csv; --json means jsonl'],
  ],
  examples: [
    'deltats cat ./events --limit 20',
    "deltats cat ./events --where \"day = '2024-05-01'\" --columns id,amount --format csv > out.csv",
    'deltats cat ./events --version 3 --json',
  ],
  options: {
    ...TIME_TRAVEL_OPTIONS,
    where: { type: 'string' },
    columns: { type: 'string' },
    limit: { type: 'string' },
    format: { type: 'string' },
  },
  positionals: ['uri'],
  async run({ values, positionals }, ctx) {
    const fmtText = stringOption(values, 'format');
    if (fmtText !== undefined && !(FORMATS as readonly string[]).includes(fmtText)) {
      throw new InvalidArgumentError(`--format must be one of ${FORMATS.join(', ')} (got '${fmtText}')`);
    }
    const format: Format = (fmtText as Format | undefined) ?? (ctx.json ? 'jsonl' : 'table');
    const limit = intOption(values, 'limit');
    const table = await openTable(positionals[0]!, ctx, timeTravelOptions(values));
    const scan = table.scan({ columns: listOption(values, 'columns'), filter: stringOption(values, 'where'), limit });
    const schema = scan.outputSchema();
    const names = schema.fields.map((f) => f.name);
    if (format === 'table') {
      const rows: string[][] = [];
      for await (const batch of scan) {
        for (const r of plainRows(new Table([batch]), schema)) rows.push(names.map((n) => cellText(r[n] ?? null)));
      }
      await ctx.out.line(renderTable(names, rows));
      await ctx.out.line(`(${rows.length} row${rows.length === 1 ? '' : 's'}, version ${table.version})`);
      return;
    }
    if (format === 'csv') await ctx.out.line(names.map((n) => csvField(n)).join(','));
    for await (const batch of scan) {
      const lines: string[] = [];
      for (const r of plainRows(new Table([batch]), schema)) {
        lines.push(format === 'jsonl' ? toJson(r) : names.map((n) => csvField((r[n] ?? null) as Plain)).join(','));
      }
      if (lines.length) await ctx.out.write(`${lines.join('\n')}\n`);
    }
  },
};
