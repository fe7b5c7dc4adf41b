// `deltats create <uri> --schema ... [--partition-by a,b] [--property k=v]`: create an empty table.
// Also owns the compact schema syntax `a:long,b:string not null,c:decimal(10,2)` (JSON schemas go to parseSchema).
import {
  DeltaTable,
  InvalidArgumentError,
  type PrimitiveTypeName,
  type StructField,
  type StructType,
  decimalType,
  parseSchema,
} from '../index.js';
import type { Command } from './command.js';
import { keyValueOption, listOption, stringOption } from './command.js';
import { toJson } from './format.js';

const TYPE_ALIASES: Record<string, PrimitiveTypeName> = {
  string: 'string',
  str: 'string',
  varchar: 'string',
  long: 'long',
  bigint: 'long',
  int64: 'long',
  integer: 'integer',
  int: 'integer',
  int32: 'integer',
  short: 'short',
  smallint: 'short',
  byte: 'byte',
  tinyint: 'byte',
  float: 'float',
  real: 'float',
  double: 'double',
  boolean: 'boolean',
  bool: 'boolean',
  binary: 'binary',
  date: 'date',
  timestamp: 'timestamp',
  timestamp_ntz: 'timestamp_ntz',
};

/** Split on commas that are not inside parentheses (decimal(10,2)). */
function splitTopLevel(text: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let cur = '';
  for (const c of text) {
    if (c === '(') depth++;
    if (c === ')') depth--;
    if (c === ',' && depth === 0) {
      out.push(cur);
      cur = '';
    } else cur += c;
  }
  out.push(cur);
  return out;
}

/**
 * Parse `--schema`: a Delta schema JSON (`{"type":"struct","fields":[...]}`) or the compact form
 * `name:type[ not null],...` with primitive types (string, long, integer, short, byte, float, double, boolean,
 * binary, date, timestamp, timestamp_ntz, decimal(p,s); SQL aliases such as bigint/int accepted).
 */
export function parseSchemaArg(text: string): StructType {
  const t = text.trim();
  if (t.startsWith('{')) return parseSchema(t);
  const fields: StructField[] = [];
  for (const [i, rawItem] of splitTopLevel(t).entries()) {
    const item = rawItem.trim();
    const m = /^([^:]+):\s*(.+?)(\s+not\s+null)?$/i.exec(item);
    if (!m) {
      throw new InvalidArgumentError(`--schema: field ${i + 1} '${item}' is not 'name:type' (e.g. id:long,name:string)`);
    }
    const name = m[1]!.trim();
    const typeText = m[2]!.trim().toLowerCase();
    const dec = /^decimal\s*\(\s*(\d+)\s*,\s*(\d+)\s*\)$/.exec(typeText);
    let type: PrimitiveTypeName | undefined;
    if (dec) {
      const precision = Number(dec[1]);
      const scale = Number(dec[2]);
      if (precision < 1 || precision > 38 || scale > precision) {
        throw new InvalidArgumentError(`--schema: column '${name}': decimal(${precision},${scale}) needs 1 <= precision <= 38 and scale <= precision`);
      }
      type = decimalType(precision, scale);
    } else type = TYPE_ALIASES[typeText];
    if (!type) {
      throw new InvalidArgumentError(
        `--schema: column '${name}' has unknown type '${m[2]!.trim()}' (use ${Object.values(TYPE_ALIASES)
          .filter((v, j, a) => a.indexOf(v) === j)
          .join(', ')}, decimal(p,s), or a JSON schema for nested types)`,
      );
    }
    if (fields.some((f) => f.name.toLowerCase() === name.toLowerCase())) {
      throw new InvalidArgumentError(`--schema: column '${name}' appears twice`);
    }
    fields.push({ name, type, nullable: !m[3], metadata: {} });
  }
  return { type: 'struct', fields };
}

export const createCommand: Command = {
  name: 'create',
  summary: 'Create an empty table',
  usage: "create <uri> --schema <json | 'a:long,b:string,...'> [--partition-by a,b] [--property k=v] [--name N] [--description D]",
  optionHelp: [
    ['--schema S', "columns as 'name:type,...' (add ' not null' to a column) or a Delta schema JSON"],
    ['--partition-by a,b', 'partition columns'],
    ['--property k=v', 'table property, repeatable (e.g. delta.appendOnly=true)'],
    ['--name N', 'table name stored in the metadata'],
    ['--description D', 'table description stored in the metadata'],
  ],
  examples: [
    "deltats create ./events --schema 'id:long not null,day:date,amount:decimal(10,2),note:string' --partition-by day",
    "deltats create s3://bucket/events --schema '{\"type\":\"struct\",\"fields\":[...]}' --property delta.checkpointInterval=20",
  ],
  options: {
    schema: { type: 'string' },
    'partition-by': { type: 'string' },
    property: { type: 'string', multiple: true },
    name: { type: 'string' },
    description: { type: 'string' },
  },
  positionals: ['uri'],
  async run({ values, positionals }, ctx) {
    const schemaText = stringOption(values, 'schema');
    if (!schemaText) throw new InvalidArgumentError("create needs --schema (e.g. --schema 'id:long,name:string')");
    const schema = parseSchemaArg(schemaText);
    const table = await DeltaTable.create(positionals[0]!, {
      schema,
      partitionBy: listOption(values, 'partition-by'),
      properties: keyValueOption(values, 'property'),
      name: stringOption(values, 'name'),
      description: stringOption(values, 'description'),
      storageOptions: ctx.storageOptions,
    });
    if (ctx.json) {
      await ctx.out.line(toJson({ uri: table.uri, version: table.version, schema: table.schema, partitionColumns: table.partitionColumns }));
      return;
    }
    await ctx.out.line(
      `Created ${table.uri} (version ${table.version}) with ${schema.fields.length} columns` +
        (table.partitionColumns.length ? `, partitioned by ${table.partitionColumns.join(', ')}` : '') +
        '.',
    );
  },
};
