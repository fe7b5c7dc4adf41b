// LocalStore's modification times are whole milliseconds truncated, as Spark (Java File.lastModified via Hadoop) and
// delta-rs read them: they time the commits before In-Commit Timestamps, so a rounded time moves time travel.
import { afterAll, describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { LocalStore } from '../../src/storage/local.js';
import { listAll } from '../../src/storage/store.js';
import { cleanupTempDirs, tempDir } from '../helpers/tmp.js';

afterAll(cleanupTempDirs);

describe('LocalStore modification times', () => {
  it('truncate the sub-millisecond part (head and list)', async () => {
    const dir = tempDir();
    const file = join(dir, 'a.json');
    writeFileSync(file, '{}');
    const store = new LocalStore(dir);
    // GNU touch sets nanoseconds exactly (utimes from JS goes through a float of seconds). Node's stats round both.
    for (const [at, ms] of [
      ['@1795960704.088700000', 1795960704088],
      ['@1795960704.088999999', 1795960704088],
      ['@1795960704.089000000', 1795960704089],
    ] as const) {
      execFileSync('touch', ['-m', '-d', at, file]);
      expect(statSync(file).mtime.getTime(), at).toBe(1795960704089); // what Node's stats say
      expect((await store.head('a.json'))!.lastModified.getTime(), at).toBe(ms);
      const listed = await listAll(store, '');
      expect(listed.map((m) => [m.path, m.size, m.lastModified.getTime()]), at).toEqual([['a.json', 2, ms]]);
    }
  });
});
