// A failing network under a Delta table on S3 (issue 11 items 4 and 5): a silent endpoint fails within the
// configured timeouts, and a commit whose response is lost is resolved from the log instead of reported as failed.
import { afterEach, describe, expect, it } from 'vitest';
import * as net from 'node:net';
import type { AddressInfo } from 'node:net';
import { CommitOutcomeUnknownError, InvalidArgumentError, StorageError } from '../../src/errors.js';
import { DeltaTable } from '../../src/delta_table.js';
import { resolveS3Settings } from '../../src/storage/s3.js';
import type { StructType } from '../../src/schema/types.js';
import { startHttpProxy, type Proxy } from './proxies.js';
import { freshS3Uri, s3Env, s3Options } from './s3_env.js';

const s3 = s3Env();
const closers: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const c of closers.splice(0)) await c();
});

const schema: StructType = { type: 'struct', fields: [{ name: 'id', type: 'long', nullable: true, metadata: {} }] };
const ids = (from: number, n: number): Array<{ id: bigint }> => Array.from({ length: n }, (_, i) => ({ id: BigInt(from + i) }));

/** A TCP server on 127.0.0.1 that accepts connections and never answers. */
async function silentServer(): Promise<string> {
  const sockets = new Set<net.Socket>();
  const server = net.createServer((s) => {
    sockets.add(s);
    s.on('error', () => undefined);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  closers.push(
    () =>
      new Promise<void>((r) => {
        for (const s of sockets) s.destroy();
        server.close(() => r());
      }),
  );
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

describe('S3 timeouts (item 4)', () => {
  it('timeouts are storage options (milliseconds or durations), with bounded defaults', () => {
    const d = resolveS3Settings({}, {});
    expect(d.connectTimeout).toBeGreaterThan(0);
    expect(d.requestTimeout).toBeGreaterThan(0);
    expect(resolveS3Settings({ requestTimeout: '2s', connectTimeout: 250 }, {})).toMatchObject({ requestTimeout: 2000, connectTimeout: 250 });
    expect(resolveS3Settings({ timeout: '1.5m', connect_timeout: '500ms' } as never, {})).toMatchObject({ requestTimeout: 90_000, connectTimeout: 500 });
    expect(() => resolveS3Settings({ requestTimeout: 'soon' }, {})).toThrow(InvalidArgumentError);
    expect(() => resolveS3Settings({ requestTimeout: 0 }, {})).toThrow(/positive duration/);
  });

  it('opening a table on an endpoint that accepts connections but never answers fails within the request timeout', async () => {
    const endpoint = await silentServer();
    const started = Date.now();
    const err = await DeltaTable.open('s3://bucket/silent', {
      storageOptions: { endpoint, region: 'us-east-1', accessKeyId: 'k', secretAccessKey: 's', maxRetries: 1, requestTimeout: 300 },
    }).catch((e: unknown) => e);
    const took = Date.now() - started;
    expect(err).toBeInstanceOf(StorageError);
    expect(String(err)).toMatch(/after 2 attempts.*(timeout|timed out)/i);
    expect(took).toBeLessThan(20_000); // two 300 ms attempts plus backoff; before the fix this never returned
  });
});

describe.skipIf(s3 === null)('S3 commit with a lost response (item 5)', () => {
  const env = s3!;
  const isCommitPut = (r: { method: string; url: string }, v: string): boolean => r.method === 'PUT' && r.url.includes(`_delta_log/${v}.json`);

  it('a commit whose every PUT response is dropped is recognised in the log as ours: success, rows once', async () => {
    const uri = freshS3Uri(env, 'lostcommit');
    let dropped = 0;
    const proxy: Proxy = await startHttpProxy(env.endpoint, (req) => {
      if (isCommitPut(req, '00000000000000000001')) {
        dropped++;
        return { forward: req, dropResponse: true };
      }
      return 'forward';
    });
    closers.push(() => proxy.close());
    const t = await DeltaTable.create(uri, { schema, storageOptions: s3Options(env, { endpoint: proxy.endpoint, maxRetries: 1 }) });
    const res = await t.append(ids(0, 3));
    expect(dropped).toBe(2); // both attempts of the conditional PUT lost their response
    expect(res.version).toBe(1);
    const direct = await DeltaTable.open(uri, { storageOptions: s3Options(env) });
    expect(direct.version).toBe(1);
    expect((await direct.scan().toArray()).map((r) => r.id)).toEqual([0n, 1n, 2n]);
  });

  it('when the log cannot be read either, the commit is reported as CommitOutcomeUnknownError (not a plain StorageError)', async () => {
    const uri = freshS3Uri(env, 'unknowncommit');
    const proxy: Proxy = await startHttpProxy(env.endpoint, (req) => {
      if (req.url.includes('_delta_log/00000000000000000001.json')) return { forward: req, dropResponse: true };
      return 'forward';
    });
    closers.push(() => proxy.close());
    const t = await DeltaTable.create(uri, { schema, storageOptions: s3Options(env, { endpoint: proxy.endpoint, maxRetries: 0 }) });
    const err = await t.append(ids(0, 3)).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CommitOutcomeUnknownError);
    expect((err as CommitOutcomeUnknownError).version).toBe(1);
    // It had landed: a user who reads the history finds the txnId and does not retry.
    const direct = await DeltaTable.open(uri, { storageOptions: s3Options(env) });
    expect((await direct.history())[0]!.commitInfo.txnId).toBe((err as CommitOutcomeUnknownError).txnId);
  });
});
