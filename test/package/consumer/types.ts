// Consumer type test, compiled with `tsc --noEmit` in strict mode by test/package/run.ts against the installed
// package: the public types must resolve through the package's `exports` and be usable without `any`.
import { DeltaTable, col, lit, and, parseSchema, DeltaError, TableNotFoundError } from 'deltats';
import type { CommitResult, CreateOptions, Expr, StructType, ScanOptions, WriteOptions, HistoryEntry } from 'deltats';

const schema: StructType = {
  type: 'struct',
  fields: [
    { name: 'id', type: 'long', nullable: false, metadata: {} },
    { name: 'amount', type: 'decimal(10,2)', nullable: true, metadata: {} },
  ],
};
const options: CreateOptions = { schema, partitionBy: [] };
const filter: Expr = and(col('id').gt(lit(1n)), col('amount').isNotNull());
const scanOptions: ScanOptions = { columns: ['id'], filter };
const writeOptions: WriteOptions = { schemaMode: 'merge' };

export async function roundTrip(uri: string): Promise<number> {
  const table: DeltaTable = await DeltaTable.create(uri, options);
  const res: CommitResult = await table.append([{ id: 2n, amount: '1.50' }], writeOptions);
  const rows: Record<string, unknown>[] = await table.scan(scanOptions).toArray();
  const history: HistoryEntry[] = await table.history();
  const parsed: StructType = parseSchema(JSON.stringify(schema));
  return res.version + rows.length + history.length + parsed.fields.length;
}

export function describeError(e: unknown): string {
  if (e instanceof TableNotFoundError) return `missing: ${e.message}`;
  if (e instanceof DeltaError) return `delta: ${e.message}`;
  return String(e);
}
