// `deltats import <uri> <file.csv|file.jsonl|file.parquet>`: load a file in one commit, creating the table from the
// file's schema when none exists. Reads the local input file (the CLI may use fs); the whole file is parsed and
// converted before anything is written, so a bad line leaves the table untouched.
import { readFile } from 'node:fs/promises';
import * as path from 'node:path';
import type { Table } from 'apache-arrow';
import {
  DeltaTable,
  InvalidArgumentError,
  SchemaMismatchError,
  type StructField,
  type StructType,
  TableNotFoundError,
  fromArrowSchema,
  objectsToArrow,
  readParquet,
  typeToString,
} from '../index.js';
import type { Command, CommandContext, OptionValues } from './command.js';
import { listOption, openTable, stringOption } from './command.js';
import { fromCsvField, fromJsonValue } from './convert.js';
import { parseSchemaArg } from './create.js';
import { type CsvOptions, type CsvRecord, parseCsv } from './csv.js';
import { toJson } from './format.js';
import { inferCsvSchema, inferJsonSchema } from './infer.js';

const FORMATS = ['csv', 'jsonl', 'parquet'] as const;
type ImportFormat = (typeof FORMATS)[number];
type SchemaMode = 'merge' | 'overwrite';

/** A parsed input file, before it is given the table's types. */
type Input =
  | { format: 'parquet'; data: Table }
  | { format: 'csv'; header: string[] | null; records: CsvRecord[] }
  | { format: 'jsonl'; objects: Array<{ value: Record<string, unknown>; line: number }> };

function formatOf(file: string, explicit: string | undefined): ImportFormat {
  if (explicit !== undefined) {
    if (!(FORMATS as readonly string[]).includes(explicit)) {
      throw new InvalidArgumentError(`--format must be one of ${FORMATS.join(', ')} (got '${explicit}')`);
    }
    return explicit as ImportFormat;
  }
  const ext = path.extname(file).toLowerCase();
  if (ext === '.csv' || ext === '.tsv') return 'csv';
  if (ext === '.jsonl' || ext === '.ndjson' || ext === '.json') return 'jsonl';
  if (ext === '.parquet') return 'parquet';
  throw new InvalidArgumentError(`cannot tell the format of ${file} from its extension; pass --format csv|jsonl|parquet`);
}

function csvOptions(values: OptionValues, file: string): CsvOptions {
  const raw = stringOption(values, 'delimiter');
  const named: Record<string, string> = { '\\t': '\t', tab: '\t' };
  const delimiter = raw === undefined ? (path.extname(file).toLowerCase() === '.tsv' ? '\t' : ',') : (named[raw.toLowerCase()] ?? raw);
  return { delimiter, nullValue: stringOption(values, 'null-value'), header: values['no-header'] !== true };
}

function schemaModeOf(values: OptionValues): SchemaMode | undefined {
  const m = stringOption(values, 'schema-mode');
  if (m === undefined || m === 'merge' || m === 'overwrite') return m;
  throw new InvalidArgumentError(`--schema-mode must be merge or overwrite (got '${m}')`);
}

function fieldFor(schema: StructType, name: string, file: string, line: number): StructField {
  const f = schema.fields.find((x) => x.name === name) ?? schema.fields.find((x) => x.name.toLowerCase() === name.toLowerCase());
  if (!f) {
    throw new InvalidArgumentError(
      `${file}:${line}: column '${name}' is not in the table schema (table columns: ${schema.fields.map((x) => x.name).join(', ')}; ` +
        '--schema-mode merge adds new columns)',
    );
  }
  return f;
}

