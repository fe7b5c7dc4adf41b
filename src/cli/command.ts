// The shape of one CLI command and the helpers every command shares (option parsing, opening a table, output).
// Commands stay thin: table logic lives in src/table; nothing here formats table-specific output.
import type { ParseArgsConfig } from 'node:util';
import { InvalidArgumentError } from '../index.js';
import type { StorageOptions } from '../index.js';
import { DeltaTable, type ProgressCallback } from '../index.js';
import { ProgressReporter } from './progress.js';

export type OptionSpecs = NonNullable<ParseArgsConfig['options']>;
export type OptionValues = Record<string, string | boolean | string[] | boolean[] | undefined>;

export interface Output {
  /** Write text to stdout (a newline is appended). Resolves when the stream accepted it (backpressure). */
  line(text: string): Promise<void>;
  /** Write raw text to stdout. */
  write(text: string): Promise<void>;
  /** The stderr stream (progress bars; never results). */
  stderr: { isTTY?: boolean; columns?: number; write(chunk: string): boolean };
}

export interface CommandContext {
  json: boolean;
  verbose: boolean;
  storageOptions: StorageOptions;
  out: Output;
}

export interface Command {
  name: string;
  /** One line for the command list. */
  summary: string;
  /** Usage line after `deltats `, e.g. `history <uri> [--limit N]`. */
  usage: string;
  /** Per-option help lines: [flag text, description]. */
  optionHelp: Array<[string, string]>;
  /** Paragraphs printed after the options (risks, what to do when ...). */
  notes?: string[];
  examples: string[];
  options: OptionSpecs;
  /** Names of the required positional arguments, in order. */
  positionals: string[];
  run(args: { values: OptionValues; positionals: string[] }, ctx: CommandContext): Promise<void>;
}

/** A non-negative integer option (`--limit 10`), or undefined when absent. */
export function intOption(values: OptionValues, name: string, opts: { min?: number } = {}): number | undefined {
  const v = values[name];
  if (v === undefined) return undefined;
  const text = String(v).trim();
  const n = Number(text);
  if (!/^-?\d+$/.test(text) || !Number.isSafeInteger(n) || n < (opts.min ?? 0)) {
    throw new InvalidArgumentError(`--${name} must be an integer >= ${opts.min ?? 0} (got '${String(v)}')`);
  }
  return n;
}

/** A non-negative number option (`--retain-hours 0.5`). */
export function numberOption(values: OptionValues, name: string): number | undefined {
  const v = values[name];
  if (v === undefined) return undefined;
  const n = Number(String(v).trim());
  if (String(v).trim() === '' || !Number.isFinite(n) || n < 0) {
    throw new InvalidArgumentError(`--${name} must be a non-negative number (got '${String(v)}')`);
  }
  return n;
}

const SIZE_UNITS: Record<string, number> = { '': 1, b: 1, k: 1024, kb: 1024, kib: 1024, m: 1024 ** 2, mb: 1024 ** 2, mib: 1024 ** 2, g: 1024 ** 3, gb: 1024 ** 3, gib: 1024 ** 3 };

/** A byte size: `1048576`, `512kb`, `128MB`, `1g` (binary units). */
export function sizeOption(values: OptionValues, name: string): number | undefined {
  const v = values[name];
  if (v === undefined) return undefined;
  const m = /^(\d+(?:\.\d+)?)\s*([a-z]*)$/i.exec(String(v).trim());
  const unit = m ? SIZE_UNITS[m[2]!.toLowerCase()] : undefined;
  if (!m || unit === undefined || Number(m[1]) <= 0) {
    throw new InvalidArgumentError(`--${name} must be a positive size in bytes, e.g. 134217728 or 128MB (got '${String(v)}')`);
  }
  return Math.round(Number(m[1]) * unit);
}

/** Repeated `k=v` options as an object (`--property delta.appendOnly=true`). */
export function keyValueOption(values: OptionValues, name: string): Record<string, string> {
  const raw = values[name];
  const list = raw === undefined ? [] : Array.isArray(raw) ? raw.map(String) : [String(raw)];
  const out: Record<string, string> = {};
  for (const item of list) {
    const eq = item.indexOf('=');
    if (eq <= 0) throw new InvalidArgumentError(`--${name} expects key=value (got '${item}')`);
    out[item.slice(0, eq).trim()] = item.slice(eq + 1);
  }
  return out;
}

/** Comma-separated list option (`--columns a,b`). */
export function listOption(values: OptionValues, name: string): string[] | undefined {
  const v = values[name];
  if (v === undefined) return undefined;
  const items = String(v)
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  if (!items.length) throw new InvalidArgumentError(`--${name} expects a comma-separated list (got '${String(v)}')`);
  return items;
}

export function stringOption(values: OptionValues, name: string): string | undefined {
  const v = values[name];
  return v === undefined ? undefined : String(v);
}

/** The `--version N` / `--timestamp T` options of commands that read one table version. */
export const TIME_TRAVEL_OPTIONS: OptionSpecs = { version: { type: 'string' }, timestamp: { type: 'string' } };

/** Parsed `--version` / `--timestamp` (each undefined when not given). */
export function timeTravelOptions(values: OptionValues): { version?: number; timestamp?: string } {
  return { version: intOption(values, 'version'), timestamp: stringOption(values, 'timestamp') };
}

/** Run a long table operation with a progress bar on stderr (cleared when it ends, also on error). */
export async function withProgress<T>(ctx: CommandContext, run: (onProgress: ProgressCallback) => Promise<T>): Promise<T> {
  const progress = new ProgressReporter(ctx.out.stderr, { json: ctx.json });
  try {
    return await run(progress.callback);
  } finally {
    progress.finish();
  }
}

/** Open a table at the latest version or at `--version` / `--timestamp`. */
export async function openTable(
  uri: string,
  ctx: CommandContext,
  at: { version?: number; timestamp?: string } = {},
): Promise<DeltaTable> {
  return DeltaTable.open(uri, { storageOptions: ctx.storageOptions, version: at.version, timestamp: at.timestamp });
}
