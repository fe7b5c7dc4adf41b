// S3Store against real radosgw: conditional-PUT probe, fault injection through local proxies (503, dropped
// connections, an endpoint that ignores If-None-Match), error messages, option resolution and the registry.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { ListMultipartUploadsCommand } from '@aws-sdk/client-s3';
import { InvalidArgumentError, NotFoundError, StorageError } from '../../src/errors.js';
import { LocalStore } from '../../src/storage/local.js';
import { openStore, registerStore } from '../../src/storage/registry.js';
import { MULTIPART_THRESHOLD, S3Store, clearS3ProbeCache, resolveS3Settings } from '../../src/storage/s3.js';
import { listAll, type ObjectStore } from '../../src/storage/store.js';
import { dropSignedHeader, startCuttingTcpProxy, startHttpProxy, type Proxy } from './proxies.js';
import { freshS3Uri, s3Env, s3Options } from './s3_env.js';

const enc = (s: string): Uint8Array => new TextEncoder().encode(s);
const dec = (b: Uint8Array): string => new TextDecoder().decode(b);
const s3 = s3Env();
const proxies: Proxy[] = [];
afterEach(async () => {
  for (const p of proxies.splice(0)) await p.close();
  vi.restoreAllMocks();
});

const isConditionalPut = (r: { method: string; headers: Record<string, unknown> }): boolean =>
  r.method === 'PUT' && r.headers['if-none-match'] === '*';

