// The actions of Delta's PROTOCOL.md ("Actions" section) as TypeScript types.
// Each action object keeps unknown fields as-is so that a rewrite (checkpoint) preserves them.

export interface Format {
  provider: string;
  options?: Record<string, string>;
}

export interface Protocol {
  minReaderVersion: number;
  minWriterVersion: number;
  /** Present iff minReaderVersion >= 3 (table features). */
  readerFeatures?: string[];
  /** Present iff minWriterVersion >= 7 (table features). */
  writerFeatures?: string[];
  [unknown: string]: unknown;
}

export interface Metadata {
  id: string;
  name?: string | null;
  description?: string | null;
  format: Format;
  /** Schema serialized as JSON (PROTOCOL.md "Schema Serialization Format"). */
  schemaString: string;
  partitionColumns: string[];
  createdTime?: number | null;
  configuration: Record<string, string>;
  [unknown: string]: unknown;
}

/** PROTOCOL.md "Deletion Vector Descriptor Schema". */
export interface DeletionVectorDescriptor {
  /** 'u' = relative path (UUID, Z85), 'i' = inline (Z85), 'p' = absolute path. */
  storageType: 'u' | 'i' | 'p' | string;
  pathOrInlineDv: string;
  offset?: number | null;
  sizeInBytes: number;
  cardinality: number;
  [unknown: string]: unknown;
}

export interface Add {
  /** URI-encoded path relative to the table root (or absolute URI). */
  path: string;
  /** Partition column (physical name) -> serialized value; null for null. */
  partitionValues: Record<string, string | null>;
  size: number;
  modificationTime: number;
  dataChange: boolean;
  /** Per-file statistics JSON string (numRecords, minValues, maxValues, nullCount, tightBounds). */
  stats?: string | null;
  tags?: Record<string, string> | null;
  deletionVector?: DeletionVectorDescriptor | null;
  baseRowId?: number | null;
  defaultRowCommitVersion?: number | null;
  clusteringProvider?: string | null;
  [unknown: string]: unknown;
}

export interface Remove {
  path: string;
  deletionTimestamp?: number | null;
  dataChange: boolean;
  extendedFileMetadata?: boolean | null;
  partitionValues?: Record<string, string | null> | null;
  size?: number | null;
  stats?: string | null;
  tags?: Record<string, string> | null;
  deletionVector?: DeletionVectorDescriptor | null;
  baseRowId?: number | null;
  defaultRowCommitVersion?: number | null;
  [unknown: string]: unknown;
}

export interface AddCDCFile {
  path: string;
  partitionValues: Record<string, string | null>;
  size: number;
  dataChange: boolean;
  tags?: Record<string, string> | null;
  [unknown: string]: unknown;
}

export interface Txn {
  appId: string;
  version: number;
  lastUpdated?: number | null;
  [unknown: string]: unknown;
}

export interface CommitInfo {
  timestamp?: number;
  operation?: string;
  operationParameters?: Record<string, unknown>;
  operationMetrics?: Record<string, unknown>;
  engineInfo?: string;
  isBlindAppend?: boolean;
  readVersion?: number;
  isolationLevel?: string;
  txnId?: string;
  inCommitTimestamp?: number;
  [unknown: string]: unknown;
}

export interface DomainMetadata {
  domain: string;
  configuration: string;
  removed: boolean;
  [unknown: string]: unknown;
}

/** V2 checkpoint actions (PROTOCOL.md "V2 Checkpoint Spec"). */
export interface CheckpointMetadata {
  version: number;
  tags?: Record<string, string> | null;
  [unknown: string]: unknown;
}
export interface Sidecar {
  path: string;
  sizeInBytes: number;
  modificationTime: number;
  tags?: Record<string, string> | null;
  [unknown: string]: unknown;
}

/** One line of a commit file: exactly one of these keys is set. Unknown action keys are ignored by readers. */
export type Action =
  | { protocol: Protocol }
  | { metaData: Metadata }
  | { add: Add }
  | { remove: Remove }
  | { cdc: AddCDCFile }
  | { txn: Txn }
  | { commitInfo: CommitInfo }
  | { domainMetadata: DomainMetadata }
  | { checkpointMetadata: CheckpointMetadata }
  | { sidecar: Sidecar };

/** Key of the active-file map: (path, deletion vector unique id), PROTOCOL.md "Action Reconciliation". */
export function fileKey(a: { path: string; deletionVector?: DeletionVectorDescriptor | null }): string {
  const dv = a.deletionVector;
  if (!dv) return a.path;
  return `${a.path}\u0000${dv.storageType}${dv.pathOrInlineDv}${dv.offset != null ? `@${dv.offset}` : ''}`;
}
