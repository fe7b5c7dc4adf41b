// OPTIMIZE (bin-packing compaction): rewrite the small files of each partition into files near the target size.
// One commit, dataChange=false for removes and adds; rows are unchanged (deletion vectors are applied while rewriting).
import type { Action, Add } from '../../log/actions.js';
import type { Snapshot } from '../../log/snapshot.js';
import type { TransactionOptions } from '../../log/transaction.js';
import { DEFAULT_OPTIMIZE_TARGET_FILE_SIZE } from '../../log/table_properties.js';
import { InvalidArgumentError, UnsupportedFeatureError } from '../../errors.js';
import { exprToString, parsePredicate, referencedColumnPaths, resolveColumn, validateExpr, type Expr } from '../../expr/index.js';
import { fileMayMatch } from '../pruning.js';
import { writeDataFiles } from '../writer.js';
import type { ProgressCallback } from '../progress.js';
import { commitActions, deleteWritten, removeOf, storePathsOf } from './commit.js';
import { readFilesRows } from './rewrite.js';
import type { Committed } from './write.js';

export interface OptimizeOptions {
  /** Target size of the compacted files in bytes (default: delta.targetFileSize, else 100 MiB). */
  targetSize?: number;
  /** Only compact partitions matching this predicate, which may reference partition columns only. */
  where?: Expr | string;
  onProgress?: ProgressCallback;
}

export interface FileSizeStats {
  min: number;
  max: number;
  avg: number;
  totalFiles: number;
  totalSize: number;
}

/** Spark's OptimizeMetrics (the subset bin-packing produces). */
export interface OptimizeMetrics {
  numFilesAdded: number;
  numFilesRemoved: number;
  filesAdded: FileSizeStats;
  filesRemoved: FileSizeStats;
  partitionsOptimized: number;
  numBatches: number;
  totalConsideredFiles: number;
  totalFilesSkipped: number;
  numDeletionVectorsRemoved: number;
}

export interface OptimizeResult {
  /** Version of the OPTIMIZE commit; null when there was nothing to compact (no commit). */
  version: number | null;
  metrics: OptimizeMetrics;
}

function sizeStats(sizes: number[]): FileSizeStats {
  const totalSize = sizes.reduce((s, x) => s + x, 0);
  return {
    min: sizes.length ? Math.min(...sizes) : 0,
    max: sizes.length ? Math.max(...sizes) : 0,
    avg: sizes.length ? Math.round(totalSize / sizes.length) : 0,
    totalFiles: sizes.length,
    totalSize,
  };
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))]!;
}

/**
 * Group files into bins of at most `target` bytes (Spark's bin-packing: candidates sorted by size, greedy fill).
 * A bin of one file is dropped unless the file carries a deletion vector (rewriting it still purges deleted rows).
 */
export function binPack(files: Add[], target: number): Add[][] {
  const candidates = files.filter((f) => f.size < target || f.deletionVector).sort((a, b) => a.size - b.size);
  const bins: Add[][] = [];
  let current: Add[] = [];
  let size = 0;
  for (const f of candidates) {
    if (current.length > 0 && size + f.size > target) {
      bins.push(current);
      current = [];
      size = 0;
    }
    current.push(f);
    size += f.size;
  }
  if (current.length) bins.push(current);
  return bins.filter((b) => b.length > 1 || b[0]!.deletionVector);
}

