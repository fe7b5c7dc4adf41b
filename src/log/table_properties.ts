// Table properties (metaData.configuration): every `delta.*` property deltats reads, with its type, its default and
// where that default comes from, parsed here and nowhere else. No I/O; a malformed value is InvalidTablePropertyError.
import { InvalidTablePropertyError, UnsupportedFeatureError } from '../errors.js';
import type { ColumnMappingMode } from '../schema/column_mapping.js';

/** Writer's data file size when neither the call nor delta.targetFileSize sets one (Spark's 128 MiB input split). */
export const DEFAULT_WRITE_TARGET_FILE_SIZE = 128 * 1024 * 1024;
/** OPTIMIZE's target when delta.targetFileSize is unset (delta-rs' optimize default, 100 MiB). */
export const DEFAULT_OPTIMIZE_TARGET_FILE_SIZE = 100 * 1024 * 1024;

const UNIT_MS: Record<string, number> = {
  week: 7 * 86_400_000,
  day: 86_400_000,
  hour: 3_600_000,
  minute: 60_000,
  second: 1000,
  millisecond: 1,
  microsecond: 0.001,
};

const INTERVAL_EXAMPLE = "an interval (expected e.g. 'interval 1 week' or 'interval 7 days')";
const INTERVAL_STRING = "an interval string (expected e.g. 'interval 7 days')";

/**
 * A Spark calendar interval as Delta's duration properties hold it (`interval 1 week`, `interval 7 days`,
 * `interval 1 day 12 hours`, `30 days`) in milliseconds; InvalidTablePropertyError naming `property` otherwise.
 */
export function parseIntervalMs(value: unknown, property: string): number {
  // metaData.configuration is a map of strings (PROTOCOL.md "Change Metadata"): a number here is malformed.
  if (typeof value !== 'string') throw new InvalidTablePropertyError(property, value, INTERVAL_STRING);
  const s = value.trim().toLowerCase().replace(/^interval\s+/, '');
  const re = /(\d+(?:\.\d+)?)\s*(weeks?|days?|hours?|minutes?|mins?|seconds?|secs?|milliseconds?|ms|microseconds?|us)\b/y;
  let total = 0;
  let pos = 0;
  let any = false;
  for (;;) {
    while (pos < s.length && /\s/.test(s[pos]!)) pos++;
    if (pos >= s.length) break;
    re.lastIndex = pos;
    const m = re.exec(s);
    if (!m) throw new InvalidTablePropertyError(property, value, INTERVAL_EXAMPLE);
    let unit = m[2]!.replace(/s$/, '');
    if (unit === 'min') unit = 'minute';
    if (unit === 'sec') unit = 'second';
    if (unit === 'm') unit = 'millisecond';
    if (unit === 'u') unit = 'microsecond';
    total += Number(m[1]) * UNIT_MS[unit]!;
    pos = re.lastIndex;
    any = true;
  }
  if (!any) throw new InvalidTablePropertyError(property, value, INTERVAL_EXAMPLE);
  return total;
}

function parseBoolean(value: unknown, property: string): boolean {
  if (typeof value === 'boolean') return value;
  // Spark reads boolean properties with String.toBoolean: 'true' / 'false' in any case.
  const s = typeof value === 'string' ? value.trim().toLowerCase() : '';
  if (s === 'true') return true;
  if (s === 'false') return false;
  throw new InvalidTablePropertyError(property, value, "'true' or 'false'");
}

function parseInteger(value: unknown, property: string, min: number, expected: string): number {
  const n = typeof value === 'number' ? value : typeof value === 'string' && /^\s*-?\d+\s*$/.test(value) ? Number(value) : NaN;
  if (!Number.isSafeInteger(n) || n < min) throw new InvalidTablePropertyError(property, value, expected);
  return n;
}

function parseColumnMappingMode(value: unknown, property: string): ColumnMappingMode {
  const m = typeof value === 'string' ? value.trim().toLowerCase() : '';
  if (m === 'none' || m === 'name' || m === 'id') return m;
  // Reading with the wrong column names would return wrong data: refuse the table, naming the feature.
  throw new UnsupportedFeatureError('columnMapping', 'reader', `unknown ${property} '${String(value)}'`);
}

