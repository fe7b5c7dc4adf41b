// `deltats restore <uri> --version N | --timestamp T`: make the latest version equal to an earlier one (one new commit).
// Output formatting only; the rules live in src/table/restore.ts.
import { DeltaTable, InvalidArgumentError, restore } from '../index.js';
import type { Command } from './command.js';
import { TIME_TRAVEL_OPTIONS, timeTravelOptions } from './command.js';
import { formatBytes, toJson } from './format.js';

export const restoreCommand: Command = {
  name: 'restore',
  summary: 'Restore a table to an earlier version (as a new commit)',
  usage: 'restore <uri> --version N | --timestamp T',
  optionHelp: [
    ['--version N', 'the version to restore'],
    ['--timestamp T', 'restore the version current at ISO-8601 time T'],
  ],
  examples: ['deltats restore ./events --version 3', 'deltats restore ./events --timestamp 2024-05-01T12:00:00Z'],
  options: TIME_TRAVEL_OPTIONS,
  positionals: ['uri'],
  async run({ values, positionals }, ctx) {
    const { version, timestamp } = timeTravelOptions(values);
    if ((version === undefined) === (timestamp === undefined)) {
      throw new InvalidArgumentError('restore needs exactly one of --version N or --timestamp T');
    }
    const table = await DeltaTable.open(positionals[0]!, { storageOptions: ctx.storageOptions });
    const res = await restore(table, version !== undefined ? { version } : { timestamp: timestamp! });
    if (ctx.json) {
      await ctx.out.line(toJson(res));
      return;
    }
    const m = res.metrics;
    await ctx.out.line(
      `Restored ${table.uri} to version ${res.restoredVersion} as version ${res.version}: ` +
        `${m.numRestoredFiles} files restored (${formatBytes(m.restoredFilesSize)}), ` +
        `${m.numRemovedFiles} files removed (${formatBytes(m.removedFilesSize)}); ` +
        `now ${m.numOfFilesAfterRestore} files (${formatBytes(m.tableSizeAfterRestore)}).`,
    );
  },
};
