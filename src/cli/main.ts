// `deltats <command>`: argument parsing (node:util parseArgs), help, dispatch, and error/exit-code policy.
// Exit 0 on success, 1 with one line `deltats: <message>` on stderr otherwise (stack traces only with --verbose).
import { parseArgs } from 'node:util';
import { DELTATS_VERSION, DeltaError } from '../index.js';
import type { Command, CommandContext, OptionSpecs, OptionValues, Output } from './command.js';
import { keyValueOption } from './command.js';
import { historyCommand } from './history.js';
import { describeCommand } from './describe.js';
import { filesCommand } from './files.js';
import { catCommand } from './cat.js';
import { vacuumCommand } from './vacuum.js';
import { restoreCommand } from './restore.js';
import { setPropertiesCommand } from './properties.js';
import { optimizeCommand } from './optimize.js';
import { checkpointCommand } from './checkpoint.js';
import { createCommand } from './create.js';
import { importCommand } from './import.js';
import { streamCommand } from './stream.js';
import { deleteCommand } from './delete.js';
import { updateCommand } from './update.js';
import { mergeCommand } from './merge.js';
import { changesCommand } from './changes.js';

export const COMMANDS: Command[] = [
  createCommand,
  importCommand,
  catCommand,
  deleteCommand,
  updateCommand,
  mergeCommand,
  changesCommand,
  describeCommand,
  historyCommand,
  filesCommand,
  optimizeCommand,
  vacuumCommand,
  restoreCommand,
  setPropertiesCommand,
  checkpointCommand,
  streamCommand,
];

const GLOBAL_OPTIONS: OptionSpecs = {
  json: { type: 'boolean' },
  verbose: { type: 'boolean' },
  'storage-option': { type: 'string', multiple: true },
  help: { type: 'boolean', short: 'h' },
};

const GLOBAL_HELP: Array<[string, string]> = [
  ['--json', 'machine-readable output on stdout'],
  ['--verbose', 'show stack traces on errors'],
  ['--storage-option k=v', 'storage option, repeatable (e.g. endpoint=http://127.0.0.1:9000, region=us-east-1)'],
  ['-h, --help', 'show help'],
];

/** A usage problem (unknown command/option, missing argument): exit 1 with a pointer to --help. */
class UsageError extends Error {}

function helpBlock(pairs: Array<[string, string]>): string {
  const w = Math.max(...pairs.map(([k]) => k.length));
  return pairs.map(([k, v]) => `  ${k.padEnd(w)}  ${v}`).join('\n');
}

export function generalHelp(): string {
  const w = Math.max(...COMMANDS.map((c) => c.name.length));
  return [
    `deltats ${DELTATS_VERSION}: Delta Lake tables from the command line`,
    '',
    'Usage: deltats <command> <table-uri> [options]',
    '',
    'Commands:',
    ...COMMANDS.map((c) => `  ${c.name.padEnd(w)}  ${c.summary}`),
    '',
    'Global options:',
    helpBlock(GLOBAL_HELP),
    '',
    'A table URI is a local path, file:///path, or s3://bucket/prefix.',
    "Run 'deltats <command> --help' for a command's options and examples.",
  ].join('\n');
}

export function commandHelp(c: Command): string {
  return [
    `Usage: deltats ${c.usage}`,
    '',
    c.summary,
    ...(c.optionHelp.length ? ['', 'Options:', helpBlock(c.optionHelp)] : []),
    ...(c.notes ?? []).flatMap((n) => ['', n]),
    '',
    'Global options:',
    helpBlock(GLOBAL_HELP),
    '',
    'Examples:',
    ...c.examples.map((e) => `  ${e}`),
  ].join('\n');
}

function makeOutput(): Output {
  const write = (text: string): Promise<void> =>
    new Promise((resolve, reject) => {
      const ok = process.stdout.write(text, (err) => (err ? reject(err) : undefined));
      if (ok) resolve();
      else process.stdout.once('drain', () => resolve());
    });
  return { write, line: (text) => write(`${text}\n`), stderr: process.stderr };
}

