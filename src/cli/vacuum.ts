// `deltats vacuum <uri> [--retain-hours H] [--dry-run] [--force]`: delete unreferenced old data files.
// Output formatting only; the rules live in src/table/vacuum.ts.
import { DeltaTable } from '../table/table.js';
import { vacuum } from '../table/vacuum.js';
import type { Command } from './command.js';
import { numberOption, withProgress } from './command.js';
import { formatBytes, toJson } from './format.js';

export const vacuumCommand: Command = {
  name: 'vacuum',
  summary: 'Delete data files no longer referenced by versions within the retention period',
  usage: 'vacuum <uri> [--retain-hours H] [--dry-run] [--force]',
  optionHelp: [
    ['--retain-hours H', 'keep files needed by the last H hours of versions (default: delta.deletedFileRetentionDuration or 168)'],
    ['--dry-run', 'list the files that would be deleted; delete nothing'],
    ['--force', 'allow a retention shorter than the table default (breaks time travel and concurrent readers/writers)'],
  ],
  examples: ['deltats vacuum ./events --dry-run', 'deltats vacuum ./events', 'deltats vacuum ./events --retain-hours 0 --force'],
  options: { 'retain-hours': { type: 'string' }, 'dry-run': { type: 'boolean' }, force: { type: 'boolean' } },
  positionals: ['uri'],
  async run({ values, positionals }, ctx) {
    const table = await DeltaTable.open(positionals[0]!, { storageOptions: ctx.storageOptions });
    const res = await withProgress(ctx, (onProgress) =>
      vacuum(table, {
        retentionHours: numberOption(values, 'retain-hours'),
        dryRun: Boolean(values['dry-run']),
        force: Boolean(values.force),
        onProgress,
      }),
    );
    if (ctx.json) {
      await ctx.out.line(toJson(res));
      return;
    }
    const what = `${res.filesDeleted.length} file${res.filesDeleted.length === 1 ? '' : 's'} (${formatBytes(res.bytes)})`;
    if (res.dryRun) {
      await ctx.out.line(`Dry run: would delete ${what}, retention ${res.retentionHours} hours:`);
      for (const f of res.filesDeleted) await ctx.out.line(`  ${f}`);
    } else {
      await ctx.out.line(`Deleted ${what}, retention ${res.retentionHours} hours${res.version !== undefined ? `; recorded as version ${res.version}` : ''}.`);
    }
  },
};
