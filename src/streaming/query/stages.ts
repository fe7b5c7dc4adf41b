// The stateless stages of a streaming query (where, withColumn, select, withWatermark), compiled against the
// schema flowing into each one, and applied to a frame in the order the user wrote them. No state, no I/O.
import { ExpressionError, InvalidArgumentError } from '../../errors.js';
import type { Expr } from '../../expr/ast.js';
import { exprToString } from '../../expr/print.js';
import { fieldByName } from '../../expr/resolve.js';
import { TRUE } from '../../expr/literal_keys.js';
import { isTimestamp } from '../../expr/types.js';
import type { Vec } from '../../expr/vectors.js';
import type { Value } from '../../schema/access/get.js';
import type { StructField, StructType } from '../../schema/types.js';
import type { ReferenceTable } from './join.js';
import { eventTimes } from './columnar.js';
import { type Frame, type FrameExpr, compileOver, filterFrame, toExpr } from './frame.js';
import { type JoinOptions, compileJoin } from './join.js';

/** A select item: a column name, or output names mapped to expressions. */
export type SelectItem = string | Record<string, Expr | string>;

export type StageSpec =
  | { kind: 'where'; expr: Expr | string }
  | { kind: 'withColumn'; name: string; expr: Expr | string }
  | { kind: 'select'; items: SelectItem[] }
  | { kind: 'watermark'; column: string; delayMs: number }
  | { kind: 'join'; table: ReferenceTable | string; options: JoinOptions };

/** A compiled stage: its output schema and how it turns a frame into the next one. */
interface CompiledStage {
  out: StructType;
  apply(f: Frame, ctx: { maxEventUs: number | null }): Frame;
  /** Before each batch (a join re-reads its reference table when it has a new version). */
  refresh?(): Promise<void>;
}

/** The stages compiled in order; `schema` is what comes out of the last one. */
export interface Pipeline {
  schema: StructType;
  /** Event-time column named by withWatermark (as spelled in the schema), and its delay. */
  watermark?: { column: string; delayMs: number };
  /** Run the stages; `maxEventUs` is the newest event time seen at the withWatermark stage (null if none). */
  run(f: Frame): { frame: Frame; maxEventUs: number | null };
  /** Call before each batch's run. */
  refresh(): Promise<void>;
}

export function eventTimeColumn(schema: StructType, name: string, what: string): StructField {
  const f = fieldByName(schema, name);
  if (!f) throw new ExpressionError(`${what}: unknown column '${name}' (columns: ${schema.fields.map((x) => x.name).join(', ')})`);
  if (typeof f.type !== 'string' || !isTimestamp(f.type)) {
    throw new InvalidArgumentError(`${what}: the event-time column '${f.name}' must be a timestamp, but it is ${JSON.stringify(f.type)}`);
  }
  return f;
}

export function compilePipeline(input: StructType, specs: readonly StageSpec[]): Pipeline {
  let schema = input;
  const stages: CompiledStage[] = [];
  let watermark: Pipeline['watermark'];
  for (const s of specs) {
    const st = compileStage(schema, s);
    if (s.kind === 'watermark') {
      if (watermark) throw new InvalidArgumentError('withWatermark may be called once per query');
      watermark = { column: eventTimeColumn(schema, s.column, 'withWatermark').name, delayMs: s.delayMs };
    } else if (watermark && !fieldByName(st.out, watermark.column)) {
      throw new InvalidArgumentError(`the event-time column '${watermark.column}' of withWatermark must stay in the query's columns`);
    }
    stages.push(st);
    schema = st.out;
  }
  return {
    schema,
    watermark,
    async refresh() {
      for (const st of stages) await st.refresh?.();
    },
    run(f) {
      const ctx = { maxEventUs: null as number | null };
      for (const st of stages) f = st.apply(f, ctx);
      return { frame: f, maxEventUs: ctx.maxEventUs };
    },
  };
}

