// `deltats checkpoint <uri>`: write a checkpoint of the latest version (and update `_delta_log/_last_checkpoint`).
// Output formatting only; the checkpoint format is src/log/checkpoint_write.ts.
import { describeTable } from '../index.js';
import type { Command } from './command.js';
import { openTable } from './command.js';
import { formatBytes, toJson } from './format.js';

export const checkpointCommand: Command = {
  name: 'checkpoint',
  summary: 'Write a checkpoint of the latest version (faster snapshot loading)',
  usage: 'checkpoint <uri>',
  optionHelp: [],
  examples: ['deltats checkpoint ./events', 'deltats checkpoint s3://bucket/events --json'],
  options: {},
  positionals: ['uri'],
  async run({ positionals }, ctx) {
    const table = await openTable(positionals[0]!, ctx);
    const res = await table.checkpoint();
    const last = (await describeTable(table)).lastCheckpoint;
    if (ctx.json) {
      await ctx.out.line(toJson({ version: res.version, path: res.path, size: res.size, numActions: res.numActions, parts: res.parts ?? null, lastCheckpoint: last }));
      return;
    }
    await ctx.out.line(`Wrote checkpoint of ${table.uri} at version ${res.version} (${res.path}, ${res.numAddFiles} files, ${formatBytes(res.size)}).`);
  },
};
