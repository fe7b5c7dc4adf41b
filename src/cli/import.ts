// `deltats import <uri> <file.csv|file.jsonl|file.parquet> [--mode append|overwrite]`: load a file in one commit.
// Reads the local input file (the CLI may use fs); values are converted by the table schema (src/cli/convert.ts).
import { readFile } from 'node:fs/promises';
import * as path from 'node:path';
import { InvalidArgumentError, SchemaMismatchError } from '../errors.js';
import { objectsToArrow } from '../schema/objects.js';
import type { StructField, StructType } from '../schema/types.js';
import { readParquet } from '../storage/parquet.js';
import type { Table } from 'apache-arrow';
import type { Command } from './command.js';
import { openTable, stringOption } from './command.js';
import { fromCsvField, fromJsonValue } from './convert.js';
import { parseCsv } from './csv.js';
import { toJson } from './format.js';

const FORMATS = ['csv', 'jsonl', 'parquet'] as const;
type ImportFormat = (typeof FORMATS)[number];

function formatOf(file: string, explicit: string | undefined): ImportFormat {
  if (explicit !== undefined) {
    if (!(FORMATS as readonly string[]).includes(explicit)) {
      throw new InvalidArgumentError(`--format must be one of ${FORMATS.join(', ')} (got '${explicit}')`);
    }
    return explicit as ImportFormat;
  }
  const ext = path.extname(file).toLowerCase();
  if (ext === '.csv') return 'csv';
  if (ext === '.jsonl' || ext === '.ndjson' || ext === '.json') return 'jsonl';
  if (ext === '.parquet') return 'parquet';
  throw new InvalidArgumentError(`cannot tell the format of ${file} from its extension; pass --format csv|jsonl|parquet`);
}

function fieldFor(schema: StructType, name: string, file: string, line: number): StructField {
  const f = schema.fields.find((x) => x.name === name) ?? schema.fields.find((x) => x.name.toLowerCase() === name.toLowerCase());
  if (!f) {
    throw new InvalidArgumentError(
      `${file}:${line}: column '${name}' is not in the table schema (table columns: ${schema.fields.map((x) => x.name).join(', ')})`,
    );
  }
  return f;
}

/** Rows of a CSV file (header row required) as objects of the table's types, with the line of each row. */
export function csvRows(text: string, file: string, schema: StructType): { rows: Record<string, unknown>[]; lines: number[] } {
  const { header, records } = parseCsv(text, file);
  const fields = header.map((h) => fieldFor(schema, h, file, 1));
  const seen = new Set<string>();
  for (const f of fields) {
    if (seen.has(f.name)) throw new InvalidArgumentError(`${file}:1: column '${f.name}' appears twice in the header`);
    seen.add(f.name);
  }
  const rows = records.map((r) => {
    const o: Record<string, unknown> = {};
    fields.forEach((f, i) => {
      o[f.name] = fromCsvField(r.fields[i]!, r.quoted[i]!, f.type, { file, line: r.line, column: f.name });
    });
    return o;
  });
  return { rows, lines: records.map((r) => r.line) };
}

/** Rows of a JSON-lines file (one object per line; blank lines skipped). */
export function jsonlRows(text: string, file: string, schema: StructType): { rows: Record<string, unknown>[]; lines: number[] } {
  const rows: Record<string, unknown>[] = [];
  const lines: number[] = [];
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
    const o: Record<string, unknown> = {};
    for (const [k, val] of Object.entries(v as Record<string, unknown>)) {
      const f = fieldFor(schema, k, file, line);
      o[f.name] = fromJsonValue(val, f.type, { file, line, column: f.name });
    }
    rows.push(o);
    lines.push(line);
  });
  return { rows, lines };
}

export const importCommand: Command = {
  name: 'import',
  summary: 'Append (or overwrite with) the rows of a CSV, JSON-lines or Parquet file, in one commit',
  usage: 'import <uri> <file.csv|file.jsonl|file.parquet> [--mode append|overwrite] [--format csv|jsonl|parquet]',
  optionHelp: [
    ['--mode M', 'append (default) or overwrite'],
    ['--format F', 'input format when the extension does not tell: csv, jsonl or parquet'],
  ],
  examples: ['deltats import ./events events.csv', 'deltats import ./events day1.jsonl --mode overwrite'],
  options: { mode: { type: 'string' }, format: { type: 'string' } },
  positionals: ['uri', 'file'],
  async run({ values, positionals }, ctx) {
    const [uri, file] = positionals as [string, string];
    const mode = stringOption(values, 'mode') ?? 'append';
    if (mode !== 'append' && mode !== 'overwrite') throw new InvalidArgumentError(`--mode must be append or overwrite (got '${mode}')`);
    const format = formatOf(file, stringOption(values, 'format'));
    const table = await openTable(uri, ctx);
    let bytes: Uint8Array;
    try {
      bytes = new Uint8Array(await readFile(file));
    } catch (e) {
      throw new InvalidArgumentError(`cannot read input file ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
    }
    let data: Table;
    if (format === 'parquet') {
      try {
        data = readParquet(bytes);
      } catch (e) {
        throw new InvalidArgumentError(`${file}: not a readable Parquet file (${(e as Error).message})`);
      }
    } else {
      const text = new TextDecoder().decode(bytes);
      const { rows, lines } = format === 'csv' ? csvRows(text, file, table.schema) : jsonlRows(text, file, table.schema);
      try {
        data = objectsToArrow(rows, table.schema);
      } catch (e) {
        if (e instanceof SchemaMismatchError && e.row !== undefined && lines[e.row] !== undefined) {
          throw new InvalidArgumentError(`${file}:${lines[e.row]}: ${e.message}`);
        }
        throw e;
      }
    }
    const res = mode === 'append' ? await table.append(data) : await table.overwrite(data);
    if (ctx.json) {
      await ctx.out.line(toJson({ version: res.version, rows: data.numRows, filesAdded: res.addedFiles.length, filesRemoved: res.removedFiles.length }));
      return;
    }
    await ctx.out.line(
      `Imported ${data.numRows} rows from ${file} into ${table.uri} as version ${res.version} (${mode}, ${res.addedFiles.length} files added` +
        (res.removedFiles.length ? `, ${res.removedFiles.length} removed` : '') +
        ').',
    );
  },
};
