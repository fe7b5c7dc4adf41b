// Runs `bin/deltats.mjs` as a real child process (the way a user runs `npx deltats`) and captures its output.
import { execFile } from 'node:child_process';
import { join } from 'node:path';

export const REPO = join(import.meta.dirname, '..', '..');
export const BIN = join(REPO, 'bin', 'deltats.mjs');

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

export function cli(args: string[], opts: { cwd?: string; env?: Record<string, string> } = {}): Promise<CliResult> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [BIN, ...args],
      { cwd: opts.cwd ?? REPO, env: { ...process.env, ...opts.env }, maxBuffer: 64 * 1024 * 1024 },
      (err, stdout, stderr) => {
        const code = err ? (typeof err.code === 'number' ? err.code : 1) : 0;
        resolve({ code, stdout: String(stdout), stderr: String(stderr) });
      },
    );
  });
}

/** Run and require exit 0; returns stdout. */
export async function ok(args: string[], opts?: { cwd?: string }): Promise<string> {
  const r = await cli(args, opts);
  if (r.code !== 0) throw new Error(`deltats ${args.join(' ')} exited ${r.code}: ${r.stderr}`);
  return r.stdout;
}

/** Run with --json and parse stdout. */
export async function okJson<T = unknown>(args: string[]): Promise<T> {
  return JSON.parse(await ok([...args, '--json'])) as T;
}
