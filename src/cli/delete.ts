// `deltats delete <uri> [--where PRED]`: DELETE rows (all rows without --where). Output formatting only; the
// operation is table.delete().
import { InvalidArgumentError } from '../index.js';
import type { Command } from './command.js';
import { openTable, stringOption } from './command.js';
import { toJson } from './format.js';

export const deleteCommand: Command = {
  name: 'delete',
  summary: 'Delete the rows matching a predicate (copy-on-write, or deletion vectors when enabled)',
  usage: 'delete <uri> --where PRED | --all',
  optionHelp: [
    ['--where PRED', "rows to delete, e.g. \"ts < TIMESTAMP '2024-01-01 00:00:00'\""],
    ['--all', 'delete every row (instead of --where)'],
  ],
  examples: ["deltats delete ./events --where \"country = 'NL' AND amount < 0\"", 'deltats delete ./events --all --json'],
  options: { where: { type: 'string' }, all: { type: 'boolean' } },
  positionals: ['uri'],
  async run({ values, positionals }, ctx) {
    const where = stringOption(values, 'where');
    if ((where === undefined) === (values.all !== true)) throw new InvalidArgumentError('give --where PRED, or --all to delete every row');
    const table = await openTable(positionals[0]!, ctx);
    const res = await table.delete(where);
    if (ctx.json) return ctx.out.line(toJson(res));
    const m = res.metrics;
    await ctx.out.line(
      m.numDeletedRows === 0
        ? `No rows matched; nothing was written (version ${res.version}).`
        : `Deleted ${m.numDeletedRows} row(s) from ${table.uri} as version ${res.version}: ${m.numRemovedFiles} file(s) removed, ` +
            `${m.numAddedFiles} written, ${m.numDeletionVectorsAdded} deletion vector(s) written.`,
    );
  },
};
