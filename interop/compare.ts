// What the interop suite compares: one engine's reading of a table (version, schema, partition columns,
// canonical rows) against deltats's, reporting the first difference. Pure: no I/O, no engines.
import { canonicalLines, canonicalLinesFromJson } from '../conformance/canonical.js';
import { DeltaTable, UnsupportedFeatureError } from '../src/index.js';
import type { DataType, StructType } from '../src/index.js';

/** One engine's view of a table at one version (the driver's JSON, or deltats's). */
export interface Reading {
  requested: number | null;
  version?: number;
  schema?: StructType;
  partitionColumns?: string[] | null;
  rows?: unknown[];
  lines?: string[];
  error?: string;
}

/** deltats's reading of `uri` at `version` (latest when null). */
export async function deltatsReading(uri: string, version: number | null, storageOptions?: Record<string, string>): Promise<Reading> {
  try {
    const t = await DeltaTable.open(uri, { ...(version === null ? {} : { version }), storageOptions });
    const lines = canonicalLines(await t.scan().toArrow(), t.schema);
    return { requested: version, version: t.version, schema: t.schema, partitionColumns: [...t.partitionColumns], lines };
  } catch (e) {
    const err = e as Error;
    const feature = e instanceof UnsupportedFeatureError ? ` [feature=${e.feature}]` : '';
    return { requested: version, error: `${err.constructor.name}: ${err.message}${feature}` };
  }
}

/** Type text without metadata: what must agree between engines (names, types, nullability). */
function typeText(t: DataType, withNullability: boolean): string {
  if (typeof t === 'string') return t;
  switch (t.type) {
    case 'struct':
      return `struct<${t.fields.map((x) => `${x.name}:${typeText(x.type, withNullability)}${withNullability && !x.nullable ? ' not null' : ''}`).join(',')}>`;
    case 'array':
      return `array<${typeText(t.elementType, withNullability)}${withNullability && !t.containsNull ? ' not null' : ''}>`;
    case 'map':
      return `map<${typeText(t.keyType, withNullability)},${typeText(t.valueType, withNullability)}${withNullability && !t.valueContainsNull ? ' not null' : ''}>`;
  }
}

export function schemaText(s: StructType, withNullability = true): string {
  return typeText(s, withNullability);
}

/** The first line in which two sorted line lists differ, as "ours: ... / theirs: ...". */
export function firstDifference(ours: readonly string[], theirs: readonly string[]): string | null {
  const a = new Set(ours);
  const b = new Set(theirs);
  const onlyOurs = ours.find((l) => !b.has(l));
  const onlyTheirs = theirs.find((l) => !a.has(l));
  if (onlyOurs === undefined && onlyTheirs === undefined) {
    if (ours.length === theirs.length) return null;
    return `same distinct rows, different counts: deltats ${ours.length} rows, engine ${theirs.length}`;
  }
  return `deltats ${ours.length} rows, engine ${theirs.length}; first row only deltats has: ${onlyOurs ?? '-'}; first row only the engine has: ${onlyTheirs ?? '-'}`;
}

/** Problems between deltats's reading and an engine's (empty = equal). */
export function compareReading(ours: Reading, theirs: Reading): string[] {
  if (ours.error || theirs.error) {
    if (ours.error && theirs.error) return [`both failed: deltats: ${ours.error}; engine: ${theirs.error}`];
    return [ours.error ? `deltats failed: ${ours.error}` : `engine failed: ${theirs.error}`];
  }
  const out: string[] = [];
  if (ours.version !== theirs.version) out.push(`version: deltats ${ours.version}, engine ${theirs.version}`);
  const so = schemaText(ours.schema!);
  const st = schemaText(theirs.schema!);
  if (so !== st) out.push(`schema: deltats ${so}, engine ${st}`);
  if (theirs.partitionColumns && JSON.stringify(ours.partitionColumns) !== JSON.stringify(theirs.partitionColumns)) {
    out.push(`partition columns: deltats ${JSON.stringify(ours.partitionColumns)}, engine ${JSON.stringify(theirs.partitionColumns)}`);
  }
  const theirLines = theirs.lines ?? canonicalLinesFromJson(theirs.rows ?? [], theirs.schema!);
  const d = firstDifference(ours.lines!, theirLines);
  if (d) out.push(`rows: ${d}`);
  return out;
}