function parseColumnList(value: unknown, property: string): string[] {
  if (typeof value !== 'string') throw new InvalidTablePropertyError(property, value, 'a comma-separated list of column names');
  return value
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
}

interface PropertySpec<T> {
  key: string;
  /** Value when the property is absent. */
  default: T;
  parse(value: unknown, key: string): T;
}

function spec<T>(key: string, dflt: T, parse: (value: unknown, key: string) => T): PropertySpec<T> {
  return { key, default: dflt, parse };
}

/** Every table property deltats honours: one row each, with the source of its default. */
export const TABLE_PROPERTIES = {
  /** Spark DeltaConfigs.CHECKPOINT_INTERVAL: a checkpoint every 10 commits. */
  checkpointInterval: spec('delta.checkpointInterval', 10, (v, k) => parseInteger(v, k, 1, 'a positive number of commits')),
  /** Spark DeltaConfigs.CHECKPOINT_POLICY (PROTOCOL.md "V2 Checkpoint Table Feature"): 'classic' unless set to 'v2'. */
  checkpointPolicy: spec<'classic' | 'v2'>('delta.checkpointPolicy', 'classic', (v, k) => {
    const s = typeof v === 'string' ? v.trim().toLowerCase() : '';
    if (s === 'classic' || s === 'v2') return s;
    throw new InvalidTablePropertyError(k, v, "'classic' or 'v2'");
  }),
  /** Data file size in bytes; unset by default (each operation then uses its own default, see above). */
  targetFileSize: spec<number | undefined>('delta.targetFileSize', undefined, (v, k) => parseInteger(v, k, 1, 'a positive number of bytes')),
  /** Spark DeltaConfigs.DATA_SKIPPING_NUM_INDEXED_COLS: stats for the first 32 leaf columns; -1 = all. */
  dataSkippingNumIndexedCols: spec('delta.dataSkippingNumIndexedCols', 32, (v, k) => parseInteger(v, k, -1, 'an integer >= -1')),
  /** Spark DeltaConfigs.DATA_SKIPPING_STATS_COLUMNS: when set, replaces dataSkippingNumIndexedCols. */
  dataSkippingStatsColumns: spec<string[] | undefined>('delta.dataSkippingStatsColumns', undefined, parseColumnList),
  /** Spark DeltaConfigs.DATA_SKIPPING_STRING_PREFIX_LENGTH: string min/max stats keep 32 characters. */
  dataSkippingStringPrefixLength: spec('delta.dataSkippingStringPrefixLength', 32, (v, k) => parseInteger(v, k, 0, 'a number of characters')),
  /** Spark DeltaConfigs.LOG_RETENTION: commits older than 30 days may be cleaned up. */
  logRetentionMs: spec('delta.logRetentionDuration', parseIntervalMs('interval 30 days', 'default'), parseIntervalMs),
  /** Spark DeltaConfigs.TOMBSTONE_RETENTION: removed files are kept (vacuum, checkpoint tombstones) for 1 week. */
  deletedFileRetentionMs: spec('delta.deletedFileRetentionDuration', parseIntervalMs('interval 1 week', 'default'), parseIntervalMs),
  /** Spark DeltaConfigs.ENABLE_EXPIRED_LOG_CLEANUP: true. */
  enableExpiredLogCleanup: spec('delta.enableExpiredLogCleanup', true, parseBoolean),
  /** PROTOCOL.md "Append-only Tables": false. */
  appendOnly: spec('delta.appendOnly', false, parseBoolean),
  /** PROTOCOL.md "In-Commit Timestamps": false. */
  enableInCommitTimestamps: spec('delta.enableInCommitTimestamps', false, parseBoolean),
  /** PROTOCOL.md "In-Commit Timestamps": first version with an inCommitTimestamp; unset = every version. */
  inCommitTimestampEnablementVersion: spec<number | undefined>('delta.inCommitTimestampEnablementVersion', undefined, (v, k) =>
    parseInteger(v, k, 0, 'a table version'),
  ),
  /** PROTOCOL.md "In-Commit Timestamps": the inCommitTimestamp of the enablement version (ms). */
  inCommitTimestampEnablementTimestamp: spec<number | undefined>('delta.inCommitTimestampEnablementTimestamp', undefined, (v, k) =>
    parseInteger(v, k, Number.MIN_SAFE_INTEGER, 'a timestamp in milliseconds'),
  ),
  /** PROTOCOL.md "Deletion Vectors": false. */
  enableDeletionVectors: spec('delta.enableDeletionVectors', false, parseBoolean),
  /** PROTOCOL.md "Change Data Files": false. */
  enableChangeDataFeed: spec('delta.enableChangeDataFeed', false, parseBoolean),
  /** PROTOCOL.md "Column Mapping": 'none'. An unknown mode is an UnsupportedFeatureError. */
  columnMappingMode: spec<ColumnMappingMode>('delta.columnMapping.mode', 'none', parseColumnMappingMode),
  /** PROTOCOL.md "Column Mapping": the largest column id assigned so far. */
  columnMappingMaxColumnId: spec<number | undefined>('delta.columnMapping.maxColumnId', undefined, (v, k) =>
    parseInteger(v, k, 0, 'a column id'),
  ),
} as const;