function parseInput(bytes: Uint8Array, file: string, format: ImportFormat, csv: CsvOptions): Input {
  if (format === 'parquet') {
    try {
      return { format, data: readParquet(bytes) };
    } catch (e) {
      throw new InvalidArgumentError(`${file}: not a readable Parquet file (${(e as Error).message})`);
    }
  }
  const text = new TextDecoder().decode(bytes);
  if (format === 'csv') return { format, ...parseCsv(text, file, csv) };
  const objects: Array<{ value: Record<string, unknown>; line: number }> = [];
  text.split('\n').forEach((raw, i) => {
    const line = i + 1;
    const s = raw.trim();
    if (!s) return;
    let v: unknown;
    try {
      v = JSON.parse(s);
    } catch (e) {
      throw new InvalidArgumentError(`${file}:${line}: invalid JSON (${(e as Error).message})`);
    }
    if (v === null || typeof v !== 'object' || Array.isArray(v)) throw new InvalidArgumentError(`${file}:${line}: expected a JSON object`);
    objects.push({ value: v as Record<string, unknown>, line });
  });
  return { format, objects };
}

/** Column names of a CSV input: its header, else the schema's columns in order, else Spark's _c0, _c1, ... */
function csvColumns(input: Extract<Input, { format: 'csv' }>, file: string, schema?: StructType): string[] {
  if (input.header) return input.header;
  const width = input.records[0]?.fields.length ?? 0;
  if (!schema) return Array.from({ length: width }, (_, i) => `_c${i}`);
  if (width > schema.fields.length) {
    throw new InvalidArgumentError(`${file}: --no-header: the file has ${width} columns, the schema ${schema.fields.length}`);
  }
  return schema.fields.slice(0, width).map((f) => f.name);
}

/** The schema a file's contents suggest: Parquet's own, JSON keys and values, CSV header and text. */
function inferSchema(input: Input, file: string): StructType {
  let schema: StructType;
  if (input.format === 'parquet') schema = fromArrowSchema(input.data.schema);
  else if (input.format === 'csv') schema = inferCsvSchema(csvColumns(input, file), input.records);
  else schema = inferJsonSchema(input.objects, file);
  if (!schema.fields.length) throw new InvalidArgumentError(`${file}: no columns to create a table from; pass --schema`);
  return schema;
}

/** Rows of a CSV input as objects of the schema's types, with the line of each row. */
function csvRows(input: Extract<Input, { format: 'csv' }>, file: string, schema: StructType): { rows: Record<string, unknown>[]; lines: number[] } {
  const fields = csvColumns(input, file, schema).map((h) => fieldFor(schema, h, file, 1));
  const seen = new Set<string>();
  for (const f of fields) {
    if (seen.has(f.name)) throw new InvalidArgumentError(`${file}:1: column '${f.name}' appears twice in the header`);
    seen.add(f.name);
  }
  const rows = input.records.map((r) => {
    const o: Record<string, unknown> = {};
    fields.forEach((f, i) => {
      o[f.name] = fromCsvField(r.fields[i] ?? null, f.type, { file, line: r.line, column: f.name });
    });
    return o;
  });
  return { rows, lines: input.records.map((r) => r.line) };
}

/** Rows of a JSON-lines input as objects of the schema's types. */
function jsonlRows(input: Extract<Input, { format: 'jsonl' }>, file: string, schema: StructType): { rows: Record<string, unknown>[]; lines: number[] } {
  const rows = input.objects.map(({ value, line }) => {
    const o: Record<string, unknown> = {};
    for (const [k, val] of Object.entries(value)) {
      const f = fieldFor(schema, k, file, line);
      o[f.name] = fromJsonValue(val, f.type, { file, line, column: f.name });
    }
    return o;
  });
  return { rows, lines: input.objects.map((o) => o.line) };
}

/** The input as Arrow data of `schema` (Parquet data is passed on as is: the write enforces the schema). */
function toArrow(input: Input, file: string, schema: StructType): Table {
  if (input.format === 'parquet') return input.data;
  const { rows, lines } = input.format === 'csv' ? csvRows(input, file, schema) : jsonlRows(input, file, schema);
  try {
    return objectsToArrow(rows, schema);
  } catch (e) {
    if (e instanceof SchemaMismatchError && e.row !== undefined && lines[e.row] !== undefined) {
      throw new InvalidArgumentError(`${file}:${lines[e.row]}: ${e.message}`);
    }
    throw e;
  }
}

