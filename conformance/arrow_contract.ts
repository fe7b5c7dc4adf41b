// The canonical Arrow type of each Delta type (docs/ARCHITECTURE.md src/schema), checked on what a scan returns.
// Compares types only (not nullability, metadata or the map entries/list child names).
import * as arrow from 'apache-arrow';
import { toArrowType } from '../src/schema/arrow.js';
import type { DataType } from '../src/schema/types.js';

/** Describes how `got` differs from the canonical Arrow type of Delta type `t`, or null when it matches. */
export function arrowTypeDifference(t: DataType, got: arrow.DataType, path: string): string | null {
  return typeDifference(toArrowType(t), got, path);
}

function typeDifference(want: arrow.DataType, got: arrow.DataType, path: string): string | null {
  const bad = (): string => `column '${path}': expected Arrow ${String(want)}, got ${String(got)}`;
  if (want.typeId !== got.typeId) return bad();
  if (arrow.DataType.isInt(want) && arrow.DataType.isInt(got)) {
    return want.bitWidth === got.bitWidth && want.isSigned === got.isSigned ? null : bad();
  }
  if (arrow.DataType.isFloat(want) && arrow.DataType.isFloat(got)) return want.precision === got.precision ? null : bad();
  if (arrow.DataType.isDecimal(want) && arrow.DataType.isDecimal(got)) {
    return want.precision === got.precision && want.scale === got.scale && want.bitWidth === got.bitWidth ? null : bad();
  }
  if (arrow.DataType.isDate(want) && arrow.DataType.isDate(got)) return want.unit === got.unit ? null : bad();
  if (arrow.DataType.isTimestamp(want) && arrow.DataType.isTimestamp(got)) {
    return want.unit === got.unit && (want.timezone ?? null) === (got.timezone ?? null) ? null : bad();
  }
  if (arrow.DataType.isStruct(want) && arrow.DataType.isStruct(got)) {
    for (const wf of want.children) {
      const gf = got.children.find((c) => c.name === wf.name);
      if (!gf) return `column '${path}': struct lacks field '${wf.name}'`;
      const d = typeDifference(wf.type, gf.type, `${path}.${wf.name}`);
      if (d) return d;
    }
    if (got.children.length !== want.children.length) return bad();
    return null;
  }
  if ((arrow.DataType.isList(want) && arrow.DataType.isList(got)) || (arrow.DataType.isMap(want) && arrow.DataType.isMap(got))) {
    const w = want.children[0]!.type;
    const g = got.children[0]!.type;
    if (arrow.DataType.isMap(want)) {
      // entries struct {key, value}: compare the key and value types positionally.
      const [wk, wv] = (w as arrow.Struct).children;
      const [gk, gv] = (g as arrow.Struct).children;
      if (!gk || !gv) return bad();
      return typeDifference(wk!.type, gk.type, `${path}.key`) ?? typeDifference(wv!.type, gv.type, `${path}.value`);
    }
    return typeDifference(w, g, `${path}.element`);
  }
  return null;
}