export type TablePropertyName = keyof typeof TABLE_PROPERTIES;
type ValueOf<K extends TablePropertyName> = (typeof TABLE_PROPERTIES)[K]['default'];

/**
 * Typed view of metaData.configuration. Each property is parsed on first use, so a malformed property only fails
 * the operations that need it; `validate()` parses all of them (for a new table or new metadata).
 */
export class TableProperties {
  private readonly cache = new Map<TablePropertyName, unknown>();

  constructor(readonly raw: Readonly<Record<string, unknown>>) {}

  get<K extends TablePropertyName>(name: K): ValueOf<K> {
    if (this.cache.has(name)) return this.cache.get(name) as ValueOf<K>;
    const s = TABLE_PROPERTIES[name] as PropertySpec<ValueOf<K>>;
    const v = Object.prototype.hasOwnProperty.call(this.raw, s.key) ? s.parse(this.raw[s.key], s.key) : s.default;
    this.cache.set(name, v);
    return v;
  }

  /** Parse every known property (throws the first InvalidTablePropertyError / UnsupportedFeatureError). */
  validate(): void {
    for (const name of Object.keys(TABLE_PROPERTIES) as TablePropertyName[]) this.get(name);
  }

  get checkpointInterval(): number {
    return this.get('checkpointInterval');
  }
  get checkpointPolicy(): 'classic' | 'v2' {
    return this.get('checkpointPolicy');
  }
  get targetFileSize(): number | undefined {
    return this.get('targetFileSize');
  }
  get dataSkippingNumIndexedCols(): number {
    return this.get('dataSkippingNumIndexedCols');
  }
  get dataSkippingStatsColumns(): string[] | undefined {
    return this.get('dataSkippingStatsColumns');
  }
  get dataSkippingStringPrefixLength(): number {
    return this.get('dataSkippingStringPrefixLength');
  }
  get logRetentionMs(): number {
    return this.get('logRetentionMs');
  }
  get deletedFileRetentionMs(): number {
    return this.get('deletedFileRetentionMs');
  }
  get enableExpiredLogCleanup(): boolean {
    return this.get('enableExpiredLogCleanup');
  }
  get appendOnly(): boolean {
    return this.get('appendOnly');
  }
  get enableInCommitTimestamps(): boolean {
    return this.get('enableInCommitTimestamps');
  }
  get inCommitTimestampEnablementVersion(): number | undefined {
    return this.get('inCommitTimestampEnablementVersion');
  }
  get inCommitTimestampEnablementTimestamp(): number | undefined {
    return this.get('inCommitTimestampEnablementTimestamp');
  }
  get enableDeletionVectors(): boolean {
    return this.get('enableDeletionVectors');
  }
  get enableChangeDataFeed(): boolean {
    return this.get('enableChangeDataFeed');
  }
  get columnMappingMode(): ColumnMappingMode {
    return this.get('columnMappingMode');
  }
  get columnMappingMaxColumnId(): number | undefined {
    return this.get('columnMappingMaxColumnId');
  }

  /** Names of the CHECK constraints (`delta.constraints.<name>`, PROTOCOL.md "Check Constraints"). */
  get checkConstraintNames(): string[] {
    const prefix = 'delta.constraints.';
    return Object.keys(this.raw)
      .filter((k) => k.startsWith(prefix))
      .map((k) => k.slice(prefix.length));
  }
}
