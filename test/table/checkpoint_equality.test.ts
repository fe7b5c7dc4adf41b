// A snapshot loaded from checkpoints equals the snapshot from full JSON replay, at every version of a 35-commit table.
import { afterAll, describe, expect, it } from 'vitest';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { DeltaTable, LocalStore, Snapshot, type StructType } from '../../src/index.js';
import { cleanupTempDirs, tempDir } from '../helpers/tmp.js';

afterAll(cleanupTempDirs);

const dropNulls = (o: object) => Object.fromEntries(Object.entries(o).filter(([, v]) => v !== null && v !== undefined));

describe('checkpoints', () => {
  it('replay from checkpoint == JSON-only replay at every version of a 35-commit table', async () => {
    const dir = tempDir();
    const schema: StructType = {
      type: 'struct',
      fields: [
        { name: 'k', type: 'string', nullable: true, metadata: {} },
        { name: 'v', type: 'long', nullable: true, metadata: {} },
      ],
    };
    const t = await DeltaTable.create(dir, { schema, partitionBy: ['k'], properties: { 'delta.checkpointInterval': '5' } });
    for (let i = 1; i <= 35; i++) {
      if (i % 7 === 0) await t.overwrite([{ k: `p${i % 3}`, v: BigInt(i) }], { replaceWhere: `k = 'p${i % 3}'` });
      else await t.append([{ k: `p${i % 3}`, v: BigInt(i) }], i % 11 === 0 ? { txn: { appId: 'app', version: i } } : {});
    }
    expect(t.version).toBe(35);
    const cps = readdirSync(join(dir, '_delta_log')).filter((f) => f.endsWith('.checkpoint.parquet'));
    expect(cps).toHaveLength(7);
    const store = new LocalStore(dir);
    const norm = (s: Snapshot) => ({
      version: s.version,
      protocol: s.protocol,
      // null and absent optional fields mean the same (a checkpoint's null struct fields come back absent)
      metadata: dropNulls(s.metadata),
      files: s
        .activeFiles()
        .map((a) => ({ path: a.path, size: a.size, partitionValues: a.partitionValues, stats: a.stats ? JSON.parse(a.stats) : null }))
        .sort((a, b) => (a.path < b.path ? -1 : 1)),
      tombstones: s.tombstones().map((r) => r.path).sort(),
      txn: s.txnVersion('app') ?? null,
    });
    for (let v = 0; v <= 35; v++) {
      const fromCheckpoint = await Snapshot.load(store, { version: v });
      const fromJson = await Snapshot.load(store, { version: v, ignoreCheckpoints: true });
      expect(norm(fromCheckpoint), `version ${v}`).toEqual(norm(fromJson));
      if (v >= 5) expect(fromCheckpoint.logSegment.checkpoint?.version, `version ${v}`).toBe(Math.floor(v / 5) * 5);
    }
    expect((await Snapshot.load(store)).txnVersion('app')).toBe(33);
  });
});
