// `deltats update <uri> --set col=expr ... [--where PRED]`: UPDATE rows. Output formatting only; the operation is
// table.update().
import { InvalidArgumentError } from '../index.js';
import type { Command } from './command.js';
import { openTable, stringOption } from './command.js';
import { toJson } from './format.js';

export const updateCommand: Command = {
  name: 'update',
  summary: 'Set columns to SQL expressions on the rows matching a predicate',
  usage: 'update <uri> --set col=EXPR [--set col=EXPR ...] [--where PRED]',
  optionHelp: [
    ['--set col=EXPR', "new value of a column, a SQL expression of the row, e.g. temp='temp * 2' or note=\"'fixed'\" (repeatable)"],
    ['--where PRED', 'rows to update (default: all rows)'],
  ],
  examples: ["deltats update ./events --set \"amount=amount * 100\" --where \"currency = 'EUR'\"", "deltats update ./events --set \"note='checked'\" --json"],
  options: { set: { type: 'string', multiple: true }, where: { type: 'string' } },
  positionals: ['uri'],
  async run({ values, positionals }, ctx) {
    const raw = (values.set as string[] | undefined) ?? [];
    if (!raw.length) throw new InvalidArgumentError('give at least one --set col=EXPR');
    const set: Record<string, string> = {};
    for (const s of raw) {
      const i = s.indexOf('=');
      if (i <= 0) throw new InvalidArgumentError(`--set must be col=EXPR (got '${s}')`);
      set[s.slice(0, i).trim()] = s.slice(i + 1);
    }
    const table = await openTable(positionals[0]!, ctx);
    const res = await table.update({ where: stringOption(values, 'where'), set });
    if (ctx.json) return ctx.out.line(toJson(res));
    const m = res.metrics;
    await ctx.out.line(
      m.numUpdatedRows === 0
        ? `No rows matched; nothing was written (version ${res.version}).`
        : `Updated ${m.numUpdatedRows} row(s) of ${table.uri} as version ${res.version}: ${m.numRemovedFiles} file(s) removed, ${m.numAddedFiles} written.`,
    );
  },
};
