// `deltats cat <uri>`: print rows (optionally a version, a filter, some columns, a limit) as a table, JSON lines or CSV.
// Output formatting only; reading is table.scan().
import { InvalidArgumentError, plainRows, type Plain, type StructType } from '../index.js';
import type { Command, CommandContext, OptionValues } from './command.js';
import { TIME_TRAVEL_OPTIONS, intOption, listOption, openTable, stringOption, timeTravelOptions } from './command.js';
import { cellText, csvField, renderTable, toJson } from './format.js';
import { RecordBatch, Table } from 'apache-arrow';

export const FORMATS = ['table', 'jsonl', 'csv'] as const;
export type Format = (typeof FORMATS)[number];

/** --format F (or jsonl with --json, else table), checked. */
export function formatOption(values: OptionValues, json: boolean): Format {
  const fmtText = stringOption(values, 'format');
  if (fmtText !== undefined && !(FORMATS as readonly string[]).includes(fmtText)) {
    throw new InvalidArgumentError(`--format must be one of ${FORMATS.join(', ')} (got '${fmtText}')`);
  }
  return (fmtText as Format | undefined) ?? (json ? 'jsonl' : 'table');
}

/** Print batches of `schema` as a table, JSON lines or CSV (streamed except the table); the number of rows. */
export async function printRows(batches: AsyncIterable<RecordBatch>, schema: StructType, format: Format, ctx: CommandContext): Promise<number> {
  const names = schema.fields.map((f) => f.name);
  let n = 0;
  if (format === 'table') {
    const rows: string[][] = [];
    for await (const batch of batches) {
      for (const r of plainRows(new Table([batch]), schema)) rows.push(names.map((c) => cellText(r[c] ?? null)));
    }
    await ctx.out.line(renderTable(names, rows));
    return rows.length;
  }
  if (format === 'csv') await ctx.out.line(names.map((c) => csvField(c)).join(','));
  for await (const batch of batches) {
    const lines: string[] = [];
    for (const r of plainRows(new Table([batch]), schema)) {
      lines.push(format === 'jsonl' ? toJson(r) : names.map((c) => csvField((r[c] ?? null) as Plain)).join(','));
    }
    n += lines.length;
    if (lines.length) await ctx.out.write(`${lines.join('\n')}\n`);
  }
  return n;
}

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
    const format = formatOption(values, ctx.json);
    const limit = intOption(values, 'limit');
    const table = await openTable(positionals[0]!, ctx, timeTravelOptions(values));
    const scan = table.scan({ columns: listOption(values, 'columns'), filter: stringOption(values, 'where'), limit });
    const n = await printRows(scan, scan.outputSchema(), format, ctx);
    if (format === 'table') await ctx.out.line(`(${n} row${n === 1 ? '' : 's'}, version ${table.version})`);
  },
};
