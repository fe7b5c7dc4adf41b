// Column resolution, decided once for projection, filters, pruning, the writer and the expression engine:
// names match exactly first, then case-insensitively (as Spark does); `a.b` is struct field b of column a, or
// column b of the relation named a when the scope has named relations (`t.id`, `s.id` in a join or merge).
import { ExpressionError } from '../errors.js';
import { fieldByNameCaseInsensitive, isStruct } from '../schema/json.js';
import type { DataType, StructField, StructType } from '../schema/types.js';

export interface ResolvedColumn {
  /** Actual field names along the path (exact schema spelling). */
  path: string[];
  /** The fields along the path (last = the referenced column). */
  fields: StructField[];
  type: DataType;
}

/** A field of a struct by name: exact first, then case-insensitive. */
export function fieldByName(fields: StructType, name: string): StructField | undefined {
  return fields.fields.find((x) => x.name === name) ?? fieldByNameCaseInsensitive(fields, name);
}

/** Find a (nested) column of `schema` by name parts; null when absent. */
export function resolveColumn(schema: StructType, path: readonly string[]): ResolvedColumn | null {
  let cur: StructType = schema;
  const fields: StructField[] = [];
  for (let i = 0; i < path.length; i++) {
    const f = fieldByName(cur, path[i]!);
    if (!f) return null;
    fields.push(f);
    if (i < path.length - 1) {
      if (!isStruct(f.type)) return null;
      cur = f.type;
    }
  }
  const last = fields[fields.length - 1]!;
  return { path: fields.map((f) => f.name), fields, type: last.type };
}

/** The relations an expression can reference: one unnamed relation (a table) or several named ones. */
export interface Relation {
  /** Qualifier (`t` in `t.id`); undefined for the single relation of a plain filter. */
  name?: string;
  schema: StructType;
}

export interface ResolvedRef extends ResolvedColumn {
  /** Index of the relation in the scope. */
  relation: number;
}

/**
 * Resolve a column reference in a scope: a leading part naming a relation (case-insensitive) qualifies it;
 * otherwise the path must resolve in exactly one relation. Null when it resolves nowhere; ExpressionError when it
 * is ambiguous.
 */
export function resolveRef(scope: readonly Relation[], path: readonly string[]): ResolvedRef | null {
  if (path.length > 1) {
    const q = path[0]!.toLowerCase();
    const rel = scope.findIndex((r) => r.name !== undefined && r.name.toLowerCase() === q);
    if (rel >= 0) {
      const r = resolveColumn(scope[rel]!.schema, path.slice(1));
      if (r) return { ...r, relation: rel };
    }
  }
  const found: ResolvedRef[] = [];
  scope.forEach((rel, i) => {
    const r = resolveColumn(rel.schema, path);
    if (r) found.push({ ...r, relation: i });
  });
  if (found.length > 1) {
    const names = found.map((f) => `${scope[f.relation]!.name ?? '?'}.${f.path.join('.')}`).join(', ');
    throw new ExpressionError(`column reference '${path.join('.')}' is ambiguous: it could be ${names}`);
  }
  return found[0] ?? null;
}