function compileStage(schema: StructType, s: StageSpec): CompiledStage {
  switch (s.kind) {
    case 'where': {
      const p = compileOver(s.expr, schema, 'where');
      if (p.type !== 'boolean') throw new ExpressionError(`where: a predicate must be boolean, but '${exprToString(p.expr)}' is ${JSON.stringify(p.type)}`);
      return {
        out: schema,
        apply(f) {
          const mask = new Uint8Array(f.numRows);
          const t = p.vector(f);
          if (t?.kind === 'truth') for (let i = 0; i < mask.length; i++) mask[i] = t.values[i] === TRUE ? 1 : 0;
          else {
            const v = p.evaluate(f);
            for (let i = 0; i < v.length; i++) mask[i] = v[i] === true ? 1 : 0;
          }
          return filterFrame(f, mask);
        },
      };
    }
    case 'withColumn': {
      if (typeof s.name !== 'string' || s.name === '') throw new InvalidArgumentError('withColumn needs a column name');
      const e = compileOver(s.expr, schema, `withColumn '${s.name}'`);
      const at = schema.fields.findIndex((f) => f.name.toLowerCase() === s.name.toLowerCase());
      const field: StructField = { name: s.name, type: e.type, nullable: true, metadata: {} };
      const fields = [...schema.fields];
      if (at >= 0) fields[at] = field;
      else fields.push(field);
      const out: StructType = { type: 'struct', fields };
      return {
        out,
        apply(f) {
          const columns: (number | Value[] | Vec)[] = f.schema.fields.map((_x, k) => k);
          const v = e.vector(f) ?? e.evaluate(f);
          if (at >= 0) columns[at] = v;
          else columns.push(v);
          return f.derive(out, columns);
        },
      };
    }
    case 'select': {
      const outs: { name: string; e: FrameExpr }[] = [];
      for (const item of s.items) {
        if (typeof item === 'string') {
          const fd = fieldByName(schema, item);
          if (!fd) throw new ExpressionError(`select: unknown column '${item}' (columns: ${schema.fields.map((x) => x.name).join(', ')})`);
          outs.push({ name: fd.name, e: compileOver({ kind: 'column', path: [fd.name] }, schema, 'select') });
        } else if (item && typeof item === 'object') {
          for (const [name, ex] of Object.entries(item)) outs.push({ name, e: compileOver(toExpr(ex), schema, `select '${name}'`) });
        } else throw new InvalidArgumentError(`select: expected column names or {name: expression} objects, got ${String(item)}`);
      }
      if (outs.length === 0) throw new InvalidArgumentError('select needs at least one column');
      const seen = new Set<string>();
      for (const o of outs) {
        if (seen.has(o.name.toLowerCase())) throw new InvalidArgumentError(`select: column '${o.name}' appears twice`);
        seen.add(o.name.toLowerCase());
      }
      const out: StructType = { type: 'struct', fields: outs.map((o) => ({ name: o.name, type: o.e.type, nullable: true, metadata: {} })) };
      // A plain column stays as read (the aggregation reads its Arrow data directly).
      return { out, apply: (f) => f.derive(out, outs.map((o) => o.e.columnIndex ?? o.e.vector(f) ?? o.e.evaluate(f))) };
    }
    case 'join': {
      if (typeof s.table === 'string') throw new Error('join: the reference table must be opened before compiling');
      return compileJoin(schema, s.table, s.options);
    }
    case 'watermark': {
      const fd = eventTimeColumn(schema, s.column, 'withWatermark');
      const i = schema.fields.indexOf(fd);
      return {
        out: schema,
        apply(f, ctx) {
          const times = eventTimes(f, i);
          let m = ctx.maxEventUs ?? -Infinity;
          for (let k = 0; k < times.length; k++) if (times[k]! > m) m = times[k]!; // NaN (null) never is
          ctx.maxEventUs = m === -Infinity ? null : m;
          return f;
        },
      };
    }
  }
}

export type { Value };
