// The CLI is a thin layer over the public API: a file under src/cli imports other project code only through
// src/index.ts (packages and node: modules are fine). A CLI need that is a user need is exported there.
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const SRC = join(import.meta.dirname, '..', '..', 'src');
const CLI = join(SRC, 'cli');
const INDEX = join(SRC, 'index.js');

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? sources(join(dir, e.name)) : /\.[cm]?ts$/.test(e.name) ? [join(dir, e.name)] : [],
  );
}

/** Every module specifier of a file: static imports and re-exports (also multi-line), side-effect and dynamic imports. */
function specifiers(code: string): string[] {
  const out: string[] = [];
  const patterns = [/\b(?:import|export)\s[^'";]*?\bfrom\s*['"]([^'"]+)['"]/g, /\bimport\s*['"]([^'"]+)['"]/g, /\bimport\s*\(\s*['"]([^'"]+)['"]/g];
  for (const re of patterns) for (const m of code.matchAll(re)) out.push(m[1]!);
  return out;
}

describe('the CLI imports the project only through src/index.ts', () => {
  const files = sources(CLI);

  it('reads every import form', () => {
    expect(files.length).toBeGreaterThan(15);
    const code = `import { a,\n  b } from '../x/y.js';\nexport type { C } from "./c.js";\nimport './side.js';\nconst m = await import('../z.js');`;
    expect(specifiers(code).sort()).toEqual(['../x/y.js', '../z.js', './c.js', './side.js']);
  });

  it('no src/cli file imports project code outside src/cli except ../index.js', () => {
    const hits: string[] = [];
    for (const f of files) {
      for (const s of specifiers(readFileSync(f, 'utf8'))) {
        if (!s.startsWith('.')) continue; // a package or node: module
        const target = resolve(dirname(f), s);
        if (target === INDEX || !relative(CLI, target).startsWith('..')) continue;
        hits.push(`${relative(SRC, f)} imports ${s}`);
      }
    }
    expect(hits).toEqual([]);
  });
});
