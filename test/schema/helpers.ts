// Shared test helpers for test/schema and test/table/stats: locating the read-only conformance corpus.
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const CONFORMANCE_DIR = process.env.DELTATS_CONFORMANCE_DIR ?? resolve(repoRoot, '..', 'shared', 'conformance');
export const HAVE_CONFORMANCE = existsSync(resolve(CONFORMANCE_DIR, 'cases.json'));
if (!HAVE_CONFORMANCE) {
  console.warn(`conformance corpus not found at ${CONFORMANCE_DIR} (set DELTATS_CONFORMANCE_DIR); skipping corpus tests`);
}

export interface ConformanceCase {
  name: string;
  schemaString: string;
  partitionColumns: string[];
  [k: string]: unknown;
}

export function loadCases(): ConformanceCase[] {
  if (!HAVE_CONFORMANCE) return [];
  return JSON.parse(readFileSync(resolve(CONFORMANCE_DIR, 'cases.json'), 'utf8')) as ConformanceCase[];
}

/** All actions of every JSON commit of a corpus table, in version order. */
export function readLogActions(table: string): Record<string, unknown>[] {
  const dir = resolve(CONFORMANCE_DIR, 'tables', table, '_delta_log');
  return readdirSync(dir)
    .filter((f) => /^\d{20}\.json$/.test(f))
    .sort()
    .flatMap((f) =>
      readFileSync(resolve(dir, f), 'utf8')
        .split('\n')
        .filter((l) => l.trim() !== '')
        .map((l) => JSON.parse(l) as Record<string, unknown>),
    );
}

import type { DataType } from '../../src/schema/types.js';
import type { Value } from '../../src/schema/access/get.js';
import { decimalParams } from '../../src/schema/json.js';
import { formatDate, formatDecimal, formatTimestampMicros } from '../../src/schema/values.js';
import { formatFloat32 } from '../../src/table/stats.js';

/** The corpus README's canonical JSON form of a normalized value of Delta type `t`. */
export function canonical(v: Value, t: DataType): unknown {
  if (v === null) return null;
  if (typeof t === 'string') {
    const d = decimalParams(t);
    if (d) return formatDecimal(v as bigint, d.scale);
    switch (t) {
      case 'long':
        return (v as bigint).toString();
      case 'float':
      case 'double': {
        const n = v as number;
        if (Number.isNaN(n)) return 'NaN';
        if (!Number.isFinite(n)) return n > 0 ? 'Infinity' : '-Infinity';
        return t === 'float' ? Number(formatFloat32(n)) : n;
      }
      case 'date':
        return formatDate(v as number);
      case 'timestamp':
        return `${formatTimestampMicros(v as bigint, 'T')}Z`;
      case 'timestamp_ntz':
        return formatTimestampMicros(v as bigint, 'T');
      case 'binary':
        return Buffer.from(v as Uint8Array).toString('hex');
      default:
        return v;
    }
  }
  switch (t.type) {
    case 'struct': {
      const o: Record<string, unknown> = {};
      for (const f of t.fields) o[f.name] = canonical((v as Record<string, Value>)[f.name] ?? null, f.type);
      return o;
    }
    case 'array':
      return (v as Value[]).map((e) => canonical(e, t.elementType));
    case 'map': {
      const pairs = (v as Value[][]).map(([k, val]) => [canonical(k!, t.keyType), canonical(val ?? null, t.valueType)]);
      const numeric = typeof t.keyType === 'string' && ['byte', 'short', 'integer', 'long', 'float', 'double'].includes(t.keyType);
      pairs.sort((a, b) =>
        numeric ? Number(a[0]) - Number(b[0]) : JSON.stringify(a[0]) < JSON.stringify(b[0]) ? -1 : JSON.stringify(a[0]) > JSON.stringify(b[0]) ? 1 : 0,
      );
      return pairs;
    }
  }
}
