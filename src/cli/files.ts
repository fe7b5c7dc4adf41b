// `deltats files <uri> [--version N]`: the active data files of a version (path, partition, size, rows, DV).
// Output formatting only; the file list is table.files().
import { decodeAddPath, type Add } from '../index.js';
import type { Command } from './command.js';
import { TIME_TRAVEL_OPTIONS, openTable, timeTravelOptions } from './command.js';
import { formatBytes, formatTime, oneLine, renderTable, toJson } from './format.js';

function numRecords(a: Add): number | null {
  if (!a.stats) return null;
  try {
    const n = (JSON.parse(a.stats) as { numRecords?: unknown }).numRecords;
    return typeof n === 'number' ? n : null;
  } catch {
    return null;
  }
}

export const filesCommand: Command = {
  name: 'files',
  summary: 'List the active data files of a table version',
  usage: 'files <uri> [--version N | --timestamp T]',
  optionHelp: [
    ['--version N', 'files of version N instead of the latest'],
    ['--timestamp T', 'files of the version current at ISO-8601 time T'],
  ],
  examples: ['deltats files ./events', 'deltats files ./events --version 2 --json'],
  options: TIME_TRAVEL_OPTIONS,
  positionals: ['uri'],
  async run({ values, positionals }, ctx) {
    const table = await openTable(positionals[0]!, ctx, timeTravelOptions(values));
    const files = [...table.files()].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
    const total = files.reduce((s, a) => s + a.size, 0);
    if (ctx.json) {
      await ctx.out.line(
        toJson({
          version: table.version,
          numFiles: files.length,
          sizeInBytes: total,
          files: files.map((a) => ({
            path: a.path,
            size: a.size,
            partitionValues: a.partitionValues,
            numRecords: numRecords(a),
            modificationTime: new Date(a.modificationTime).toISOString(),
            deletionVector: a.deletionVector ?? null,
            stats: a.stats ?? null,
          })),
        }),
      );
      return;
    }
    const partitioned = table.partitionColumns.length > 0;
    const rows = files.map((a) => {
      const dvRows = a.deletionVector ? a.deletionVector.cardinality : null;
      const n = numRecords(a);
      return [
        oneLine(decodeAddPath(a.path), 90),
        ...(partitioned
          ? [Object.entries(a.partitionValues).map(([k, v]) => `${k}=${v ?? 'NULL'}`).join(',')]
          : []),
        formatBytes(a.size),
        n === null ? '-' : String(dvRows ? n - dvRows : n),
        dvRows === null ? '' : `${dvRows} deleted`,
        formatTime(a.modificationTime),
      ];
    });
    const headers = ['PATH', ...(partitioned ? ['PARTITION'] : []), 'SIZE', 'ROWS', 'DV', 'MODIFIED'];
    await ctx.out.line(renderTable(headers, rows));
    await ctx.out.line(`${files.length} files, ${formatBytes(total)} (version ${table.version})`);
  },
};
