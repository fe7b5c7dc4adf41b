// `deltats merge <uri> <file> --on COND [--update-all] [--insert-all] [--delete-when PRED]`: upsert a CSV, JSON-lines
// or Parquet file. Output formatting only; the operation is table.merge().
import { InvalidArgumentError } from '../index.js';
import type { Command } from './command.js';
import { openTable, stringOption } from './command.js';
import { toJson } from './format.js';
import { INPUT_FILE_OPTIONS, readSourceFile } from './import.js';

export const mergeCommand: Command = {
  name: 'merge',
  summary: 'Upsert a CSV, JSON-lines or Parquet file into a table (MERGE by a join condition)',
  usage:
    "merge <uri> <file> --on 't.id = s.id' [--delete-when PRED] [--update-all] [--insert-all] [--delete-not-matched-by-source] " +
    '[--source-alias s] [--target-alias t] [--format F] [--delimiter D] [--null-value V] [--no-header]',
  optionHelp: [
    ['--on COND', "join condition of target (t) and source (s) rows, e.g. 't.id = s.id'"],
    ['--delete-when PRED', 'matched rows satisfying PRED are deleted (checked before --update-all)'],
    ['--update-all', 'matched rows take every column from the source row'],
    ['--insert-all', 'source rows without a match are inserted'],
    ['--delete-not-matched-by-source', 'target rows no source row matches are deleted'],
    ['--source-alias / --target-alias', "names of the two sides in expressions (default 's' and 't')"],
    ['--format, --delimiter, --null-value, --no-header', 'how to read the file, as for import'],
  ],
  notes: ['A target row matched by more than one source row is an error and nothing is written (de-duplicate the file).'],
  examples: [
    "deltats merge ./customers changes.csv --on 't.id = s.id' --update-all --insert-all",
    "deltats merge ./customers changes.jsonl --on 't.id = s.id' --delete-when 's.deleted = true' --update-all --insert-all --json",
  ],
  options: {
    on: { type: 'string' },
    'delete-when': { type: 'string' },
    'update-all': { type: 'boolean' },
    'insert-all': { type: 'boolean' },
    'delete-not-matched-by-source': { type: 'boolean' },
    'source-alias': { type: 'string' },
    'target-alias': { type: 'string' },
    ...INPUT_FILE_OPTIONS,
  },
  positionals: ['uri', 'file'],
  async run({ values, positionals }, ctx) {
    const on = stringOption(values, 'on');
    if (on === undefined) throw new InvalidArgumentError("give --on COND, e.g. --on 't.id = s.id'");
    const deleteWhen = stringOption(values, 'delete-when');
    if (deleteWhen === undefined && !values['update-all'] && !values['insert-all'] && !values['delete-not-matched-by-source']) {
      throw new InvalidArgumentError('give at least one of --update-all, --insert-all, --delete-when, --delete-not-matched-by-source');
    }
    const table = await openTable(positionals[0]!, ctx);
    const source = await readSourceFile(positionals[1]!, values, table.schema);
    const b = table.merge(source, { on, sourceAlias: stringOption(values, 'source-alias') ?? 's', targetAlias: stringOption(values, 'target-alias') ?? 't' });
    if (deleteWhen !== undefined) b.whenMatchedDelete({ where: deleteWhen });
    if (values['update-all']) b.whenMatchedUpdateAll();
    if (values['insert-all']) b.whenNotMatchedInsertAll();
    if (values['delete-not-matched-by-source']) b.whenNotMatchedBySourceDelete();
    const res = await b.execute();
    if (ctx.json) return ctx.out.line(toJson(res));
    const m = res.metrics;
    await ctx.out.line(
      `Merged ${m.numSourceRows} source row(s) into ${table.uri} as version ${res.version}: ${m.numTargetRowsInserted} inserted, ` +
        `${m.numTargetRowsUpdated} updated, ${m.numTargetRowsDeleted} deleted.`,
    );
  },
};