/** The input file's options shared with `deltats merge` (format and CSV dialect). */
export const INPUT_FILE_OPTIONS = {
  format: { type: 'string' },
  delimiter: { type: 'string' },
  'null-value': { type: 'string' },
  'no-header': { type: 'boolean' },
} as const;

/**
 * A CSV, JSON-lines or Parquet file as Arrow data for a MERGE source: columns the table has take the table's types,
 * other columns are inferred. Bad lines are errors naming the file and line.
 */
export async function readSourceFile(file: string, values: OptionValues, table: StructType): Promise<Table> {
  const format = formatOf(file, stringOption(values, 'format'));
  let bytes: Uint8Array;
  try {
    bytes = new Uint8Array(await readFile(file));
  } catch (e) {
    throw new InvalidArgumentError(`cannot read ${file}: ${(e as Error).message}`);
  }
  const input = parseInput(bytes, file, format, csvOptions(values, file));
  if (input.format === 'parquet') return input.data;
  const inferred = inferSchema(input, file);
  const nullable: StructType = { type: 'struct', fields: table.fields.map((f) => ({ ...f, nullable: true })) };
  const present = new Set(inferred.fields.map((f) => f.name.toLowerCase()));
  const schema = withNewColumns({ type: 'struct', fields: nullable.fields.filter((f) => present.has(f.name.toLowerCase())) }, inferred);
  return toArrow(input, file, schema);
}

/** The table's schema plus the file's columns it does not have (nullable, types inferred). */
function withNewColumns(table: StructType, inferred: StructType): StructType {
  const known = new Set(table.fields.map((f) => f.name.toLowerCase()));
  return { type: 'struct', fields: [...table.fields, ...inferred.fields.filter((f) => !known.has(f.name.toLowerCase()))] };
}

async function openIfExists(uri: string, ctx: CommandContext): Promise<DeltaTable | undefined> {
  try {
    return await openTable(uri, ctx);
  } catch (e) {
    if (e instanceof TableNotFoundError) return undefined;
    throw e;
  }
}

function columnsText(schema: StructType): string {
  return schema.fields.map((f) => `${f.name} ${typeToString(f.type)}`).join(', ');
}

