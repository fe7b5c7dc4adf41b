// TableConfiguration: the facts of one table version derived from its protocol + metaData, each computed here once:
// schema, typed properties, enabled features and write checks, column mapping, the commit-time rule. No I/O.
import { InvalidArgumentError } from '../errors.js';
import {
  partitionValueOf,
  physicalFieldName,
  physicalPath,
  physicalSchema,
  type ColumnMappingMode,
} from '../schema/column_mapping.js';
import { parseSchema } from '../schema/json.js';
import { canonicalPartitionValue } from '../schema/partition_values.js';
import type { StructField, StructType } from '../schema/types.js';
import type { Metadata, Protocol } from './actions.js';
import { assertReadable, assertWritable, hasFeature } from './features.js';
import { TableProperties } from './table_properties.js';

export class TableConfiguration {
  readonly schema: StructType;
  readonly partitionColumns: readonly string[];
  readonly properties: TableProperties;
  /** Schema fields of the partition columns, found on first use (partitionKey). */
  private partitionFields?: StructField[];

  constructor(
    readonly protocol: Protocol,
    readonly metadata: Metadata,
  ) {
    this.schema = parseSchema(metadata.schemaString);
    this.partitionColumns = [...metadata.partitionColumns];
    this.properties = new TableProperties(metadata.configuration ?? {});
  }

  // ---- features (PROTOCOL.md "Table Features") ------------------------------------------------------------

  /** Whether the protocol lists or implies `feature` (supported; see the `*Enabled` getters for enablement). */
  hasFeature(feature: string): boolean {
    return hasFeature(this.protocol, feature);
  }

  /** UnsupportedFeatureError naming the first reader feature deltats cannot read. */
  assertReadable(): void {
    assertReadable(this.protocol, this.metadata);
  }

  /**
   * Everything that must hold before deltats commits to this table (with this protocol and metaData): writer
   * features it honours, and properties that would oblige it to write what it cannot.
   */
  assertWritable(): void {
    assertWritable(this.protocol, this.metadata);
  }

  /**
   * Checks of one commit's content against this configuration. PROTOCOL.md "Append-only Tables": no remove with
   * dataChange=true when delta.appendOnly is true.
   */
  assertCommitAllowed(commit: { operation: string; removesData: boolean; tableUri: string }): void {
    if (commit.removesData && this.properties.appendOnly) {
      throw new InvalidArgumentError(
        `table ${commit.tableUri} is append-only (delta.appendOnly=true): '${commit.operation}' would remove data`,
      );
    }
  }

  /** PROTOCOL.md "V2 Checkpoint Table Feature": writers must not write classic checkpoints. */
  get requiresV2Checkpoints(): boolean {
    return this.hasFeature('v2Checkpoint') || this.properties.checkpointPolicy === 'v2';
  }

  /** Whether a checkpoint is due after committing `version` (every delta.checkpointInterval commits). */
  checkpointDue(version: number): boolean {
    return version > 0 && version % this.properties.checkpointInterval === 0;
  }

  /** PROTOCOL.md "Deletion Vectors": the feature is supported and delta.enableDeletionVectors is true. */
  get deletionVectorsEnabled(): boolean {
    return this.hasFeature('deletionVectors') && this.properties.enableDeletionVectors;
  }

  /** PROTOCOL.md "Change Data Files": delta.enableChangeDataFeed is true. */
  get changeDataFeedEnabled(): boolean {
    return this.properties.enableChangeDataFeed;
  }

  // ---- column mapping (PROTOCOL.md "Column Mapping") ------------------------------------------------------

  get columnMappingMode(): ColumnMappingMode {
    return this.properties.columnMappingMode;
  }

  /** Name of a field in data files, stats and partitionValues. */
  physicalName(field: Pick<StructField, 'name' | 'metadata'>): string {
    return physicalFieldName(field, this.columnMappingMode);
  }

  /** Physical path of a logical column path ('a', 'b' -> 'col-1', 'col-2'); null when the schema lacks it. */
  physicalPath(logicalPath: readonly string[]): string[] | null {
    return physicalPath(this.schema, logicalPath, this.columnMappingMode);
  }

  /** The schema as stored in data files (every nested field renamed to its physical name). */
  physicalSchema(): StructType {
    return physicalSchema(this.schema, this.columnMappingMode);
  }

  /** Serialized value of partition column `field` in an add's partitionValues (physical name first). */
  partitionValue(partitionValues: Record<string, string | null> | null | undefined, field: Pick<StructField, 'name' | 'metadata'>): string | null {
    return partitionValueOf(partitionValues, field, this.columnMappingMode);
  }

  /**
   * Identity of the partition of a file's partitionValues, for grouping files by partition: the value of each
   * partition column in canonical form (canonicalPartitionValue), so files whose writers spelled one value
   * differently ("1.0E20" / "100000000000000000000", "" / null) are one partition.
   */
  partitionKey(partitionValues: Record<string, string | null> | null | undefined): string {
    const fields = (this.partitionFields ??= this.partitionColumns.map((c) => {
      const f = this.schema.fields.find((x) => x.name === c) ?? this.schema.fields.find((x) => x.name.toLowerCase() === c.toLowerCase());
      return f ?? { name: c, type: 'string' as const, nullable: true, metadata: {} };
    }));
    return JSON.stringify(fields.map((f) => canonicalPartitionValue(this.partitionValue(partitionValues, f), f.type, f.name)));
  }

  // ---- commit time (PROTOCOL.md "In-Commit Timestamps") ---------------------------------------------------

  /**
   * Whether every commit must carry commitInfo.inCommitTimestamp (PROTOCOL.md "Writer Requirements for In-Commit
   * Timestamps"). The property decides, as for Spark's readers and writers; operations that set it add the writer
   * feature to the protocol (features.ts featuresEnabledBy).
   */
  get inCommitTimestampsEnabled(): boolean {
    return this.properties.enableInCommitTimestamps;
  }

  /** Whether commit `version` is timed by its commitInfo.inCommitTimestamp (from the enablement version on). */
  inCommitTimestampsAt(version: number): boolean {
    if (!this.inCommitTimestampsEnabled) return false;
    const since = this.properties.inCommitTimestampEnablementVersion;
    return since === undefined || version >= since;
  }

  /**
   * The commit time of `version`: its inCommitTimestamp from the enablement version on, else the commit file's
   * modification time (PROTOCOL.md "Recommendations for Readers of Tables with In-Commit Timestamps").
   */
  commitTimestamp(version: number, inCommitTimestamp: unknown, fileModificationTime: number): number {
    if (this.inCommitTimestampsAt(version) && typeof inCommitTimestamp === 'number') return inCommitTimestamp;
    return fileModificationTime;
  }
}
