// Names of the files in `_delta_log/`: commits, checkpoints (classic, multi-part, V2/UUID), checksums, compactions;
// and the paths the log records (add.path, DV paths) -> store paths. Pure string functions: no I/O.
import { StorageError } from '../errors.js';
import type { ObjectStore } from '../storage/store.js';

export const LOG_DIR = '_delta_log';
export const LAST_CHECKPOINT = `${LOG_DIR}/_last_checkpoint`;
export const SIDECAR_DIR = `${LOG_DIR}/_sidecars`;

/** Zero-pad a version to the 20 digits PROTOCOL.md "Delta Log Entries" uses. */
export function formatVersion(v: number): string {
  if (!Number.isSafeInteger(v) || v < 0) throw new RangeError(`invalid table version ${v}`);
  return String(v).padStart(20, '0');
}

/** `_delta_log/00000000000000000012.json` */
export function commitPath(v: number): string {
  return `${LOG_DIR}/${formatVersion(v)}.json`;
}

/** `_delta_log/00000000000000000012.checkpoint.parquet` (classic single-file checkpoint). */
export function classicCheckpointPath(v: number): string {
  return `${LOG_DIR}/${formatVersion(v)}.checkpoint.parquet`;
}

/** `_delta_log/00000000000000000012.checkpoint.0000000001.0000000003.parquet` (part is 1-based). */
export function multiPartCheckpointPath(v: number, part: number, parts: number): string {
  return `${LOG_DIR}/${formatVersion(v)}.checkpoint.${String(part).padStart(10, '0')}.${String(parts).padStart(10, '0')}.parquet`;
}

/** `_delta_log/00000000000000000012.checkpoint.<uuid>.json|parquet` (V2 UUID-named checkpoint). */
export function v2CheckpointPath(v: number, uuid: string, format: 'json' | 'parquet'): string {
  return `${LOG_DIR}/${formatVersion(v)}.checkpoint.${uuid}.${format}`;
}

/** `_delta_log/00000000000000000012.crc` */
export function crcPath(v: number): string {
  return `${LOG_DIR}/${formatVersion(v)}.crc`;
}

/** The path (from the table root) of a sidecar file named in a V2 checkpoint's `sidecar` action. */
export function sidecarPath(name: string): string {
  // PROTOCOL.md "Sidecar File Information": sidecars always live in the table's `_delta_log/_sidecars`; the path is
  // usually just the file name, but may be a longer (even absolute, URI-encoded) path ending in that folder.
  const i = name.lastIndexOf(`${SIDECAR_DIR}/`);
  if (i >= 0) return decodeURIComponent(name.slice(i));
  return `${SIDECAR_DIR}/${decodeURIComponent(name.slice(name.lastIndexOf('/') + 1))}`;
}

export type LogFileKind = 'commit' | 'checkpoint' | 'crc' | 'compacted' | 'unknown';
export type CheckpointKind = 'single' | 'multi' | 'v2';

export interface ParsedLogFileName {
  kind: LogFileKind;
  version: number;
  /** Checkpoints only: how the checkpoint is named. */
  checkpointKind?: CheckpointKind;
  /** Multi-part checkpoints: 1-based part and total part count. */
  part?: number;
  parts?: number;
  /** V2 UUID-named checkpoints. */
  uuid?: string;
  /** Storage format of a checkpoint or compaction. */
  format?: 'json' | 'parquet';
  /** Log compaction files `<x>.<y>.compacted.json`: last version covered (version = first). */
  endVersion?: number;
}

const COMMIT_RE = /^(\d{20})\.json$/;
const CLASSIC_RE = /^(\d{20})\.checkpoint\.parquet$/;
const MULTI_RE = /^(\d{20})\.checkpoint\.(\d{10})\.(\d{10})\.parquet$/;
const V2_RE = /^(\d{20})\.checkpoint\.([0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12})\.(json|parquet)$/;
const CRC_RE = /^(\d{20})\.crc$/;
const COMPACTED_RE = /^(\d{20})\.(\d{20})\.compacted\.json$/;