/** Compact small files of `snapshot` (the latest version); see OptimizeOptions. */
export async function optimize(snapshot: Snapshot, options: OptimizeOptions = {}): Promise<Committed<OptimizeResult>> {
  const store = snapshot.store;
  const config = snapshot.config;
  const mode = config.columnMappingMode;
  if (mode !== 'none') {
    throw new UnsupportedFeatureError('columnMapping', 'writer', `OPTIMIZE of column-mapping (mode ${mode}) tables is not implemented`);
  }
  const target = options.targetSize ?? config.properties.targetFileSize ?? DEFAULT_OPTIMIZE_TARGET_FILE_SIZE;
  if (!Number.isFinite(target) || target <= 0) {
    throw new InvalidArgumentError(`optimize target size must be a positive number of bytes (got ${options.targetSize})`);
  }

  let where: Expr | undefined;
  if (options.where !== undefined) {
    where = typeof options.where === 'string' ? parsePredicate(options.where) : options.where;
    validateExpr(where, snapshot.schema);
    for (const path of referencedColumnPaths(where)) {
      const resolved = resolveColumn(snapshot.schema, path);
      const name = resolved?.path.join('.') ?? path.join('.');
      if (path.length !== 1 || !snapshot.partitionColumns.includes(name)) {
        throw new InvalidArgumentError(
          `optimize --where may reference partition columns only; '${path.join('.')}' is not one` +
            ` (partition columns: ${snapshot.partitionColumns.length ? snapshot.partitionColumns.join(', ') : 'none'})`,
        );
      }
    }
  }
  const considered = snapshot.activeFiles().filter((a) => !where || fileMayMatch(a, where, config));

  const byPartition = new Map<string, Add[]>();
  for (const a of considered) {
    const k = config.partitionKey(a.partitionValues);
    const list = byPartition.get(k);
    if (list) list.push(a);
    else byPartition.set(k, [a]);
  }
  const bins: Add[][] = [];
  let partitionsOptimized = 0;
  for (const files of byPartition.values()) {
    const b = binPack(files, target);
    if (b.length) partitionsOptimized++;
    bins.push(...b);
  }

  const removedFiles = bins.flat();
  const added: Add[] = [];
  const writeCtx = { schema: config.schema, partitionColumns: config.partitionColumns, properties: config.properties };
  let done = 0;
  options.onProgress?.({ phase: 'compacting', done, total: bins.length });
  try {
    for (const bin of bins) {
      const rows = await readFilesRows(snapshot, bin);
      const adds = await writeDataFiles(store, rows, writeCtx, { targetFileSize: target });
      added.push(...adds.map((a) => ({ ...a, dataChange: false })));
      options.onProgress?.({ phase: 'compacting', done: ++done, total: bins.length });
    }
  } catch (e) {
    await deleteWritten(snapshot, storePathsOf(snapshot, added));
    throw e;
  }

  const addedSizes = added.map((a) => a.size);
  const removedSizes = removedFiles.map((a) => a.size);
  const metrics: OptimizeMetrics = {
    numFilesAdded: added.length,
    numFilesRemoved: removedFiles.length,
    filesAdded: sizeStats(addedSizes),
    filesRemoved: sizeStats(removedSizes),
    partitionsOptimized,
    numBatches: bins.length,
    totalConsideredFiles: considered.length,
    totalFilesSkipped: considered.length - removedFiles.length,
    numDeletionVectorsRemoved: removedFiles.filter((f) => f.deletionVector).length,
  };
  if (bins.length === 0) return { result: { version: null, metrics }, snapshot };

  const now = Date.now();
  const actions: Action[] = [
    ...removedFiles.map((a) => ({ remove: removeOf(a, now, false) })),
    ...added.map((a) => ({ add: a })),
  ];
  const sortedAdded = [...addedSizes].sort((a, b) => a - b);
  const commitOptions: TransactionOptions = {
    operation: 'OPTIMIZE',
    operationParameters: {
      predicate: JSON.stringify(where ? [exprToString(where)] : []),
      zOrderBy: '[]',
    },
    // Spark's commitInfo metric names for OPTIMIZE.
    operationMetrics: {
      numRemovedFiles: removedFiles.length,
      numRemovedBytes: metrics.filesRemoved.totalSize,
      numAddedFiles: added.length,
      numAddedBytes: metrics.filesAdded.totalSize,
      minFileSize: metrics.filesAdded.min,
      p25FileSize: percentile(sortedAdded, 0.25),
      p50FileSize: percentile(sortedAdded, 0.5),
      p75FileSize: percentile(sortedAdded, 0.75),
      maxFileSize: metrics.filesAdded.max,
      numDeletionVectorsRemoved: metrics.numDeletionVectorsRemoved,
    },
    // A rewrite depends on the files it read: if a concurrent commit removed one, committing would resurrect rows.
    readFiles: removedFiles,
  };
  // A concurrent removal of a compacted file surfaces as ConcurrentDeleteReadError (conflicts.ts checks reads first);
  // the files written here are deleted unless the commit may have landed.
  const res = await commitActions(snapshot, actions, commitOptions, storePathsOf(snapshot, added));
  return { result: { version: res.version, metrics }, snapshot: res.snapshot };
}