describe.skipIf(s3 === null)('S3Store on radosgw', () => {
  const env = s3!;
  const direct = (uri: string): S3Store => new S3Store(uri, s3Options(env));

  it('refuses putIfAbsent when the endpoint ignores If-None-Match, and accepts it with singleWriter', async () => {
    // The proxy strips If-None-Match (re-signing the request), like an S3 clone that ignores the condition.
    let stripped = 0;
    const proxy = await startHttpProxy(env.endpoint, (req) => {
      if (!isConditionalPut(req)) return 'forward';
      stripped++;
      return { forward: dropSignedHeader(req, 'if-none-match', env.secretAccessKey) };
    });
    proxies.push(proxy);
    const uri = freshS3Uri(env, 'noncond');
    const unsafe = new S3Store(uri, s3Options(env, { endpoint: proxy.endpoint }));
    const err = await unsafe.putIfAbsent('_delta_log/00000000000000000000.json', enc('a')).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(StorageError);
    expect(String(err)).toMatch(/does not enforce conditional PUT/);
    expect(String(err)).toMatch(/singleWriter/);
    expect(String(err)).toContain(`s3://${env.bucket}/`);
    expect(stripped).toBe(2); // the probe's two writes went through the stripping proxy
    // Nothing was written, and the probe key was cleaned up.
    expect(await listAll(direct(uri), '')).toEqual([]);
    // The proxy really makes the endpoint unsafe: a raw conditional PUT through it overwrites.
    await direct(uri).put('k', enc('old'));
    await (await unsafe.client()).send(
      new (await import('@aws-sdk/client-s3')).PutObjectCommand({ Bucket: env.bucket, Key: `${unsafe.prefix}/k`, Body: enc('new'), IfNoneMatch: '*' }),
    );
    expect(dec(await direct(uri).get('k'))).toBe('new');

    const warn = vi.spyOn(process, 'emitWarning').mockImplementation(() => undefined);
    const single = new S3Store(uri, s3Options(env, { endpoint: proxy.endpoint, AWS_S3_ALLOW_UNSAFE_RENAME: 'true' }));
    expect(await single.putIfAbsent('_delta_log/00000000000000000000.json', enc('first'))).toBe(true);
    expect(await single.putIfAbsent('_delta_log/00000000000000000000.json', enc('second'))).toBe(false);
    expect(dec(await direct(uri).get('_delta_log/00000000000000000000.json'))).toBe('first');
    expect(warn.mock.calls.filter((c) => String(c[0]).includes('does not enforce conditional PUT')).length).toBe(1);
  });

  it('the probe passes on radosgw and runs once per endpoint+bucket', async () => {
    clearS3ProbeCache();
    let conditional = 0;
    const proxy = await startHttpProxy(env.endpoint, (req) => {
      if (isConditionalPut(req)) conditional++;
      return 'forward';
    });
    proxies.push(proxy);
    const a = new S3Store(freshS3Uri(env, 'probe'), s3Options(env, { endpoint: proxy.endpoint }));
    const b = new S3Store(freshS3Uri(env, 'probe'), s3Options(env, { endpoint: proxy.endpoint }));
    expect(await a.putIfAbsent('x', enc('1'))).toBe(true);
    expect(conditional).toBe(3); // probe (2) + the write
    expect(await b.putIfAbsent('x', enc('1'))).toBe(true);
    expect(conditional).toBe(4); // cached: no second probe
    expect((await listAll(a, '')).map((m) => m.path)).toEqual(['x']); // probe key deleted
  });

  it('retries a 503 SlowDown and succeeds', async () => {
    let puts = 0;
    const proxy = await startHttpProxy(env.endpoint, (req) => {
      if (req.method !== 'PUT') return 'forward';
      puts++;
      if (puts === 1) {
        return { status: 503, body: '<?xml version="1.0"?><Error><Code>SlowDown</Code><Message>Please reduce your request rate.</Message></Error>' };
      }
      return 'forward';
    });
    proxies.push(proxy);
    const uri = freshS3Uri(env, 'slowdown');
    const store = new S3Store(uri, s3Options(env, { endpoint: proxy.endpoint }));
    await store.put('part-0.parquet', enc('data'));
    expect(puts).toBe(2);
    expect(dec(await direct(uri).get('part-0.parquet'))).toBe('data');
  });

  it('gives up on persistent 503 with a StorageError naming bucket, key and attempts', async () => {
    const proxy = await startHttpProxy(env.endpoint, () => ({
      status: 503,
      body: '<?xml version="1.0"?><Error><Code>SlowDown</Code><Message>Please reduce your request rate.</Message></Error>',
    }));
    proxies.push(proxy);
    const store = new S3Store(freshS3Uri(env, 'slow'), s3Options(env, { endpoint: proxy.endpoint, maxRetries: 2 }));
    const err = await store.get('a/b.json').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(StorageError);
    expect(String(err)).toMatch(/GetObject failed after 3 attempts \(HTTP 503 SlowDown/);
    expect(String(err)).toMatch(new RegExp(`s3://${env.bucket}/slow-[0-9a-f-]+/a/b\\.json`));
  });

  it('a connection dropped mid-upload fails the put with a clear StorageError and leaves nothing visible', async () => {
    const proxy = await startCuttingTcpProxy(env.endpoint, 64 * 1024);
    proxies.push(proxy);
    const uri = freshS3Uri(env, 'cut');
    const store = new S3Store(uri, s3Options(env, { endpoint: proxy.endpoint, maxRetries: 2 }));
    const data = new Uint8Array(1024 * 1024).fill(7);
    const err = await store.put('part-0.parquet', data).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(StorageError);
    expect(String(err)).toMatch(/PutObject failed after 3 attempts/);
    expect(String(err)).toContain(`${uri}/part-0.parquet`);
    expect(proxy.cuts()).toBe(3);
    expect(await direct(uri).head('part-0.parquet')).toBeNull();
  });

  it('a multipart upload cut mid-way is aborted: no object, no pending upload', async () => {
    const proxy = await startCuttingTcpProxy(env.endpoint, 3 * 1024 * 1024);
    proxies.push(proxy);
    const uri = freshS3Uri(env, 'cutmp');
    const store = new S3Store(uri, s3Options(env, { endpoint: proxy.endpoint, maxRetries: 1 }));
    const data = new Uint8Array(MULTIPART_THRESHOLD + 1024).fill(3);
    await expect(store.put('big.parquet', data)).rejects.toThrow(/UploadPart \d+\/3 failed after 2 attempts/);
    const d = direct(uri);
    expect(await d.head('big.parquet')).toBeNull();
    const pending = await (await d.client()).send(new ListMultipartUploadsCommand({ Bucket: env.bucket, Prefix: d.prefix }));
    expect(pending.Uploads ?? []).toEqual([]);
    // And without faults the same upload succeeds as a multipart object.
    await d.put('big.parquet', data);
    expect((await d.head('big.parquet'))?.size).toBe(data.length);
    expect([...(await d.getRange('big.parquet', MULTIPART_THRESHOLD, MULTIPART_THRESHOLD + 4))]).toEqual([3, 3, 3, 3]);
  });

  it('putIfAbsent whose response was lost still reports the win (retry sees 412 on its own bytes)', async () => {
    let dropped = 0;
    const proxy = await startHttpProxy(env.endpoint, (req) => {
      if (isConditionalPut(req) && req.url.includes('00000000000000000007.json') && dropped === 0) {
        dropped++;
        return { forward: req, dropResponse: true };
      }
      return 'forward';
    });
    proxies.push(proxy);
    const uri = freshS3Uri(env, 'lostresp');
    const store = new S3Store(uri, s3Options(env, { endpoint: proxy.endpoint }));
    expect(await store.putIfAbsent('_delta_log/00000000000000000007.json', enc('mine'))).toBe(true);
    expect(dropped).toBe(1);
    // Someone else's commit at the same version is still a loss.
    expect(await store.putIfAbsent('_delta_log/00000000000000000007.json', enc('theirs'))).toBe(false);
  });

  it('deleteMany reports the keys S3 refused to delete', async () => {
    const uri = freshS3Uri(env, 'delerr');
    const d = direct(uri);
    await d.put('a.parquet', enc('a'));
    await d.put('b.parquet', enc('b'));
    let batches = 0;
    const proxy = await startHttpProxy(env.endpoint, (req) => {
      if (req.method !== 'POST' || !/[?&]delete(=|&|$)/.test(req.url)) return 'forward';
      batches++;
      return {
        status: 200,
        body:
          '<?xml version="1.0" encoding="UTF-8"?><DeleteResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">' +
          `<Error><Key>${d.prefix}/b.parquet</Key><Code>AccessDenied</Code><Message>Access Denied</Message></Error>` +
          '</DeleteResult>',
      };
    });
    proxies.push(proxy);
    const store = new S3Store(uri, s3Options(env, { endpoint: proxy.endpoint }));
    const err = await store.deleteMany(['a.parquet', 'b.parquet']).catch((e: unknown) => e);
    expect(batches).toBe(1);
    expect(err).toBeInstanceOf(StorageError);
    expect(String(err)).toMatch(/DeleteObjects failed for 1 of 2 keys in bucket/);
    expect(String(err)).toContain(`${d.prefix}/b.parquet (AccessDenied: Access Denied)`);
  });

  it('names bucket and key on access denied and missing bucket', async () => {
    const bad = new S3Store(freshS3Uri(env, 'denied'), s3Options(env, { secretAccessKey: 'wrong-secret' }));
    const e1 = await bad.get('_delta_log/00000000000000000000.json').catch((e: unknown) => e);
    expect(e1).toBeInstanceOf(StorageError);
    expect(String(e1)).toMatch(/access denied/);
    expect(String(e1)).toMatch(new RegExp(`s3://${env.bucket}/denied-[0-9a-f-]+/_delta_log/00000000000000000000\\.json`));
    const nb = new S3Store('s3://deltats-no-such-bucket/t', s3Options(env));
    await expect(nb.put('x', enc('1'))).rejects.toThrow(/bucket 'deltats-no-such-bucket' does not exist: s3:\/\/deltats-no-such-bucket\/t\/x/);
    await expect(nb.get('x')).rejects.toThrow(StorageError);
  });

  it('opens through openStore with s3:// and s3a:// and delta-rs style options', async () => {
    const uri = freshS3Uri(env, 'registry');
    const opts = {
      AWS_ENDPOINT_URL: env.endpoint,
      AWS_REGION: env.region,
      AWS_ACCESS_KEY_ID: env.accessKeyId,
      AWS_SECRET_ACCESS_KEY: env.secretAccessKey,
    };
    const a = openStore(uri, opts);
    expect(a).toBeInstanceOf(S3Store);
    expect(a.uri).toBe(uri);
    await a.put('x.json', enc('via s3'));
    const b: ObjectStore = openStore(uri.replace(/^s3:/, 's3a:') + '/', opts);
    expect(dec(await b.get('x.json'))).toBe('via s3');
  });

  it('get of a missing key is NotFoundError', async () => {
    await expect(direct(freshS3Uri(env)).get('missing')).rejects.toThrow(NotFoundError);
  });
});

describe('S3 options and the store registry (no server)', () => {
  it('resolves options, delta-rs aliases and env like AWS users expect', () => {
    const s = resolveS3Settings(
      { AWS_ENDPOINT_URL: 'http://localhost:9000', aws_access_key_id: 'k', AWS_SECRET_ACCESS_KEY: 's', AWS_S3_ALLOW_UNSAFE_RENAME: 'true' },
      {},
    );
    expect(s).toMatchObject({ endpoint: 'http://localhost:9000', region: 'us-east-1', forcePathStyle: true, singleWriter: true });
    expect(s.credentials).toEqual({ accessKeyId: 'k', secretAccessKey: 's' });
    const fromEnv = resolveS3Settings({}, { AWS_ENDPOINT_URL_S3: 'https://s3.example.com', AWS_ENDPOINT_URL: 'https://other', AWS_REGION: 'eu-west-1' });
    expect(fromEnv).toMatchObject({ endpoint: 'https://s3.example.com', region: 'eu-west-1', singleWriter: false, maxRetries: 8 });
    expect(fromEnv.credentials).toBeUndefined(); // SDK default chain
    const aws = resolveS3Settings({}, {});
    expect(aws.endpoint).toBeUndefined();
    expect(aws.region).toBeUndefined(); // left to the SDK (profile)
    expect(aws.forcePathStyle).toBeUndefined();
    expect(resolveS3Settings({ allowUnsafeRename: true, maxRetries: '3' }, {})).toMatchObject({ singleWriter: true, maxRetries: 3 });
  });

  it('rejects bad options with InvalidArgumentError naming them', () => {
    expect(() => resolveS3Settings({ endpoint: 'http://s3.internal:9000' } as never, {})).toThrow(/allowHttp/);
    expect(resolveS3Settings({ endpoint: 'http://s3.internal:9000', allowHttp: true }, {}).endpoint).toBe('http://s3.internal:9000');
    expect(() => resolveS3Settings({ endpiont: 'x' } as never, {})).toThrow(/unknown S3 storage option 'endpiont'/);
    expect(() => resolveS3Settings({ accessKeyId: 'k' }, {})).toThrow(InvalidArgumentError);
    expect(() => resolveS3Settings({ singleWriter: 'maybe' }, {})).toThrow(/singleWriter must be a boolean/);
    expect(() => resolveS3Settings({ maxRetries: -1 }, {})).toThrow(/maxRetries/);
    expect(() => new S3Store('s3://', {})).toThrow(InvalidArgumentError);
  });

  it('openStore picks the backend by scheme and names unsupported schemes', () => {
    expect(openStore('/tmp/some/table')).toBeInstanceOf(LocalStore);
    expect(openStore('relative/table')).toBeInstanceOf(LocalStore);
    expect(openStore('file:///tmp/t').uri).toBe('file:///tmp/t');
    expect(openStore('s3://bucket/t', { endpoint: 'http://127.0.0.1:1' })).toBeInstanceOf(S3Store);
    expect(openStore('s3a://bucket/t', { endpoint: 'http://127.0.0.1:1' })).toBeInstanceOf(S3Store);
    expect(() => openStore('gs://bucket/t')).toThrow(InvalidArgumentError);
    expect(() => openStore('gs://bucket/t')).toThrow(/unsupported storage scheme 'gs:\/\/'/);
    expect(() => openStore('')).toThrow(InvalidArgumentError);
    const mem = new LocalStore('/tmp/x');
    registerStore('memtest', () => mem);
    expect(openStore('memtest://anything')).toBe(mem);
  });
});
