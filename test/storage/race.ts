// Test helper: races putIfAbsent on one key from N real child processes (node --import tsx), released together.
import { spawn, type ChildProcess } from 'node:child_process';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { StorageOptions } from '../../src/storage/registry.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const repoRoot = path.resolve(here, '..', '..');

export async function raceChildren(
  uri: string,
  key: string,
  n: number,
  options: StorageOptions = {},
): Promise<{ id: string; won: boolean }[]> {
  const children: ChildProcess[] = [];
  const outputs: string[] = [];
  const ready: Promise<void>[] = [];
  const done: Promise<void>[] = [];
  for (let i = 0; i < n; i++) {
    const child = spawn(process.execPath, ['--import', 'tsx', path.join(here, 'fixtures', 'put_if_absent_child.ts'), uri, key, `writer-${i}`], {
      cwd: repoRoot,
      env: { ...process.env, DELTATS_CHILD_STORAGE_OPTIONS: JSON.stringify(options) },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    children.push(child);
    outputs[i] = '';
    let stderr = '';
    child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    ready.push(
      new Promise<void>((resolve, reject) => {
        child.stdout!.on('data', (d: Buffer) => {
          outputs[i] += d.toString();
          if (outputs[i]!.includes('ready\n')) resolve();
        });
        child.on('exit', (code) => reject(new Error(`child ${i} exited (${code}) before ready: ${stderr}`)));
      }),
    );
    done.push(
      new Promise<void>((resolve, reject) => {
        child.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`child ${i} exited with ${code}: ${stderr}`))));
      }),
    );
  }
  try {
    await Promise.all(ready);
    for (const c of children) c.stdin!.write('go\n');
    await Promise.all(done);
  } finally {
    for (const c of children) if (c.exitCode === null) c.kill();
  }
  return outputs.map((o) => JSON.parse(o.split('\n').filter((l) => l.startsWith('{'))[0]!) as { id: string; won: boolean });
}
