// `deltats checkpoint <uri>`: write a checkpoint of the latest version (and update `_delta_log/_last_checkpoint`).
// Output formatting only; the checkpoint format is src/log/checkpoint_write.ts.
import { writeCheckpoint } from '../log/checkpoint_write.js';
import { requiresV2Checkpoint } from '../log/features.js';
import { UnsupportedFeatureError } from '../errors.js';
import { readLastCheckpoint } from '../log/segment.js';
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
    const snap = table.snapshot;
    if (requiresV2Checkpoint(snap.protocol)) {
      throw new UnsupportedFeatureError('v2Checkpoint', 'writer', 'deltats writes classic V1 checkpoints only');
    }
    const res = await writeCheckpoint(table.store, {
      version: snap.version,
      protocol: snap.protocol,
      metadata: snap.metadata,
      activeFiles: snap.activeFiles(),
      tombstones: snap.tombstones(),
      txns: [...snap.txns().values()],
      domainMetadata: [...snap.domainMetadata().values()],
    });
    const last = await readLastCheckpoint(table.store);
    if (ctx.json) {
      await ctx.out.line(toJson({ version: snap.version, path: res.path, size: res.size, numActions: res.numActions, parts: res.parts ?? null, lastCheckpoint: last }));
      return;
    }
    await ctx.out.line(`Wrote checkpoint of ${table.uri} at version ${snap.version} (${res.path}, ${res.numAddFiles} files, ${formatBytes(res.size)}).`);
  },
};
