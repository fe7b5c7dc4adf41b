// Bounds of a run of rows inside one row group for the skipping evaluator (pruning.ts), from the Parquet page index
// (ColumnIndex per data page, OffsetIndex for the pages' rows): the row group is cut at every page boundary of the
// predicate's columns, so each column has ONE page over each fragment, and the evaluator judges fragments as it
// judges files and row groups. The rules are RowGroupBounds' (boundOf: float maxima bound only the values other
// than NaN, no bound from INT96, unsigned integers, undecodable values), plus: no string maxima (a ColumnIndex maximum may be truncated and
// has no exactness flag), bounds are never exact (the spec lets them be values absent from the page), a null page
// bounds nothing but its nulls, and a page's null count says something of a fragment only when it is 0. The
// boundary order is not used: every page is judged on its own. No I/O.
import type { Add } from '../log/actions.js';
import type { ColumnIndex, OffsetIndex, RowRange } from '../storage/parquet_page_index.js';
import type { Domain, Expr, ResolvedColumn } from '../expr/index.js';
import { type ColumnBounds, type PruningContext, mayMatch } from './pruning.js';
import { InFileBounds, boundOf, type RowGroupLeafResolver } from './row_group_bounds.js';

/** The page index of a predicate leaf (a ColumnIndex is only used with its chunk's OffsetIndex). */
export interface LeafPages {
  offset: OffsetIndex;
  column: ColumnIndex;
}

/** Bounds of the rows [start, end) of a row group, over which each leaf in `pages` has one page (`page`). */
export class PageBounds extends InFileBounds {
  constructor(
    add: Add,
    ctx: PruningContext,
    private readonly resolver: Pick<RowGroupLeafResolver, 'leafOf'>,
    /** Per leaf index: its page index and the page covering the fragment. */
    private readonly pages: ReadonlyMap<number, { index: LeafPages; page: number }>,
    private readonly rows: number,
  ) {
    super(add, ctx);
  }

  numRecords(): number {
    return this.rows;
  }

  column(r: ResolvedColumn, d: Domain): ColumnBounds | null {
    const leaf = this.resolver.leafOf(r);
    const at = leaf ? this.pages.get(leaf.index) : undefined;
    if (!leaf || !at) return null;
    const ci = at.index.column;
    const i = at.page;
    if (ci.nullPages[i]) return { nullCount: this.rows, exact: false };
    const b: ColumnBounds = { nullCount: ci.nullCounts?.[i] === 0 ? 0 : null, exact: false };
    const min = boundOf(leaf.node, ci.minValues[i]!, d, -1);
    const max = d.kind === 'string' ? undefined : boundOf(leaf.node, ci.maxValues[i]!, d, 1);
    if (min !== undefined) b.min = min;
    if (max !== undefined) b.max = max;
    // As for row groups: writers leave NaN out of a float page's min/max, so the page may hold NaN above max.
    if (leaf.node.type === 'FLOAT' || leaf.node.type === 'DOUBLE') b.nanAboveMax = true;
    return b;
  }
}

/**
 * The row ranges of a row group of `numRows` rows that may hold a row matching `filter`, judged page by page from
 * the page index of the predicate's leaves (`pages`, by leaf index; leaves without one bound nothing). Sorted,
 * disjoint, adjacent fragments merged; empty when no page may match.
 */
export function pageRangesMayMatch(
  add: Add,
  ctx: PruningContext,
  resolver: Pick<RowGroupLeafResolver, 'leafOf'>,
  pages: ReadonlyMap<number, LeafPages>,
  numRows: number,
  filter: Expr,
): RowRange[] {
  const cuts = new Set<number>([0, numRows]);
  for (const p of pages.values()) for (const loc of p.offset.pages) if (loc.firstRowIndex < numRows) cuts.add(loc.firstRowIndex);
  const ends = [...cuts].sort((a, b) => a - b);
  const cursor = new Map([...pages.keys()].map((leaf) => [leaf, 0]));
  const out: RowRange[] = [];
  for (let k = 0; k + 1 < ends.length; k++) {
    const start = ends[k]!;
    const end = ends[k + 1]!;
    const at = new Map<number, { index: LeafPages; page: number }>();
    for (const [leaf, index] of pages) {
      let p = cursor.get(leaf)!;
      while (p + 1 < index.offset.pages.length && index.offset.pages[p + 1]!.firstRowIndex <= start) p++;
      cursor.set(leaf, p);
      at.set(leaf, { index, page: p });
    }
    if (!mayMatch(new PageBounds(add, ctx, resolver, at, end - start), filter)) continue;
    const last = out[out.length - 1];
    if (last && last.end === start) last.end = end;
    else out.push({ start, end });
  }
  return out;
}
