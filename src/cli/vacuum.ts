// `deltats vacuum <uri> [--retain-hours H] [--dry-run] [--force]`: delete unreferenced old data files.
// Output formatting only; the rules live in src/table/vacuum.ts.
import { DeltaTable, vacuum } from '../index.js';
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
    ['--force', 'allow a retention shorter than the table default (see below: it can delete data of running writers)'],
  ],
  notes: [
    'With --force and a short retention (e.g. --retain-hours 0), vacuum deletes every unreferenced file older than the\n' +
      'retention. Time travel to older versions breaks, readers still on an older version fail, and a file a concurrent\n' +
      'writer has written but not yet committed can be deleted: files committed before vacuum starts deleting are kept,\n' +
      'but a commit landing during the deletion can lose its files. Run it only when no other writer is active.',
    'Vacuum also deletes temp files left by failed local writes (.deltats-tmp-*) older than the retention, before it\n' +
      'records anything in the log. On a full disk: those go first and need no commit; if the VACUUM START commit (a few\n' +
      'hundred bytes) still fails, free a little space and run vacuum again.',
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
    const temps = res.tempFilesDeleted.length ? ` and ${res.tempFilesDeleted.length} stale temp file(s)` : '';
    const what = `${res.filesDeleted.length} file${res.filesDeleted.length === 1 ? '' : 's'} (${formatBytes(res.bytes)})${temps}`;
    if (res.dryRun) {
      await ctx.out.line(`Dry run: would delete ${what}, retention ${res.retentionHours} hours:`);
      for (const f of res.filesDeleted) await ctx.out.line(`  ${f}`);
    } else {
      await ctx.out.line(`Deleted ${what}, retention ${res.retentionHours} hours${res.version !== undefined ? `; recorded as version ${res.version}` : ''}.`);
    }
  },
};
