// Typed errors of deltats: each carries the facts a user needs to act (table, version, file, column, feature).
// Every error thrown across the public API is a DeltaError subclass; nothing here does I/O.

export class DeltaError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** The log or a file in it breaks PROTOCOL.md (malformed JSON line, missing required field, ...). */
export class ProtocolError extends DeltaError {
  constructor(
    message: string,
    readonly file?: string,
    readonly line?: number,
    options?: { cause?: unknown },
  ) {
    super(file ? `${message} (${file}${line !== undefined ? `, line ${line}` : ''})` : message, options);
  }
}

/** The table needs a reader/writer feature (or protocol version) deltats does not implement. */
export class UnsupportedFeatureError extends DeltaError {
  constructor(
    readonly feature: string,
    readonly kind: 'reader' | 'writer',
    detail?: string,
  ) {
    super(`table requires unsupported ${kind} feature '${feature}'${detail ? `: ${detail}` : ''}`);
  }
}

export class TableNotFoundError extends DeltaError {
  constructor(readonly uri: string) {
    super(`no Delta table at ${uri} (no _delta_log commits found)`);
  }
}

export class TableExistsError extends DeltaError {
  constructor(readonly uri: string) {
    super(`a Delta table already exists at ${uri}`);
  }
}

/** Time travel to a version/timestamp the log cannot reconstruct. */
export class VersionNotFoundError extends DeltaError {
  constructor(message: string, readonly version?: number) {
    super(message);
  }
}

/** Data does not fit the table schema; nothing was written. */
export class SchemaMismatchError extends DeltaError {
  constructor(
    message: string,
    readonly column?: string,
    /** The offending row (for streamed input: counted from the start of the stream). */
    readonly row?: number,
    /** For streamed input: the 0-based index of the chunk (batch, table or array of objects) that holds it. */
    readonly batch?: number,
  ) {
    super(message);
  }
}

/** A data file referenced by the log is missing (e.g. vacuumed). */
export class DataFileNotFoundError extends DeltaError {
  constructor(readonly path: string, detail?: string) {
    super(`data file ${path} referenced by the log is missing${detail ? `: ${detail}` : ''}`);
  }
}

/** Storage failure with the store location named (bucket/key or path). */
export class StorageError extends DeltaError {
  /** True when the store knows a failed write left nothing behind (so a failed commit write did not land). */
  readonly notWritten: boolean;
  constructor(message: string, readonly location?: string, options?: { cause?: unknown; notWritten?: boolean }) {
    super(location ? `${message}: ${location}` : message, options);
    this.notWritten = options?.notWritten ?? false;
  }
}

/** A Parquet worker thread died (crashed, ran out of memory, was terminated) while it held a task; a fresh one replaces it. */
export class ParquetWorkerError extends DeltaError {
  constructor(message: string, readonly file?: string, options?: { cause?: unknown }) {
    super(file ? `${message} (${file})` : message, options);
  }
}

export class NotFoundError extends StorageError {
  constructor(location: string) {
    super('not found', location);
  }
}

/** Bad argument from the caller (malformed predicate, option out of range, ...). */
export class InvalidArgumentError extends DeltaError {}

/**
 * A bad expression (syntax, unknown column, type mismatch) or a value it cannot compute (integer overflow).
 * `position` is the 1-based character offset of the offending token in `expression` when it came from SQL text.
 */
export class ExpressionError extends InvalidArgumentError {
  constructor(
    message: string,
    readonly expression?: string,
    readonly position?: number,
  ) {
    super(message);
  }
}

/** Integer / decimal arithmetic or a cast overflowed its result type (never wrapped or saturated silently). */
export class ArithmeticOverflowError extends ExpressionError {}

/**
 * MERGE found several source rows matching one target row while a matched clause could modify it (Spark's rule:
 * the result would depend on which source row wins). Nothing was written.
 */
export class MergeCardinalityError extends InvalidArgumentError {
  constructor(
    message: string,
    /** Number of target rows matched by more than one source row. */
    readonly targetRows: number,
  ) {
    super(message);
  }
}

/**
 * A table property (metaData.configuration) holds a value deltats cannot read as its type; names the property.
 * An InvalidArgumentError: set by create(), or by a writer that broke PROTOCOL.md's map of strings.
 */
export class InvalidTablePropertyError extends InvalidArgumentError {
  constructor(
    readonly property: string,
    readonly value: unknown,
    expected: string,
  ) {
    const shown = typeof value === 'string' ? `'${value}'` : `${JSON.stringify(value) ?? String(value)} (${value === null ? 'null' : typeof value})`;
    super(`table property ${property} = ${shown} is not ${expected}`);
  }
}

/** Base of the optimistic-concurrency conflicts (PROTOCOL.md does not define these; they follow Delta/Spark's names). */
export class ConcurrentModificationError extends DeltaError {
  constructor(message: string, readonly winningVersion?: number) {
    super(message);
  }
}
/** A concurrent commit added files this (read-dependent) transaction would have read. */
export class ConcurrentAppendError extends ConcurrentModificationError {}
/** A concurrent commit removed a file this transaction read. */
export class ConcurrentDeleteReadError extends ConcurrentModificationError {}
/** A concurrent commit removed a file this transaction also removes. */
export class ConcurrentDeleteDeleteError extends ConcurrentModificationError {}
/** A concurrent commit changed metaData. */
export class MetadataChangedError extends ConcurrentModificationError {}
/** A concurrent commit changed the protocol. */
export class ProtocolChangedError extends ConcurrentModificationError {}
/** A concurrent commit carried a txn for the same appId. */
export class ConcurrentTransactionError extends ConcurrentModificationError {}
/** Retries were exhausted while other writers kept winning. */
export class CommitFailedError extends ConcurrentModificationError {}

/**
 * The commit request failed in a way that may still have written it (response lost, retries exhausted) and the log
 * could not tell: the commit may have landed. Retrying blindly could apply it twice; look for `txnId` in the history.
 * Its data files are left in place (vacuum removes them when nothing references them).
 */
export class CommitOutcomeUnknownError extends DeltaError {
  constructor(
    readonly table: string,
    readonly version: number,
    readonly txnId: string,
    detail: string,
    options?: { cause?: unknown },
  ) {
    super(
      `the outcome of the commit of version ${version} to ${table} is unknown (${detail}); it may have landed: ` +
        `look for commitInfo.txnId ${txnId} in the table history before retrying`,
      options,
    );
  }
}

/** The table at this location is not the one a handle read (deleted and re-created, or its log rewritten). */
export class TableChangedError extends DeltaError {
  constructor(
    readonly table: string,
    readonly version: number,
    detail: string,
  ) {
    super(
      `the table at ${table} changed under this handle: ${detail} (it was read at version ${version}; deleted and ` +
        `re-created?); nothing was committed, open the table again`,
    );
  }
}

/** A streaming source met a commit it cannot turn into appended rows (data change, schema change); names the version. */
export class StreamSourceChangedError extends DeltaError {
  constructor(message: string, readonly version: number) {
    super(message);
  }
}

/** A streaming checkpoint location is in use by another query, or belongs to a different query. */
export class StreamCheckpointError extends DeltaError {
  constructor(
    message: string,
    readonly batchId?: number,
    /** The checkpoint file at fault, when one is. */
    readonly file?: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}
