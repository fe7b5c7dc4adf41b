// `deltats changes <uri> --from V [--to V]`: print the change data feed of a version range (rows with _change_type,
// _commit_version, _commit_timestamp). Output formatting only; reading is table.changes().
import { Table } from 'apache-arrow';
import { InvalidArgumentError } from '../errors.js';
import type { Command } from './command.js';
import { intOption, openTable, stringOption } from './command.js';
import { cellText, csvField, plainRows, renderTable, toJson, type Plain } from './format.js';

const FORMATS = ['table', 'jsonl', 'csv'] as const;
type Format = (typeof FORMATS)[number];

export const changesCommand: Command = {
  name: 'changes',
  summary: 'Print the change data feed (inserts, deletes, update pre/post images) of a version range',
  usage: 'changes <uri> --from V [--to V] [--format table|jsonl|csv]',
  optionHelp: [
    ['--from V', 'first version (inclusive)'],
    ['--to V', 'last version (inclusive, default the latest)'],
    ['--format F', 'table (default), jsonl or csv; --json means jsonl'],
  ],
  notes: ["The table must have delta.enableChangeDataFeed=true over the whole range."],
  examples: ['deltats changes ./events --from 3', 'deltats changes ./events --from 3 --to 7 --format csv > changes.csv'],
  options: { from: { type: 'string' }, to: { type: 'string' }, format: { type: 'string' } },
  positionals: ['uri'],
  async run({ values, positionals }, ctx) {
    const fmtText = stringOption(values, 'format');
    if (fmtText !== undefined && !(FORMATS as readonly string[]).includes(fmtText)) {
      throw new InvalidArgumentError(`--format must be one of ${FORMATS.join(', ')} (got '${fmtText}')`);
    }
    const format: Format = (fmtText as Format | undefined) ?? (ctx.json ? 'jsonl' : 'table');
    const from = intOption(values, 'from');
    if (from === undefined) throw new InvalidArgumentError('give --from V (the first version of the range)');
    const table = await openTable(positionals[0]!, ctx);
    const changes = table.changes({ startingVersion: from, endingVersion: intOption(values, 'to') });
    const schema = await changes.outputSchema();
    const names = schema.fields.map((f) => f.name);
    if (format === 'table') {
      const rows: string[][] = [];
      for await (const batch of changes) for (const r of plainRows(new Table([batch]), schema)) rows.push(names.map((n) => cellText(r[n] ?? null)));
      await ctx.out.line(renderTable(names, rows));
      await ctx.out.line(`(${rows.length} change${rows.length === 1 ? '' : 's'})`);
      return;
    }
    if (format === 'csv') await ctx.out.line(names.map((n) => csvField(n)).join(','));
    for await (const batch of changes) {
      const lines = plainRows(new Table([batch]), schema).map((r) =>
        format === 'jsonl' ? toJson(r) : names.map((n) => csvField((r[n] ?? null) as Plain)).join(','),
      );
      if (lines.length) await ctx.out.write(`${lines.join('\n')}\n`);
    }
  },
};
