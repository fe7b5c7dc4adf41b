#!/usr/bin/env node
// deltats command-line entry. The installed package runs the built CLI (dist/) with plain Node; a clone (src/
// present, tsx installed) runs the TypeScript sources through tsx, so a stale dist/ never shadows an edit.
// It must not contain command logic: everything lives in src/cli/main.ts.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const built = new URL('../dist/cli/main.js', import.meta.url);
const source = new URL('../src/cli/main.ts', import.meta.url);

async function loadSources() {
  try {
    const { register } = await import('tsx/esm/api');
    register();
  } catch {
    return undefined; // tsx is a dev dependency: absent after `npm ci --omit=dev`
  }
  return import(source.href);
}

let mod = existsSync(fileURLToPath(source)) ? await loadSources() : undefined;
if (!mod) {
  if (!existsSync(fileURLToPath(built))) {
    process.stderr.write('deltats: dist/cli/main.js is missing: run `npm run build` (or `npm ci` to run the sources with tsx)\n');
    process.exit(1);
  }
  mod = await import(built.href);
}
process.exitCode = await mod.main(process.argv.slice(2));
