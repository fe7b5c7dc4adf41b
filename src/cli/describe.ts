// `deltats describe <uri> [--version N]`: table facts (schema, partitioning, properties, protocol, size, checkpoint).
// Output formatting only; the facts come from src/table/describe.ts.
import { type DataType, describeTable as describe, typeToString } from '../index.js';
import type { Command } from './command.js';
import { TIME_TRAVEL_OPTIONS, openTable, timeTravelOptions } from './command.js';
import { formatBytes, formatTime, renderKeyValues, renderTable, toJson } from './format.js';

function typeText(t: DataType): string {
  return typeToString(t);
}

export const describeCommand: Command = {
  name: 'describe',
  summary: 'Show schema, partitioning, properties, protocol and size of a table',
  usage: 'describe <uri> [--version N | --timestamp T]',
  optionHelp: [
    ['--version N', 'describe version N instead of the latest'],
    ['--timestamp T', 'describe the version current at ISO-8601 time T'],
  ],
  examples: ['deltats describe ./events', 'deltats describe ./events --version 3 --json'],
  options: TIME_TRAVEL_OPTIONS,
  positionals: ['uri'],
  async run({ values, positionals }, ctx) {
    const table = await openTable(positionals[0]!, ctx, timeTravelOptions(values));
    const d = await describe(table);
    if (ctx.json) {
      await ctx.out.line(
        toJson({
          ...d,
          timestamp: new Date(d.timestamp).toISOString(),
          createdTime: d.createdTime !== null ? new Date(d.createdTime).toISOString() : null,
        }),
      );
      return;
    }
    const features = [...new Set([...d.protocol.readerFeatures, ...d.protocol.writerFeatures])];
    const lc = d.lastCheckpoint;
    const head = renderKeyValues([
      ['Table', d.uri],
      ['Version', `${d.version} (committed ${formatTime(d.timestamp)})`],
      ['Id', d.id],
      ...(d.name ? ([['Name', d.name]] as Array<[string, string]>) : []),
      ...(d.description ? ([['Description', d.description]] as Array<[string, string]>) : []),
      ['Created', formatTime(d.createdTime)],
      ['Partitioned by', d.partitionColumns.length ? d.partitionColumns.join(', ') : '(not partitioned)'],
      ['Files', `${d.numFiles} (${formatBytes(d.sizeInBytes)})`],
      [
        'Protocol',
        `reader ${d.protocol.minReaderVersion}, writer ${d.protocol.minWriterVersion}` +
          (features.length ? `; features: ${features.join(', ')}` : ''),
      ],
      ['Last checkpoint', lc ? `version ${lc.version}${lc.parts ? ` (${lc.parts} parts)` : ''}` : 'none'],
    ]);
    const schema = renderTable(
      ['COLUMN', 'TYPE', 'NULLABLE', 'PARTITION'],
      d.schema.fields.map((f) => [f.name, typeText(f.type), f.nullable ? 'yes' : 'no', d.partitionColumns.includes(f.name) ? 'yes' : '']),
    );
    const props = Object.entries(d.properties).sort(([a], [b]) => (a < b ? -1 : 1));
    const parts = [head, '', 'Schema:', schema];
    if (props.length) parts.push('', 'Properties:', renderKeyValues(props));
    await ctx.out.line(parts.join('\n'));
  },
};