/**
 * Parse a `_delta_log` file name (base name or path; the folder part is ignored).
 * Returns null for names that are not log files at all (e.g. `_last_checkpoint`, temp files).
 */
export function parseLogFileName(name: string): ParsedLogFileName | null {
  const base = name.slice(name.lastIndexOf('/') + 1);
  let m = COMMIT_RE.exec(base);
  if (m) return { kind: 'commit', version: Number(m[1]) };
  m = CLASSIC_RE.exec(base);
  if (m) return { kind: 'checkpoint', checkpointKind: 'single', version: Number(m[1]), format: 'parquet' };
  m = MULTI_RE.exec(base);
  if (m) {
    const part = Number(m[2]);
    const parts = Number(m[3]);
    if (part < 1 || parts < 1 || part > parts) return null;
    return { kind: 'checkpoint', checkpointKind: 'multi', version: Number(m[1]), part, parts, format: 'parquet' };
  }
  m = V2_RE.exec(base);
  if (m) {
    return { kind: 'checkpoint', checkpointKind: 'v2', version: Number(m[1]), uuid: m[2], format: m[3] as 'json' | 'parquet' };
  }
  m = CRC_RE.exec(base);
  if (m) return { kind: 'crc', version: Number(m[1]) };
  m = COMPACTED_RE.exec(base);
  if (m) return { kind: 'compacted', version: Number(m[1]), endVersion: Number(m[2]), format: 'json' };
  return null;
}

// ---------------------------------------------------------------------------------------------------------------
// Paths recorded in the log (add.path, remove.path, DV 'p' paths)

function normalizeScheme(uri: string): string {
  return uri.replace(/^s3[an]:\/\//, 's3://');
}

/**
 * Decode an `add.path` / `remove.path` URI string (PROTOCOL.md "Add File and Remove File": a URI per RFC 2396)
 * to the raw relative path; inverse of partition_values.ts `addPathFor`. Text that is not valid
 * percent-encoding is returned as is (some old writers stored raw paths).
 */
export function decodeAddPath(p: string): string {
  try {
    return decodeURIComponent(p);
  } catch {
    return p;
  }
}

/**
 * Store-relative path of a path as the log stores it (add.path, remove.path, DV 'p' paths): URI-encoded relative
 * paths are decoded (PROTOCOL.md "Add File and Remove File": path is a URI per RFC 2396); absolute URIs must lie
 * under the store (table) root. `what` names the referring thing in errors.
 */
export function storePathOf(store: ObjectStore, logPath: string, what = 'file'): string {
  if (!/^[a-zA-Z][a-zA-Z0-9+.-]*:/.test(logPath)) {
    return decodeAddPath(logPath.replace(/^\/+/, ''));
  }
  const root = normalizeScheme(store.uri).replace(/\/+$/, '');
  const p = normalizeScheme(logPath);
  // Compare both encoded and decoded forms (pathToFileURL encodes some characters Spark leaves raw, and vice versa).
  const candidates: Array<[string, string]> = [
    [p, root],
    [decodeAddPath(p), decodeAddPath(root)],
  ];
  // file:/x and file:///x are the same local path.
  const fileNorm = (u: string): string => u.replace(/^file:\/(?!\/)/, 'file:///').replace(/^file:\/\/localhost\//, 'file:///');
  candidates.push([fileNorm(decodeAddPath(p)), fileNorm(decodeAddPath(root))]);
  for (const [full, base] of candidates) {
    if (full.startsWith(`${base}/`)) {
      const rel = full.slice(base.length + 1);
      return full === p ? decodeAddPath(rel) : rel;
    }
  }
  throw new StorageError(`${what} is outside the table root ${store.uri} and cannot be read through it`, logPath);
}
