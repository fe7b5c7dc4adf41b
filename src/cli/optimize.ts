// `deltats optimize <uri> [--target-size BYTES] [--where PRED]`: compact small files (bin-packing).
// Output formatting only; the rules live in src/table/optimize.ts.
import { DeltaTable, optimize } from '../index.js';
import type { Command } from './command.js';
import { sizeOption, stringOption, withProgress } from './command.js';
import { formatBytes, toJson } from './format.js';

export const optimizeCommand: Command = {
  name: 'optimize',
  summary: 'Compact small files into larger ones (rows unchanged)',
  usage: 'optimize <uri> [--target-size BYTES] [--where PRED]',
  optionHelp: [
    ['--target-size BYTES', 'target file size, e.g. 134217728 or 128MB (default: delta.targetFileSize or 100MB)'],
    ['--where PRED', "only partitions matching a predicate on partition columns, e.g. \"day >= '2024-05-01'\""],
  ],
  examples: ['deltats optimize ./events', "deltats optimize ./events --where \"day = '2024-05-01'\" --target-size 64MB"],
  options: { 'target-size': { type: 'string' }, where: { type: 'string' } },
  positionals: ['uri'],
  async run({ values, positionals }, ctx) {
    const table = await DeltaTable.open(positionals[0]!, { storageOptions: ctx.storageOptions });
    const res = await withProgress(ctx, (onProgress) =>
      optimize(table, { targetSize: sizeOption(values, 'target-size'), where: stringOption(values, 'where'), onProgress }),
    );
    if (ctx.json) {
      await ctx.out.line(toJson(res));
      return;
    }
    const m = res.metrics;
    if (res.version === null) {
      await ctx.out.line(`Nothing to optimize: ${m.totalConsideredFiles} files considered, none worth compacting.`);
      return;
    }
    await ctx.out.line(
      `Optimized ${table.uri} as version ${res.version}: ${m.numFilesRemoved} files (${formatBytes(m.filesRemoved.totalSize)}) ` +
        `compacted into ${m.numFilesAdded} (${formatBytes(m.filesAdded.totalSize)}) in ${m.partitionsOptimized} partition(s).`,
    );
  },
};