/** Find the command word: the first argument that is not an option (or an option's value). */
function splitCommand(argv: string[]): { name: string | undefined; rest: string[] } {
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--storage-option') {
      i++;
      continue;
    }
    if (a.startsWith('-')) continue;
    return { name: a, rest: [...argv.slice(0, i), ...argv.slice(i + 1)] };
  }
  return { name: undefined, rest: argv };
}

/** Run the CLI with `argv` (without node and script); returns the process exit code. */
export async function main(argv: string[], output: Output = makeOutput()): Promise<number> {
  const verbose = argv.includes('--verbose');
  if (!verbose) quietWarnings();
  const stderr = (text: string): void => void process.stderr.write(`${text}\n`);
  let command: Command | undefined;
  try {
    if (argv.includes('--version') && argv.length === 1) {
      await output.line(DELTATS_VERSION);
      return 0;
    }
    const { name, rest } = splitCommand(argv);
    if (name === undefined || name === 'help') {
      const topic = name === 'help' ? COMMANDS.find((c) => c.name === rest.find((r) => !r.startsWith('-'))) : undefined;
      if (name === undefined && !argv.includes('--help') && !argv.includes('-h')) {
        process.stderr.write(`${generalHelp()}\n`);
        return 1;
      }
      await output.line(topic ? commandHelp(topic) : generalHelp());
      return 0;
    }
    command = COMMANDS.find((c) => c.name === name);
    if (!command) {
      throw new UsageError(`unknown command '${name}' (commands: ${COMMANDS.map((c) => c.name).join(', ')})`);
    }
    let parsed: { values: OptionValues; positionals: string[] };
    try {
      parsed = parseArgs({
        args: rest,
        options: { ...GLOBAL_OPTIONS, ...command.options },
        allowPositionals: true,
        strict: true,
      }) as { values: OptionValues; positionals: string[] };
    } catch (e) {
      throw new UsageError((e as Error).message.replace(/\. To specify a positional argument.*$/s, ''));
    }
    if (parsed.values.help) {
      await output.line(commandHelp(command));
      return 0;
    }
    if (parsed.positionals.length < command.positionals.length) {
      const missing = command.positionals.slice(parsed.positionals.length);
      throw new UsageError(`missing ${missing.map((m) => `<${m}>`).join(' ')} (usage: deltats ${command.usage})`);
    }
    if (parsed.positionals.length > command.positionals.length) {
      throw new UsageError(`unexpected argument '${parsed.positionals[command.positionals.length]}' (usage: deltats ${command.usage})`);
    }
    const ctx: CommandContext = {
      json: Boolean(parsed.values.json),
      verbose,
      storageOptions: keyValueOption(parsed.values, 'storage-option'),
      out: output,
    };
    await command.run(parsed, ctx);
    return 0;
  } catch (e) {
    if ((e as NodeJS.ErrnoException)?.code === 'EPIPE') return 0; // `deltats cat t | head`
    const msg = e instanceof Error ? e.message : String(e);
    const oneLine = msg.split('\n')[0]!;
    if (e instanceof UsageError) {
      stderr(`deltats: ${oneLine} (see 'deltats ${command ? `${command.name} ` : ''}--help')`);
    } else if (e instanceof DeltaError) {
      stderr(`deltats: ${oneLine}`);
    } else {
      stderr(`deltats: unexpected error: ${oneLine}${verbose ? '' : ' (run with --verbose for details)'}`);
    }
    if (verbose && e instanceof Error && e.stack) stderr(e.stack);
    return 1;
  }
}

/**
 * Keep stderr to one line per problem: third-party process warnings (e.g. the AWS SDK's Node version notice) are
 * dropped unless --verbose; deltats' own warnings ('deltats: ...') are still printed.
 */
function quietWarnings(): void {
  process.removeAllListeners('warning');
  process.on('warning', (w: Error) => {
    if (w.message.startsWith('deltats:')) process.stderr.write(`${w.message}\n`);
  });
}
