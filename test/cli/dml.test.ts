// `deltats delete | update | merge | changes` as a user runs them (real child processes), against tables read back.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { DeltaTable } from '../../src/index.js';
import { cleanupTempDirs, tempDir } from '../helpers/tmp.js';
import { cli, ok, okJson } from './run.js';

afterAll(cleanupTempDirs);

describe('deltats delete / update / merge / changes', () => {
  it('run DML from the command line; bad input exits 1 with a clear message and writes nothing', async () => {
    const dir = tempDir('cli-dml-');
    const t = await DeltaTable.create(dir, {
      schema: {
        type: 'struct',
        fields: [
          { name: 'id', type: 'long', nullable: true, metadata: {} },
          { name: 'name', type: 'string', nullable: true, metadata: {} },
          { name: 'score', type: 'double', nullable: true, metadata: {} },
        ],
      },
      properties: { 'delta.enableChangeDataFeed': 'true' },
    });
    await t.append([{ id: 1n, name: 'a', score: 1 }, { id: 2n, name: 'b', score: 2 }, { id: 3n, name: 'c', score: 3 }]);

    const del = await okJson<{ version: number; metrics: { numDeletedRows: number } }>(['delete', dir, '--where', 'id = 3']);
    expect(del).toMatchObject({ version: 2, metrics: { numDeletedRows: 1 } });
    expect(await ok(['update', dir, '--set', 'score=score * 10', '--set', "name='x'", '--where', 'id = 2'])).toMatch(/Updated 1 row\(s\).*version 3/);

    const csv = join(dir, '..', `src-${Date.now()}.csv`);
    writeFileSync(csv, 'id,name,score,gone\n1,A,100,false\n2,,0,true\n9,new,9,false\n');
    const merged = await okJson<{ version: number; metrics: Record<string, number> }>([
      'merge', dir, csv, '--on', 't.id = s.id', '--delete-when', 's.gone', '--update-all', '--insert-all',
    ]);
    expect(merged.metrics).toMatchObject({ numSourceRows: 3, numTargetRowsInserted: 1, numTargetRowsUpdated: 1, numTargetRowsDeleted: 1 });
    const rows = (await (await DeltaTable.open(dir)).scan().toArray()).map((r) => `${r.id}:${r.name}:${r.score}`).sort();
    expect(rows).toEqual(['1:A:100', '9:new:9']);

    const lines = (await ok(['changes', dir, '--from', '2', '--json'])).trim().split('\n').map((l) => JSON.parse(l));
    expect(lines.map((r) => `${r._change_type}:${r.id}:${r._commit_version}`).sort()).toEqual([
      'delete:2:4',
      'delete:3:2',
      'insert:9:4',
      'update_postimage:1:4',
      'update_postimage:2:3',
      'update_preimage:1:4',
      'update_preimage:2:3',
    ]);
    expect(await ok(['changes', dir, '--from', '2', '--to', '2'])).toMatch(/delete[\s\S]*\(1 change\)/);

    const bad = await cli(['update', dir, '--set', 'nope=1']);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/unknown column 'nope'/);
    const dup = join(dir, '..', `dup-${Date.now()}.jsonl`);
    writeFileSync(dup, '{"id": 1, "name": "p", "score": 5}\n{"id": 1, "name": "q", "score": 6}\n');
    const d = await cli(['merge', dir, dup, '--on', 't.id = s.id', '--update-all']);
    expect(d.code).toBe(1);
    expect(d.stderr).toMatch(/matched more than one source row/);
    const d2 = await cli(['delete', dir]);
    expect(d2.code).toBe(1);
    expect(d2.stderr).toMatch(/--where PRED, or --all/);
    expect((await DeltaTable.open(dir)).version).toBe(4);
  });
});