export const importCommand: Command = {
  name: 'import',
  summary: 'Load a CSV, JSON-lines or Parquet file in one commit (creates the table from the file when none exists)',
  usage:
    'import <uri> <file.csv|file.jsonl|file.parquet> [--mode append|overwrite] [--schema S] [--partition-by a,b] ' +
    '[--schema-mode merge|overwrite] [--format F] [--delimiter D] [--null-value V] [--no-header]',
  optionHelp: [
    ['--mode M', 'append (default) or overwrite'],
    ['--schema S', "new table only: columns as 'name:type,...' or a Delta schema JSON, instead of inferring them"],
    ['--partition-by a,b', 'new table only: partition columns'],
    ['--schema-mode M', "existing table: merge adds the file's new columns; overwrite (with --mode overwrite) replaces schema and partitioning"],
    ['--format F', 'input format when the extension does not tell: csv, jsonl or parquet'],
    ['--delimiter D', "CSV field separator (default ',', tab for .tsv; '\\t' or tab for a tab)"],
    ['--null-value V', 'CSV: unquoted text read as null (an unquoted empty field always is)'],
    ['--no-header', 'CSV: the first line is data; columns come from the table or --schema, else _c0, _c1, ...'],
  ],
  examples: [
    'deltats import ./events events.csv',
    'deltats import ./events export.csv --delimiter ";" --null-value NULL --partition-by day',
    "deltats import ./events day2.jsonl --schema-mode merge",
    'deltats import ./events day1.parquet --mode overwrite',
  ],
  options: {
    mode: { type: 'string' },
    format: { type: 'string' },
    schema: { type: 'string' },
    'partition-by': { type: 'string' },
    'schema-mode': { type: 'string' },
    delimiter: { type: 'string' },
    'null-value': { type: 'string' },
    'no-header': { type: 'boolean' },
  },
  positionals: ['uri', 'file'],
  async run({ values, positionals }, ctx) {
    const [uri, file] = positionals as [string, string];
    const mode = stringOption(values, 'mode') ?? 'append';
    if (mode !== 'append' && mode !== 'overwrite') throw new InvalidArgumentError(`--mode must be append or overwrite (got '${mode}')`);
    const format = formatOf(file, stringOption(values, 'format'));
    const schemaMode = schemaModeOf(values);
    const schemaArg = stringOption(values, 'schema');
    const partitionBy = listOption(values, 'partition-by');
    if (schemaMode === 'overwrite' && mode !== 'overwrite') throw new InvalidArgumentError('--schema-mode overwrite needs --mode overwrite');
    let bytes: Uint8Array;
    try {
      bytes = new Uint8Array(await readFile(file));
    } catch (e) {
      throw new InvalidArgumentError(`cannot read input file ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
    }
    const input = parseInput(bytes, file, format, csvOptions(values, file));
    const existing = await openIfExists(uri, ctx);

    let schema: StructType;
    if (!existing) {
      schema = schemaArg !== undefined ? parseSchemaArg(schemaArg) : inferSchema(input, file);
    } else {
      if (schemaArg !== undefined) {
        throw new InvalidArgumentError(`--schema only applies when import creates the table; ${existing.uri} exists (columns: ${columnsText(existing.schema)})`);
      }
      const repartition = schemaMode === 'overwrite' && mode === 'overwrite';
      if (partitionBy && !repartition && partitionBy.join(',') !== existing.partitionColumns.join(',')) {
        throw new InvalidArgumentError(
          `${existing.uri} is partitioned by (${existing.partitionColumns.join(', ')}); --partition-by only applies when import creates the table ` +
            '(or with --mode overwrite --schema-mode overwrite)',
        );
      }
      schema =
        schemaMode === 'merge' ? withNewColumns(existing.schema, inferSchema(input, file))
        : schemaMode === 'overwrite' ? inferSchema(input, file)
        : existing.schema;
    }
    // Every row is converted before the first write: a bad value anywhere leaves the table as it was.
    const data = toArrow(input, file, schema);

    const table = existing ?? (await DeltaTable.create(uri, { schema, partitionBy, storageOptions: ctx.storageOptions, ifNotExists: true }));
    const res =
      mode === 'overwrite' && existing
        ? // As Spark's overwriteSchema: the new schema comes with the partitioning given now (none without --partition-by).
          await table.overwrite(data, { schemaMode, partitionBy: schemaMode === 'overwrite' ? (partitionBy ?? []) : undefined })
        : await table.append(data, { schemaMode: existing ? schemaMode : undefined });
    const created = !existing;
    if (ctx.json) {
      await ctx.out.line(
        toJson({
          version: res.version,
          rows: data.numRows,
          filesAdded: res.addedFiles.length,
          filesRemoved: res.removedFiles.length,
          created,
          ...(created ? { schema: table.schema, partitionColumns: table.partitionColumns } : {}),
        }),
      );
      return;
    }
    if (created) {
      await ctx.out.line(
        `Created ${table.uri} with columns ${columnsText(table.schema)}` +
          (table.partitionColumns.length ? `, partitioned by ${table.partitionColumns.join(', ')}` : '') +
          '.',
      );
    }
    await ctx.out.line(
      `Imported ${data.numRows} rows from ${file} into ${table.uri} as version ${res.version} (${created ? 'new table' : mode}, ${res.addedFiles.length} files added` +
        (res.removedFiles.length ? `, ${res.removedFiles.length} removed` : '') +
        ').',
    );
  },
};
