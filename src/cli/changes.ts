// `deltats changes <uri> --from V [--to V]`: print the change data feed of a version range (rows with _change_type,
// _commit_version, _commit_timestamp). Output formatting only; reading is table.changes().
import { InvalidArgumentError } from '../index.js';
import type { Command } from './command.js';
import { intOption, openTable } from './command.js';
import { formatOption, printRows } from './cat.js';

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
    const format = formatOption(values, ctx.json);
    const from = intOption(values, 'from');
    if (from === undefined) throw new InvalidArgumentError('give --from V (the first version of the range)');
    const table = await openTable(positionals[0]!, ctx);
    const changes = table.changes({ startingVersion: from, endingVersion: intOption(values, 'to') });
    const n = await printRows(changes, await changes.outputSchema(), format, ctx);
    if (format === 'table') await ctx.out.line(`(${n} change${n === 1 ? '' : 's'})`);
  },
};
