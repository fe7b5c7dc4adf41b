// Every table property is parsed in one place (src/log/table_properties.ts): no other source file names a property
// key of TABLE_PROPERTIES in code or indexes metaData.configuration by key. Comments and messages may mention them.
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { TABLE_PROPERTIES } from '../../src/log/table_properties.js';

const SRC = join(import.meta.dirname, '..', '..', 'src');
const HOME = join('log', 'table_properties.ts');

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? sources(join(dir, e.name)) : e.name.endsWith('.ts') ? [join(dir, e.name)] : [],
  );
}

/** The code of a file: comment lines and `//` tails dropped (property names in prose are fine). */
function codeLines(file: string): Array<{ line: number; text: string }> {
  return readFileSync(file, 'utf8')
    .split('\n')
    .map((text, i) => ({ line: i + 1, text: text.replace(/\s\/\/.*$/, '') }))
    .filter(({ text }) => !/^\s*(\*|\/\/|\/\*)/.test(text));
}

describe('table properties are parsed in one place', () => {
  const files = sources(SRC).filter((f) => relative(SRC, f) !== HOME);
  const keys = Object.values(TABLE_PROPERTIES).map((s) => s.key);

  it('finds the source tree', () => {
    expect(files.length).toBeGreaterThan(50);
    expect(keys).toContain('delta.deletedFileRetentionDuration');
  });

  it('no other file names a property key as a string literal', () => {
    const hits: string[] = [];
    for (const f of files) {
      for (const { line, text } of codeLines(f)) {
        for (const k of keys) if (text.includes(`'${k}'`) || text.includes(`"${k}"`)) hits.push(`${relative(SRC, f)}:${line} ${k}`);
      }
    }
    expect(hits).toEqual([]);
  });

  it('no other file indexes metaData.configuration by key', () => {
    const hits: string[] = [];
    for (const f of files) {
      for (const { line, text } of codeLines(f)) if (/configuration\??\.?\[/.test(text)) hits.push(`${relative(SRC, f)}:${line}`);
    }
    expect(hits).toEqual([]);
  });
});
