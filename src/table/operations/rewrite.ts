// Read-files-then-rewrite, shared by the operations that replace rows inside existing files (replaceWhere, OPTIMIZE,
// and next DELETE / UPDATE / MERGE): find and read the files a predicate may touch, split their rows, write rows back.
import type { Table } from 'apache-arrow';
import type { Add } from '../../log/actions.js';
import type { Snapshot } from '../../log/snapshot.js';
import { evaluateMask, type Expr } from '../../expr/index.js';
import { filterRows } from '../../schema/access/take.js';
import { fileMayMatch } from '../pruning.js';
import { readDataFile } from '../read_file.js';
import { writeDataFiles, type DataFileOptions, type WriteContext } from '../writer.js';

export interface FilesSplit {
  /** Files that may hold matching rows (read): the commit depends on them (conflict detection). */
  readFiles: Add[];
  /** Files that do hold matching rows: they are removed by the commit. */
  touchedFiles: Add[];
  /** Rows of the touched files that do not match, to be written back. */
  keptRows: Table[];
  /** Number of matching rows in the touched files. */
  matchedRows: number;
}

/** Read every file of `snapshot` that may hold a row matching `predicate` and split its rows by it. */
export async function splitFilesByPredicate(snapshot: Snapshot, predicate: Expr): Promise<FilesSplit> {
  const config = snapshot.config;
  const out: FilesSplit = { readFiles: [], touchedFiles: [], keptRows: [], matchedRows: 0 };
  for (const add of snapshot.activeFiles()) {
    if (!fileMayMatch(add, predicate, config)) continue;
    out.readFiles.push(add);
    const rows = await readDataFile({ store: snapshot.store, add, config });
    const mask = evaluateMask(rows, predicate, config.schema);
    let matches = 0;
    for (let i = 0; i < mask.length; i++) matches += mask[i]!;
    if (matches === 0) continue;
    out.touchedFiles.push(add);
    out.matchedRows += matches;
    if (matches < rows.numRows) out.keptRows.push(filterRows(rows, mask.map((v) => (v ? 0 : 1))));
  }
  return out;
}

/** The rows of `files` (deletion vectors applied), as one table. */
export async function readFilesRows(snapshot: Snapshot, files: readonly Add[]): Promise<Table> {
  const parts: Table[] = [];
  for (const add of files) parts.push(await readDataFile({ store: snapshot.store, add, config: snapshot.config }));
  return parts.length === 1 ? parts[0]! : parts[0]!.concat(...parts.slice(1));
}

/** Write each table of rows as data files; the Add actions of all of them. */
export async function writeRows(snapshot: Snapshot, tables: readonly Table[], ctx: WriteContext, options: DataFileOptions = {}): Promise<Add[]> {
  const adds: Add[] = [];
  for (const t of tables) adds.push(...(await writeDataFiles(snapshot.store, t, ctx, options)));
  return adds;
}
