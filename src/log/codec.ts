// Commit file codec: newline-delimited JSON actions <-> Action[] (PROTOCOL.md "Delta Log Entries", "Actions").
// Validates the required fields of add/remove/metaData/protocol; no replay logic, no store access except readCommit.
import { NotFoundError, ProtocolError, VersionNotFoundError } from '../errors.js';
import type { ObjectStore } from '../storage/store.js';
import type { Action } from './actions.js';
import { commitPath } from './paths.js';

/** Action keys deltats understands. Others are ignored when reading ("readers must ignore unknown actions"). */
const KNOWN_ACTIONS = new Set([
  'protocol',
  'metaData',
  'add',
  'remove',
  'cdc',
  'txn',
  'commitInfo',
  'domainMetadata',
  'checkpointMetadata',
  'sidecar',
]);

type Obj = Record<string, unknown>;
type Check = 'string' | 'number' | 'boolean' | 'object' | 'array';

const REQUIRED: Record<string, Array<[string, Check]>> = {
  add: [
    ['path', 'string'],
    ['partitionValues', 'object'],
    ['size', 'number'],
    ['modificationTime', 'number'],
    ['dataChange', 'boolean'],
  ],
  remove: [
    ['path', 'string'],
    ['dataChange', 'boolean'],
  ],
  metaData: [
    ['id', 'string'],
    ['schemaString', 'string'],
    ['partitionColumns', 'array'],
  ],
  protocol: [
    ['minReaderVersion', 'number'],
    ['minWriterVersion', 'number'],
  ],
  txn: [
    ['appId', 'string'],
    ['version', 'number'],
  ],
  cdc: [
    ['path', 'string'],
    ['size', 'number'],
  ],
  domainMetadata: [
    ['domain', 'string'],
    ['configuration', 'string'],
  ],
  sidecar: [['path', 'string']],
  checkpointMetadata: [['version', 'number']],
};

function isObj(v: unknown): v is Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function hasType(v: unknown, t: Check): boolean {
  switch (t) {
    case 'array':
      return Array.isArray(v);
    case 'object':
      return isObj(v);
    default:
      return typeof v === t;
  }
}

/**
 * Check one parsed line and fill protocol-defined defaults. Returns null for lines without a known action
 * (unknown action keys are ignored per PROTOCOL.md "Actions").
 */
export function validateAction(raw: unknown, fileName: string, line?: number): Action | null {
  if (!isObj(raw)) throw new ProtocolError('a log line must be a JSON object', fileName, line);
  const keys = Object.keys(raw).filter((k) => KNOWN_ACTIONS.has(k) && raw[k] !== null && raw[k] !== undefined);
  if (keys.length === 0) return null;
  if (keys.length > 1) {
    throw new ProtocolError(`a log line must hold exactly one action, found ${keys.join(', ')}`, fileName, line);
  }
  const key = keys[0]!;
  const body = raw[key];
  if (!isObj(body)) throw new ProtocolError(`action '${key}' must be a JSON object`, fileName, line);
  for (const [field, t] of REQUIRED[key] ?? []) {
    if (!hasType(body[field], t)) {
      const what = body[field] === undefined || body[field] === null ? 'is missing' : `must be ${t === 'array' ? 'an array' : `a ${t}`}`;
      throw new ProtocolError(`required field '${key}.${field}' ${what}`, fileName, line);
    }
  }
  if (key === 'metaData') {
    // Old writers may omit these two; PROTOCOL.md gives their meaning when empty.
    if (body.format === undefined || body.format === null) body.format = { provider: 'parquet', options: {} };
    if (body.configuration === undefined || body.configuration === null) body.configuration = {};
    if (!isObj(body.format) || typeof (body.format as Obj).provider !== 'string') {
      throw new ProtocolError(`field 'metaData.format' must be {provider, options}`, fileName, line);
    }
    if (!isObj(body.configuration)) throw new ProtocolError(`field 'metaData.configuration' must be an object`, fileName, line);
    const conf = body.configuration as Obj;
    for (const [k, v] of Object.entries(conf)) {
      // A map of strings; numbers and booleans are read as their text, as Spark's JSON reader coerces them.
      if (typeof v === 'number' || typeof v === 'boolean') conf[k] = String(v);
      else if (typeof v !== 'string' && v !== null) {
        throw new ProtocolError(`table property '${k}' in metaData.configuration must be a string`, fileName, line);
      }
    }
    const bad = (body.partitionColumns as unknown[]).find((c) => typeof c !== 'string' || c === '');
    if (bad !== undefined) {
      throw new ProtocolError(`'metaData.partitionColumns' must hold column names, found ${JSON.stringify(bad)}`, fileName, line);
    }
  }
  if (key === 'protocol') {
    for (const f of ['minReaderVersion', 'minWriterVersion']) {
      if (!Number.isInteger(body[f]) || (body[f] as number) < 1) {
        throw new ProtocolError(`'protocol.${f}' must be a positive integer, got ${JSON.stringify(body[f])}`, fileName, line);
      }
    }
    for (const f of ['readerFeatures', 'writerFeatures']) {
      const v = body[f];
      if (v === undefined || v === null) continue;
      if (!Array.isArray(v) || !v.every((x) => typeof x === 'string')) {
        throw new ProtocolError(`'protocol.${f}' must be an array of feature names, got ${JSON.stringify(v)?.slice(0, 80)}`, fileName, line);
      }
    }
  }
  if (key === 'domainMetadata' && typeof body.removed !== 'boolean') body.removed = false;
  if (key === 'cdc' && (body.partitionValues === undefined || body.partitionValues === null)) body.partitionValues = {};
  return { [key]: body } as unknown as Action;
}

/** Parse a commit file (one JSON action per line; blank lines skipped). `fileName` names it in errors. */
export function parseCommit(bytes: Uint8Array, fileName: string): Action[] {
  const text = new TextDecoder('utf-8').decode(bytes);
  const out: Action[] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const l = lines[i]!.trim();
    if (l === '') continue;
    let raw: unknown;
    try {
      raw = JSON.parse(l);
    } catch (e) {
      throw new ProtocolError(`malformed JSON: ${(e as Error).message}`, fileName, i + 1, { cause: e });
    }
    const a = validateAction(raw, fileName, i + 1);
    if (!a) continue;
    // PROTOCOL.md "Change Metadata" / "Protocol Evolution": at most one metaData and one protocol action per version.
    for (const k of ['metaData', 'protocol'] as const) {
      if (k in a && out.some((b) => k in b)) throw new ProtocolError(`a commit may hold at most one '${k}' action, found a second`, fileName, i + 1);
    }
    out.push(a);
  }
  return out;
}

/** One JSON object per line, '\n' after each. Unknown fields inside actions are kept as they are. */
export function serializeActions(actions: Action[]): Uint8Array {
  let s = '';
  for (const a of actions) s += JSON.stringify(a) + '\n';
  return new TextEncoder().encode(s);
}

/** Read and parse commit `version` of the table in `store`. Missing file -> VersionNotFoundError. */
export async function readCommit(store: ObjectStore, version: number): Promise<Action[]> {
  const p = commitPath(version);
  let bytes: Uint8Array;
  try {
    bytes = await store.get(p);
  } catch (e) {
    if (e instanceof NotFoundError) throw new VersionNotFoundError(`commit file for version ${version} not found (${p})`, version);
    throw e;
  }
  return parseCommit(bytes, p);
}
