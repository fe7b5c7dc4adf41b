#!/usr/bin/env node
// deltats command-line entry: runs the built CLI (dist/) when present, else the TypeScript sources through tsx.
// It must not contain command logic: everything lives in src/cli/main.ts.
import { existsSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';

const built = fileURLToPath(new URL('../dist/cli/main.js', import.meta.url));
let mod;
if (existsSync(built)) {
  mod = await import(pathToFileURL(built).href);
} else {
  // A fresh clone (npm ci, no build): compile on the fly with tsx (a dev dependency).
  const { register } = await import('tsx/esm/api');
  register();
  mod = await import(new URL('../src/cli/main.ts', import.meta.url).href);
}
const code = await mod.main(process.argv.slice(2));
process.exitCode = code;
