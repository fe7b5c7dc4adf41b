// Public API of deltats: everything a user imports comes from here; other modules are internal.
export { DeltaTable, vacuum, restore, optimize } from './delta_table.js';
export type { CreateOptions, HandleOptions, OpenOptions, WriteOptions, OverwriteOptions, CommitResult, WriteData, WriteChunk, WriteStream } from './delta_table.js';
export { Scan } from './table/scan.js';
export { MergeBuilder } from './table/operations/merge.js';
export { TableChanges } from './table/changes.js';
export type { ChangesOptions, ChangeType } from './table/changes.js';
export { ChangeFeedSource } from './streaming/change_feed_source.js';
export type { ChangeFeedSourceOptions, ChangeFeedOffset } from './streaming/change_feed_source.js';
export type { ChangeFeedStreamOptions } from './delta_table.js';
export type { MergeOptions, MergeSource, MergeMetrics, MergeClause } from './table/operations/merge.js';
export type { DeleteMetrics } from './table/operations/delete.js';
export type { UpdateMetrics, UpdateSpec } from './table/operations/update.js';
export type { DmlOptions, DmlResult } from './table/operations/dml_files.js';
export { encodeRoaringBitmapArray } from './log/deletion_vector_write.js';
export type { ScanOptions } from './table/scan.js';

// Expressions (filters, replaceWhere, and the engine DML and streaming queries build on)
export {
  col,
  lit,
  and,
  or,
  not,
  when,
  call,
  fn,
  interval,
  dateLit,
  timestampLit,
  parsePredicate,
  parseExpression,
  exprToString,
  compileExpression,
  compilePredicate,
  CompiledExpression,
  referencedColumns,
  resolveColumn,
  resolveRef,
} from './expr/index.js';
export type {
  Expr,
  Literal,
  ColumnRef,
  ExprInput,
  ExprNode,
  LiteralValue,
  Relation,
  ResolvedColumn,
  ResolvedRef,
  Scope,
  ScopeInput,
  SqlType,
} from './expr/index.js';

// Maintenance
export type { VacuumOptions, VacuumResult } from './table/operations/vacuum.js';
export type { RestoreTarget, RestoreResult, RestoreMetrics } from './table/operations/restore.js';
export type { SetPropertiesResult } from './table/operations/properties.js';
export type { OptimizeOptions, OptimizeResult, OptimizeMetrics, FileSizeStats } from './table/operations/optimize.js';
export { describe as describeTable } from './table/describe.js';
export type { TableDescription } from './table/describe.js';
export type { ProgressCallback, ProgressEvent } from './table/progress.js';

// Log
export { Snapshot } from './log/snapshot.js';
export { TableConfiguration } from './log/table_configuration.js';
export { TableProperties, TABLE_PROPERTIES } from './log/table_properties.js';
export type { TablePropertyName } from './log/table_properties.js';
export { Transaction } from './log/transaction.js';
export type { TransactionOptions } from './log/transaction.js';
export { readHistory } from './log/history.js';
export type { HistoryEntry } from './log/history.js';
export { writeCheckpoint } from './log/checkpoint_write.js';
export type { CheckpointWriteResult } from './log/checkpoint_write.js';
export { decodeAddPath } from './log/paths.js';
export { assertReadable, assertWritable } from './log/features.js';
export type * from './log/actions.js';

// Schema
export type * from './schema/types.js';
export { parseSchema, serializeSchema } from './schema/json.js';
// Delta type names: 'decimal(10,2)' <-> { precision, scale }, and any type as Spark's simple string ('array<long>').
export { decimalParams, decimalType, typeToString } from './schema/json.js';
export { toArrowSchema, fromArrowSchema } from './schema/arrow.js';
export { objectsToArrow } from './schema/objects.js';
// The text forms objectsToArrow accepts, checked up front (CSV/JSON import): date text -> days since epoch,
// timestamp text -> microseconds since epoch (UTC), decimal -> unscaled bigint (or a reason string); null if not one.
export { parseDateString, parseTimestampString, toUnscaledDecimal } from './schema/objects.js';
// Rows of an Arrow table (a scan's batches) as exact, JSON-safe values by Delta type, as `deltats cat` prints them.
export { plainRows } from './schema/plain_rows.js';
export type { Plain } from './schema/plain_rows.js';

// Storage
// A Parquet file's bytes as an Arrow table (INT96 timestamps fixed up), as `deltats import` reads one.
export { readParquet } from './storage/parquet.js';
export type { ObjectStore, ObjectMeta, ListOptions } from './storage/store.js';
export { LocalStore } from './storage/local.js';
export { S3Store } from './storage/s3.js';
export { openStore, registerStore } from './storage/registry.js';
export type { StorageOptions, StoreFactory } from './storage/registry.js';

// Streaming
export { DeltaSource } from './streaming/source.js';
export type { DeltaSourceOptions, DeltaSourceOffset } from './streaming/source.js';
export { DeltaSink } from './streaming/sink.js';
export type { DeltaSinkOptions } from './streaming/sink.js';
export { runStream } from './streaming/runner.js';
export type { RunStreamOptions, StreamRunResult, StreamProgress, Trigger } from './streaming/runner.js';
export { JsonDirSource } from './streaming/json_dir_source.js';
export { IterableSource } from './streaming/iterable_source.js';
export type { StreamSource, StreamSink, StatefulStage, StageMetrics } from './streaming/types.js';
// Perpetual queries: windows, aggregates, the query builder on table.stream(...)
export { StreamQuery, GroupedStream } from './streaming/query/query.js';
export type { WriteToOptions, WatermarkOptions } from './streaming/query/query.js';
export { tumblingWindow, hoppingWindow, sessionWindow, snapshotWindow } from './streaming/query/window.js';
export type { WindowSpec } from './streaming/query/window.js';
export { count, sum, avg, min, max, first, last, countDistinct } from './streaming/query/aggregate.js';
export type { AggSpec, AggFunction } from './streaming/query/aggregate.js';
export type { OutputMode } from './streaming/query/aggregation.js';
export type { Duration } from './streaming/query/duration.js';
export type { SelectItem } from './streaming/query/stages.js';
export type { JoinOptions } from './streaming/query/join.js';
// A stream job as `deltats stream` runs it: a JSON job (StreamJob) or a module's export (defineStreamJob) ->
// { query, sink, options } for query.writeTo(sink, options).
export { defineStreamJob, jobQuery, jobDefinition } from './streaming/query/job.js';
export type { StreamJob, StreamJobDefinition, StreamJobExport } from './streaming/query/job.js';

export * from './errors.js';
export { DELTATS_VERSION } from './version.js';
