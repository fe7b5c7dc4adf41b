// Child process for DML concurrency tests: runs one DELETE or UPDATE on a table, holding its commit until every
// worker of the race has read the table and is about to commit (a barrier of marker files), then prints the outcome.
// Usage: node --import tsx dml_worker.ts <dir> <barrierDir> <workers> <id> <json {op, where, set}>
import { existsSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DeltaTable, LocalStore } from '../../../src/index.js';

const [dir, barrier, workers, id, spec] = process.argv.slice(2) as [string, string, string, string, string];
const { op, where, set } = JSON.parse(spec) as { op: 'delete' | 'update'; where: string; set?: Record<string, string> };
const store = new LocalStore(dir);
const held = Object.create(store) as LocalStore;
let waited = false;
held.putIfAbsent = async (path: string, data: Uint8Array): Promise<boolean> => {
  if (!waited && path.startsWith('_delta_log/') && path.endsWith('.json')) {
    waited = true;
    writeFileSync(join(barrier, `ready-${id}`), '');
    const deadline = Date.now() + 30_000;
    while (readdirSync(barrier).filter((f) => f.startsWith('ready-')).length < Number(workers) && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 20));
    }
    if (existsSync(join(barrier, 'stagger')) && id !== '0') await new Promise((r) => setTimeout(r, 300));
  }
  return store.putIfAbsent(path, data);
};
try {
  const t = await DeltaTable.openStore(held);
  const res = op === 'delete' ? await t.delete(where) : await t.update({ where, set: set! });
  process.stdout.write(JSON.stringify({ ok: true, version: res.version }));
} catch (e) {
  process.stdout.write(JSON.stringify({ ok: false, error: (e as Error).name, message: (e as Error).message }));
}
