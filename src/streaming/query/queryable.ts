// The query-builder methods of a stream source (DeltaSource, ChangeFeedSource): each starts a StreamQuery over the
// source (query.ts), so every queryable source offers the same builder. No state, no I/O.
import type * as arrow from 'apache-arrow';
import type { Expr } from '../../expr/ast.js';
import type { StreamRunResult } from '../runner.js';
import type { JsonValue, ReadLimits, StreamSource } from '../types.js';
import type { Duration } from './duration.js';
import type { JoinOptions, ReferenceTable } from './join.js';
import { type GroupedStream, StreamQuery, type WatermarkOptions, type WriteToOptions } from './query.js';
import type { SelectItem } from './stages.js';
import type { WindowSpec } from './window.js';

export abstract class QueryableSource<O extends JsonValue> implements StreamSource<O> {
  abstract readonly description: string;
  abstract latestOffset(start: O | null, limits?: ReadLimits): Promise<O | null>;
  abstract getBatch(start: O | null, end: O): Promise<arrow.Table>;
  /** The schema of the rows the source emits (what the query's stages are checked against). */
  abstract schema(): Promise<arrow.Schema>;

  private query(): StreamQuery {
    return new StreamQuery({ source: this, stages: [] });
  }
  /** Event-time column and allowed lateness (Spark's withWatermark). */
  withWatermark(column: string, delay: Duration, options?: WatermarkOptions): StreamQuery {
    return this.query().withWatermark(column, delay, options);
  }
  where(predicate: string | Expr): StreamQuery {
    return this.query().where(predicate);
  }
  select(...items: SelectItem[]): StreamQuery {
    return this.query().select(...items);
  }
  withColumn(name: string, expr: string | Expr): StreamQuery {
    return this.query().withColumn(name, expr);
  }
  join(reference: ReferenceTable | string, options: JoinOptions): StreamQuery {
    return this.query().join(reference, options);
  }
  groupBy(...items: (WindowSpec | string | Expr)[]): GroupedStream {
    return this.query().groupBy(...items);
  }
  /** Copy the stream's rows into the Delta table at `uri`, exactly once. */
  writeTo(uri: string, options: WriteToOptions): Promise<StreamRunResult> {
    return this.query().writeTo(uri, options);
  }
}
