// `deltats set-properties <uri> --property k=v ...`: change table properties (Spark's ALTER TABLE SET TBLPROPERTIES).
// Output formatting only; the rules (protocol upgrade, In-Commit Timestamps enablement) live in the table operation.
import { DeltaTable, InvalidArgumentError } from '../index.js';
import type { Command } from './command.js';
import { keyValueOption } from './command.js';
import { toJson } from './format.js';

export const setPropertiesCommand: Command = {
  name: 'set-properties',
  summary: 'Set table properties (one commit; upgrades the protocol for the features they enable)',
  usage: 'set-properties <uri> --property k=v [--property k=v ...]',
  optionHelp: [['--property k=v', 'table property, repeatable (e.g. delta.enableInCommitTimestamps=true)']],
  examples: [
    'deltats set-properties ./events --property delta.enableInCommitTimestamps=true',
    'deltats set-properties s3://bucket/events --property delta.logRetentionDuration="interval 60 days"',
  ],
  options: { property: { type: 'string', multiple: true } },
  positionals: ['uri'],
  async run({ values, positionals }, ctx) {
    const properties = keyValueOption(values, 'property');
    if (Object.keys(properties).length === 0) throw new InvalidArgumentError('set-properties needs at least one --property k=v');
    const table = await DeltaTable.open(positionals[0]!, { storageOptions: ctx.storageOptions });
    const res = await table.setProperties(properties);
    if (ctx.json) {
      await ctx.out.line(toJson({ ...res, protocol: table.protocol }));
      return;
    }
    await ctx.out.line(`Set ${Object.keys(properties).join(', ')} on ${table.uri} as version ${res.version}. Table properties now:`);
    for (const [k, v] of Object.entries(res.properties).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) await ctx.out.line(`  ${k} = ${v}`);
  },
};
