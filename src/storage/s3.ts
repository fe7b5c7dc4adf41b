// S3Store: the ObjectStore on S3 or an S3-compatible server (s3://bucket/prefix); putIfAbsent = conditional PUT.
// Owns S3 config (options / env / SDK default chain), retries and error mapping; knows nothing of Delta logs.
// The AWS SDK is loaded on a store's first request, not on import (~23 MB that a local-only process never pays).
import type { S3Client, S3ClientConfig } from '@aws-sdk/client-s3';
import { v4 as uuidv4 } from 'uuid';
import { InvalidArgumentError, NotFoundError, StorageError } from '../errors.js';
import type { ListOptions, ObjectMeta, ObjectStore } from './store.js';

/**
 * Options of a store. Every field is optional: by default region and credentials come from the AWS SDK
 * default chain (AWS_REGION, AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, AWS_PROFILE + ~/.aws, SSO, IMDS...),
 * and the endpoint from AWS_ENDPOINT_URL_S3 / AWS_ENDPOINT_URL. delta-rs style keys (AWS_ENDPOINT_URL,
 * AWS_REGION, AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN, AWS_ALLOW_HTTP,
 * AWS_S3_ALLOW_UNSAFE_RENAME, AWS_FORCE_PATH_STYLE, AWS_MAX_RETRIES; any case) are accepted as aliases; values
 * may be strings ('true').
 */
export interface StorageOptions {
  /** S3-compatible endpoint, e.g. `http://127.0.0.1:7480`. */
  endpoint?: string;
  region?: string;
  accessKeyId?: string;
  secretAccessKey?: string;
  sessionToken?: string;
  /** Path-style addressing (`endpoint/bucket/key`). Default: true with a custom endpoint, SDK default otherwise. */
  forcePathStyle?: boolean | string;
  /** Allow a plain-http endpoint that is not loopback (loopback http is always allowed). */
  allowHttp?: boolean | string;
  /**
   * Only one writer ever writes this table: accept an endpoint that does not enforce conditional PUT
   * (putIfAbsent falls back to head-then-put, which is NOT safe with concurrent writers).
   */
  singleWriter?: boolean | string;
  /** delta-rs name for `singleWriter`. */
  allowUnsafeRename?: boolean | string;
  /** Retries of a failed request (throttling, 5xx, connection resets, timeouts). Default 8. */
  maxRetries?: number | string;
  /** Time to establish a connection: milliseconds, or a duration such as '5s'. Default 10 s. */
  connectTimeout?: number | string;
  /**
   * Time one request may take (sending it and receiving the response headers), and the longest silence while a
   * body streams: milliseconds, or a duration such as '30s', '2m'. Default 60 s. A request that exceeds it fails
   * (and is retried up to maxRetries), so a stalled endpoint never hangs a caller.
   */
  requestTimeout?: number | string;
  AWS_ENDPOINT_URL?: string;
  AWS_ENDPOINT_URL_S3?: string;
  AWS_REGION?: string;
  AWS_ACCESS_KEY_ID?: string;
  AWS_SECRET_ACCESS_KEY?: string;
  AWS_SESSION_TOKEN?: string;
  AWS_ALLOW_HTTP?: boolean | string;
  AWS_S3_ALLOW_UNSAFE_RENAME?: boolean | string;
  AWS_FORCE_PATH_STYLE?: boolean | string;
  AWS_MAX_RETRIES?: number | string;
}

/** Resolved S3 settings (after aliases and env). */
export interface S3Settings {
  endpoint?: string;
  region?: string;
  credentials?: { accessKeyId: string; secretAccessKey: string; sessionToken?: string };
  forcePathStyle?: boolean;
  singleWriter: boolean;
  maxRetries: number;
  /** Milliseconds. */
  connectTimeout: number;
  /** Milliseconds. */
  requestTimeout: number;
}

export const DEFAULT_CONNECT_TIMEOUT_MS = 10_000;
export const DEFAULT_REQUEST_TIMEOUT_MS = 60_000;

const ALIASES: Record<string, keyof S3Settings | 'accessKeyId' | 'secretAccessKey' | 'sessionToken' | 'allowHttp'> = {
  endpoint: 'endpoint',
  aws_endpoint_url: 'endpoint',
  aws_endpoint_url_s3: 'endpoint',
  aws_endpoint: 'endpoint',
  region: 'region',
  aws_region: 'region',
  aws_default_region: 'region',
  accesskeyid: 'accessKeyId',
  aws_access_key_id: 'accessKeyId',
  secretaccesskey: 'secretAccessKey',
  aws_secret_access_key: 'secretAccessKey',
  sessiontoken: 'sessionToken',
  aws_session_token: 'sessionToken',
  forcepathstyle: 'forcePathStyle',
  aws_force_path_style: 'forcePathStyle',
  allowhttp: 'allowHttp',
  aws_allow_http: 'allowHttp',
  singlewriter: 'singleWriter',
  allowunsaferename: 'singleWriter',
  aws_s3_allow_unsafe_rename: 'singleWriter',
  maxretries: 'maxRetries',
  aws_max_retries: 'maxRetries',
  connecttimeout: 'connectTimeout',
  connect_timeout: 'connectTimeout',
  requesttimeout: 'requestTimeout',
  timeout: 'requestTimeout',
};

const DURATION_UNITS: Record<string, number> = { ms: 1, s: 1000, sec: 1000, m: 60_000, min: 60_000 };

/** A timeout option: a number of milliseconds or a string '<n>ms|s|m' (object_store style, e.g. '30s'). */
function toTimeoutMs(key: string, v: unknown): number {
  let ms = Number.NaN;
  if (typeof v === 'number') ms = v;
  else if (typeof v === 'string') {
    const m = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|sec|m|min)?\s*$/i.exec(v);
    if (m) ms = Number(m[1]) * DURATION_UNITS[(m[2] ?? 'ms').toLowerCase()]!;
  }
  if (!Number.isFinite(ms) || ms <= 0) {
    throw new InvalidArgumentError(`storage option ${key} must be a positive duration (milliseconds, or e.g. '30s'), got ${JSON.stringify(v)}`);
  }
  return Math.ceil(ms);
}

function toBool(key: string, v: unknown): boolean {
  if (typeof v === 'boolean') return v;
  if (typeof v === 'string' && /^(true|1|yes)$/i.test(v.trim())) return true;
  if (typeof v === 'string' && /^(false|0|no|)$/i.test(v.trim())) return false;
  throw new InvalidArgumentError(`storage option ${key} must be a boolean (true/false), got ${JSON.stringify(v)}`);
}

function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '[::1]' || host === '::1' || /^127\./.test(host);
}

/** Merge options (any alias, any case) with the environment into S3Settings. */
export function resolveS3Settings(
  options: StorageOptions | Record<string, unknown> = {},
  env: NodeJS.ProcessEnv = process.env,
): S3Settings {
  const o: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(options)) {
    if (v === undefined) continue;
    const canon = ALIASES[k.toLowerCase()];
    if (!canon) {
      throw new InvalidArgumentError(
        `unknown S3 storage option '${k}' (accepted: endpoint, region, accessKeyId, secretAccessKey, sessionToken, ` +
          `forcePathStyle, allowHttp, singleWriter/allowUnsafeRename, maxRetries, connectTimeout, requestTimeout, or AWS_* aliases)`,
      );
    }
    if (canon in o && o[canon] !== v) throw new InvalidArgumentError(`storage option ${canon} given twice (as ${k})`);
    o[canon] = v;
  }
  const str = (key: string): string | undefined => {
    const v = o[key];
    if (v === undefined) return undefined;
    if (typeof v !== 'string') throw new InvalidArgumentError(`storage option ${key} must be a string`);
    return v;
  };
  const endpoint = str('endpoint') ?? env.AWS_ENDPOINT_URL_S3 ?? env.AWS_ENDPOINT_URL ?? undefined;
  if (endpoint !== undefined) {
    let url: URL;
    try {
      url = new URL(endpoint);
    } catch {
      throw new InvalidArgumentError(`S3 endpoint is not a URL: ${endpoint}`);
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') {
      throw new InvalidArgumentError(`S3 endpoint must be http(s): ${endpoint}`);
    }
    const allowHttp = o.allowHttp !== undefined ? toBool('allowHttp', o.allowHttp) : toBool('AWS_ALLOW_HTTP', env.AWS_ALLOW_HTTP ?? 'false');
    if (url.protocol === 'http:' && !allowHttp && !isLoopback(url.hostname)) {
      throw new InvalidArgumentError(
        `S3 endpoint ${endpoint} uses plain http; set storage option allowHttp: true (or AWS_ALLOW_HTTP=true) to allow it`,
      );
    }
  }
  const region = str('region') ?? env.AWS_REGION ?? env.AWS_DEFAULT_REGION ?? (endpoint ? 'us-east-1' : undefined);
  const accessKeyId = str('accessKeyId');
  const secretAccessKey = str('secretAccessKey');
  if ((accessKeyId === undefined) !== (secretAccessKey === undefined)) {
    throw new InvalidArgumentError('storage options accessKeyId and secretAccessKey must be given together');
  }
  const sessionToken = str('sessionToken');
  const credentials =
    accessKeyId !== undefined && secretAccessKey !== undefined
      ? { accessKeyId, secretAccessKey, ...(sessionToken ? { sessionToken } : {}) }
      : undefined;
  const forcePathStyle =
    o.forcePathStyle !== undefined ? toBool('forcePathStyle', o.forcePathStyle) : endpoint !== undefined ? true : undefined;
  const singleWriter = o.singleWriter !== undefined ? toBool('singleWriter', o.singleWriter) : false;
  let maxRetries = 8;
  if (o.maxRetries !== undefined) {
    maxRetries = Number(o.maxRetries);
    if (!Number.isInteger(maxRetries) || maxRetries < 0) {
      throw new InvalidArgumentError(`storage option maxRetries must be a non-negative integer, got ${String(o.maxRetries)}`);
    }
  }
  const connectTimeout = o.connectTimeout !== undefined ? toTimeoutMs('connectTimeout', o.connectTimeout) : DEFAULT_CONNECT_TIMEOUT_MS;
  const requestTimeout = o.requestTimeout !== undefined ? toTimeoutMs('requestTimeout', o.requestTimeout) : DEFAULT_REQUEST_TIMEOUT_MS;
  return { endpoint, region, credentials, forcePathStyle, singleWriter, maxRetries, connectTimeout, requestTimeout };
}

/** `s3://bucket/prefix` (or s3a://) -> bucket and key prefix without leading/trailing '/'. */
export function parseS3Uri(uri: string): { bucket: string; prefix: string } {
  const m = /^s3a?:\/\/([^/]+)\/?(.*)$/i.exec(uri);
  if (!m || !m[1]) throw new InvalidArgumentError(`not an s3:// URI (expected s3://bucket/prefix): ${uri}`);
  const prefix = m[2]!.replace(/^\/+|\/+$/g, '');
  if (prefix.split('/').some((s) => s === '' || s === '..' || s === '.')) {
    throw new InvalidArgumentError(`invalid key prefix in S3 URI: ${uri}`);
  }
  return { bucket: m[1], prefix };
}

/** Above this size put() uses a multipart upload. */
export const MULTIPART_THRESHOLD = 16 * 1024 * 1024;
const PART_SIZE = 8 * 1024 * 1024;
const PART_CONCURRENCY = 4;
const DELETE_BATCH = 1000;
const BASE_DELAY_MS = 100;
const MAX_DELAY_MS = 5_000;

/** Probe results per endpoint+bucket: true = conditional PUT is enforced. */
const probeCache = new Map<string, Promise<boolean>>();
const warnedSingleWriter = new Set<string>();

interface SdkError {
  name?: string;
  code?: string;
  message?: string;
  Code?: string;
  $metadata?: { httpStatusCode?: number };
  $retryable?: unknown;
}

function errInfo(e: unknown): { status?: number; name: string; message: string; code?: string } {
  const x = (e ?? {}) as SdkError;
  return {
    status: x.$metadata?.httpStatusCode,
    name: x.Code ?? x.name ?? 'Error',
    message: x.message ?? String(e),
    code: x.code,
  };
}

const RETRYABLE_NAMES = new Set([
  'SlowDown',
  'Throttling',
  'ThrottlingException',
  'ThrottledException',
  'RequestThrottled',
  'RequestLimitExceeded',
  'TooManyRequestsException',
  'ServiceUnavailable',
  'InternalError',
  'RequestTimeout',
  'RequestTimeoutException',
  'TimeoutError',
  'ConditionalRequestConflict',
  'OperationAborted',
]);
const RETRYABLE_CODES = new Set(['ECONNRESET', 'ECONNREFUSED', 'EPIPE', 'ETIMEDOUT', 'ECONNABORTED', 'EAI_AGAIN', 'ENOTFOUND', 'UND_ERR_SOCKET']);

/** Throttling, 5xx, 409 conditional conflicts and dropped connections are worth another attempt. */
export function isRetryable(e: unknown): boolean {
  const { status, name, message, code } = errInfo(e);
  if (status !== undefined && (status === 429 || status === 500 || status === 502 || status === 503 || status === 504)) return true;
  if (RETRYABLE_NAMES.has(name)) return true;
  if (code && RETRYABLE_CODES.has(code)) return true;
  if (status === undefined && /socket hang up|ECONNRESET|EPIPE|timed? ?out|network|aborted/i.test(message)) return true;
  return false;
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** Full-jitter exponential backoff: uniform in [0, min(cap, base * 2^attempt)], at least 10 ms. */
function backoff(attempt: number): number {
  return Math.max(10, Math.random() * Math.min(MAX_DELAY_MS, BASE_DELAY_MS * 2 ** attempt));
}

type S3Sdk = typeof import('@aws-sdk/client-s3');

export class S3Store implements ObjectStore {
  readonly uri: string;
  readonly bucket: string;
  readonly prefix: string;
  readonly settings: S3Settings;
  private readonly config: S3ClientConfig;
  private connected?: Promise<{ sdk: S3Sdk; client: S3Client }>;
  private readonly probeKey: string;

  constructor(uri: string, options: StorageOptions = {}) {
    const { bucket, prefix } = parseS3Uri(uri);
    this.bucket = bucket;
    this.prefix = prefix;
    this.uri = `s3://${bucket}${prefix ? `/${prefix}` : ''}`;
    this.settings = resolveS3Settings(options);
    const s = this.settings;
    const config: S3ClientConfig = {
      // Our own retry loop (below) classifies errors and resolves ambiguous putIfAbsent outcomes.
      maxAttempts: 1,
      // The SDK only warns about a request past requestTimeout unless throwOnRequestTimeout is set; socketTimeout
      // bounds a body that stops streaming.
      requestHandler: {
        connectionTimeout: s.connectTimeout,
        requestTimeout: s.requestTimeout,
        throwOnRequestTimeout: true,
        socketTimeout: s.requestTimeout,
      },
    };
    if (s.region) config.region = s.region;
    if (s.endpoint) {
      config.endpoint = s.endpoint;
      // S3-compatible servers (Ceph RGW, MinIO...) reject the SDK's newer default flexible checksums
      // (trailing/aws-chunked CRC32); only send checksums where the operation requires one.
      config.requestChecksumCalculation = 'WHEN_REQUIRED';
      config.responseChecksumValidation = 'WHEN_REQUIRED';
    }
    if (s.forcePathStyle !== undefined) config.forcePathStyle = s.forcePathStyle;
    if (s.credentials) config.credentials = s.credentials;
    this.config = config;
    this.probeKey = `_delta_log/.deltats-probe-${uuidv4()}`;
  }

  /** The SDK client, created (and the SDK loaded) on first use. */
  async client(): Promise<S3Client> {
    return (await this.sdk()).client;
  }

  private sdk(): Promise<{ sdk: S3Sdk; client: S3Client }> {
    if (!this.connected) {
      this.connected = import('@aws-sdk/client-s3').then((sdk) => ({ sdk, client: new sdk.S3Client(this.config) }));
      this.connected.catch(() => (this.connected = undefined)); // a failed load is retried by the next request
    }
    return this.connected;
  }

  private key(rel: string): string {
    if (rel.startsWith('/') || rel.split('/').includes('..')) throw new StorageError('invalid object path', rel);
    return this.prefix ? `${this.prefix}/${rel}` : rel;
  }

  private rel(key: string): string {
    return this.prefix ? key.slice(this.prefix.length + 1) : key;
  }

  private loc(key: string): string {
    return `s3://${this.bucket}/${key}`;
  }

  /** Map an SDK failure to a StorageError naming bucket and key. */
  private wrap(e: unknown, op: string, key: string, attempts = 1): Error {
    if (e instanceof StorageError || e instanceof InvalidArgumentError) return e;
    const { status, name, message } = errInfo(e);
    const loc = this.loc(key);
    const tries = attempts > 1 ? ` after ${attempts} attempts` : '';
    if (status === 404 && (name === 'NoSuchKey' || name === 'NotFound')) return new NotFoundError(loc);
    if (name === 'NoSuchBucket') return new StorageError(`S3 ${op} failed: bucket '${this.bucket}' does not exist`, loc, { cause: e });
    if (status === 403 || name === 'AccessDenied' || name === 'InvalidAccessKeyId' || name === 'SignatureDoesNotMatch') {
      return new StorageError(
        `S3 ${op} failed: access denied (${name}; check credentials, region and the bucket policy)`,
        loc,
        { cause: e },
      );
    }
    const what = status !== undefined ? `HTTP ${status} ${name}` : name;
    return new StorageError(`S3 ${op} failed${tries} (${what}: ${message})`, loc, { cause: e });
  }

  /**
   * Run `fn` with retries on retryable failures. `onRetry` is told when an attempt failed in a way that may
   * still have reached the server (for putIfAbsent's ambiguity check).
   */
  private async retry<T>(op: string, key: string, fn: () => Promise<T>, onAmbiguous?: () => void): Promise<T> {
    for (let attempt = 0; ; attempt++) {
      try {
        return await fn();
      } catch (e) {
        if (!isRetryable(e) || attempt >= this.settings.maxRetries) {
          throw this.wrap(e, op, key, attempt + 1);
        }
        onAmbiguous?.();
        await sleep(backoff(attempt));
      }
    }
  }

  async get(rel: string): Promise<Uint8Array> {
    const Key = this.key(rel);
    const { sdk, client } = await this.sdk();
    return this.retry('GetObject', Key, async () => {
      const res = await client.send(new sdk.GetObjectCommand({ Bucket: this.bucket, Key }));
      if (!res.Body) return new Uint8Array(0);
      return res.Body.transformToByteArray();
    });
  }

  async getRange(rel: string, start: number, end: number): Promise<Uint8Array> {
    if (!Number.isInteger(start) || !Number.isInteger(end) || start < 0) {
      throw new InvalidArgumentError(`invalid byte range [${start}, ${end}) for ${rel}`);
    }
    const Key = this.key(rel);
    if (end <= start) {
      // Empty range: still report a missing object like LocalStore does.
      if (!(await this.head(rel))) throw new NotFoundError(this.loc(Key));
      return new Uint8Array(0);
    }
    const { sdk, client } = await this.sdk();
    return this.retry('GetObject (range)', Key, async () => {
      try {
        const res = await client.send(
          new sdk.GetObjectCommand({ Bucket: this.bucket, Key, Range: `bytes=${start}-${end - 1}` }),
        );
        if (!res.Body) return new Uint8Array(0);
        const bytes = await res.Body.transformToByteArray();
        // A server that ignores Range returns the whole object (200): cut it here.
        return res.ContentRange === undefined && bytes.length > end - start ? bytes.subarray(start, end) : bytes;
      } catch (e) {
        // Range starts at or beyond the end of the object: [start, end) holds no bytes.
        if (errInfo(e).status === 416) return new Uint8Array(0);
        throw e;
      }
    });
  }

  async head(rel: string): Promise<ObjectMeta | null> {
    const Key = this.key(rel);
    const { sdk, client } = await this.sdk();
    return this.retry('HeadObject', Key, async () => {
      try {
        const res = await client.send(new sdk.HeadObjectCommand({ Bucket: this.bucket, Key }));
        return { path: rel, size: res.ContentLength ?? 0, lastModified: res.LastModified ?? new Date(0) };
      } catch (e) {
        const { status, name } = errInfo(e);
        // HEAD has no body, so a missing bucket is also a bare 404 ('NotFound'): that reads as "absent".
        if (status === 404 && name !== 'NoSuchBucket') return null;
        throw e;
      }
    });
  }

  async put(rel: string, data: Uint8Array): Promise<void> {
    const Key = this.key(rel);
    if (data.byteLength > MULTIPART_THRESHOLD) return this.putMultipart(Key, data);
    const { sdk, client } = await this.sdk();
    await this.retry('PutObject', Key, () =>
      client.send(new sdk.PutObjectCommand({ Bucket: this.bucket, Key, Body: data, ContentLength: data.byteLength })),
    );
  }

  /** Multipart upload; aborted on failure so no parts linger and nothing becomes visible. */
  private async putMultipart(Key: string, data: Uint8Array): Promise<void> {
    const { sdk, client } = await this.sdk();
    const created = await this.retry('CreateMultipartUpload', Key, () =>
      client.send(new sdk.CreateMultipartUploadCommand({ Bucket: this.bucket, Key })),
    );
    const UploadId = created.UploadId;
    if (!UploadId) throw new StorageError('S3 CreateMultipartUpload returned no UploadId', this.loc(Key));
    try {
      const nParts = Math.ceil(data.byteLength / PART_SIZE);
      const etags: string[] = new Array<string>(nParts);
      let next = 0;
      const worker = async (): Promise<void> => {
        for (let i = next++; i < nParts; i = next++) {
          const body = data.subarray(i * PART_SIZE, Math.min(data.byteLength, (i + 1) * PART_SIZE));
          const res = await this.retry(`UploadPart ${i + 1}/${nParts}`, Key, () =>
            client.send(
              new sdk.UploadPartCommand({ Bucket: this.bucket, Key, UploadId, PartNumber: i + 1, Body: body, ContentLength: body.byteLength }),
            ),
          );
          if (!res.ETag) throw new StorageError(`S3 UploadPart ${i + 1} returned no ETag`, this.loc(Key));
          etags[i] = res.ETag;
        }
      };
      await Promise.all(Array.from({ length: Math.min(PART_CONCURRENCY, nParts) }, worker));
      await this.retry('CompleteMultipartUpload', Key, () =>
        client.send(
          new sdk.CompleteMultipartUploadCommand({
            Bucket: this.bucket,
            Key,
            UploadId,
            MultipartUpload: { Parts: etags.map((ETag, i) => ({ ETag, PartNumber: i + 1 })) },
          }),
        ),
      );
    } catch (e) {
      await client
        .send(new sdk.AbortMultipartUploadCommand({ Bucket: this.bucket, Key, UploadId }))
        .catch(() => undefined);
      throw e instanceof StorageError ? e : this.wrap(e, 'multipart upload', Key);
    }
  }

  /** One conditional PUT (with retries). True = created, false = the object already existed (HTTP 412). */
  private async conditionalPut(Key: string, data: Uint8Array): Promise<boolean> {
    const { sdk, client } = await this.sdk();
    let ambiguous = false;
    let refused = false;
    const created = await this.retry(
      'PutObject (If-None-Match)',
      Key,
      async () => {
        try {
          await client.send(
            new sdk.PutObjectCommand({ Bucket: this.bucket, Key, Body: data, ContentLength: data.byteLength, IfNoneMatch: '*' }),
          );
          return true;
        } catch (e) {
          const status = errInfo(e).status;
          if (status === 412) return false;
          // A definite 4xx answer (access denied, bad request...) means this attempt was not applied.
          refused = status !== undefined && status >= 400 && status < 500 && status !== 408 && status !== 429;
          throw e;
        }
      },
      () => {
        ambiguous = true;
      },
    ).catch((e: unknown) => {
      if (refused && !ambiguous && e instanceof StorageError) {
        throw new StorageError(e.message, undefined, { cause: e.cause, notWritten: true });
      }
      throw e;
    });
    if (created || !ambiguous) return created;
    // An earlier attempt failed after it may have reached the server, and now the key exists: it may be our own
    // write. Identical bytes mean it is ours (a Delta commit carries a timestamp and commitInfo, so another
    // writer's commit is not byte-identical).
    const existing = await this.get(this.rel(Key)).catch(() => null);
    return existing !== null && Buffer.from(existing).equals(Buffer.from(data));
  }

  /** Does this endpoint enforce If-None-Match on PUT? Probed once per endpoint+bucket (cached). */
  private conditionalPutEnforced(): Promise<boolean> {
    const cacheKey = `${this.settings.endpoint ?? 'aws'}|${this.settings.region ?? ''}|${this.bucket}`;
    let p = probeCache.get(cacheKey);
    if (!p) {
      p = this.probe();
      probeCache.set(cacheKey, p);
      p.catch(() => probeCache.delete(cacheKey));
    }
    return p;
  }

  private async probe(): Promise<boolean> {
    const key = this.key(this.probeKey);
    const bytes = new TextEncoder().encode(`deltats conditional PUT probe ${new Date().toISOString()}\n`);
    try {
      const first = await this.conditionalPut(key, bytes);
      if (!first) return false; // a fresh random key "already existed": the condition is not evaluated sanely
      const second = await this.conditionalPut(key, bytes);
      return second === false;
    } finally {
      await this.delete(this.probeKey).catch(() => undefined);
    }
  }

  async putIfAbsent(rel: string, data: Uint8Array): Promise<boolean> {
    const Key = this.key(rel);
    if (!(await this.conditionalPutEnforced())) {
      if (!this.settings.singleWriter) {
        throw new StorageError(
          `S3 endpoint ${this.settings.endpoint ?? 'AWS S3'} does not enforce conditional PUT (If-None-Match: *): ` +
            'concurrent writers could overwrite each other and lose commits. Use a server that supports it, or, ' +
            'if only one process ever writes this table, set storage option singleWriter: true ' +
            '(AWS_S3_ALLOW_UNSAFE_RENAME=true)',
          this.loc(Key),
        );
      }
      const wkey = `${this.settings.endpoint ?? 'aws'}|${this.bucket}`;
      if (!warnedSingleWriter.has(wkey)) {
        warnedSingleWriter.add(wkey);
        process.emitWarning(
          `S3 endpoint ${this.settings.endpoint ?? 'AWS S3'} (bucket ${this.bucket}) does not enforce conditional PUT; ` +
            'singleWriter is set, so putIfAbsent uses head-then-put, which is unsafe with concurrent writers',
          { code: 'DELTATS_S3_NO_CONDITIONAL_PUT' },
        );
      }
      if (await this.head(rel)) return false;
      await this.put(rel, data);
      return true;
    }
    return this.conditionalPut(Key, data);
  }

  async *list(prefix: string, options: ListOptions = {}): AsyncIterable<ObjectMeta> {
    const Prefix = this.prefix ? `${this.prefix}/${prefix}` : prefix;
    const StartAfter = options.startAfter !== undefined ? this.key(options.startAfter) : undefined;
    const Delimiter = options.recursive === false ? '/' : undefined;
    const { sdk, client } = await this.sdk();
    let ContinuationToken: string | undefined;
    do {
      const res = await this.retry('ListObjectsV2', Prefix, () =>
        client.send(
          new sdk.ListObjectsV2Command({
            Bucket: this.bucket,
            Prefix,
            ...(ContinuationToken ? { ContinuationToken } : StartAfter !== undefined ? { StartAfter } : {}),
            ...(Delimiter ? { Delimiter } : {}),
          }),
        ),
      );
      for (const o of res.Contents ?? []) {
        if (o.Key === undefined) continue;
        if (StartAfter !== undefined && !(o.Key > StartAfter)) continue;
        yield { path: this.rel(o.Key), size: o.Size ?? 0, lastModified: o.LastModified ?? new Date(0) };
      }
      ContinuationToken = res.IsTruncated ? res.NextContinuationToken : undefined;
    } while (ContinuationToken);
  }

  async delete(rel: string): Promise<void> {
    const Key = this.key(rel);
    const { sdk, client } = await this.sdk();
    await this.retry('DeleteObject', Key, () => client.send(new sdk.DeleteObjectCommand({ Bucket: this.bucket, Key })));
  }

  /** DeleteObjects in batches of 1000; throws one StorageError listing every key S3 refused to delete. */
  async deleteMany(paths: string[]): Promise<void> {
    const keys = [...new Set(paths)].map((p) => this.key(p));
    const { sdk, client } = await this.sdk();
    const failures: string[] = [];
    const batches: string[][] = [];
    for (let i = 0; i < keys.length; i += DELETE_BATCH) batches.push(keys.slice(i, i + DELETE_BATCH));
    let next = 0;
    const worker = async (): Promise<void> => {
      for (let i = next++; i < batches.length; i = next++) {
        const batch = batches[i]!;
        const res = await this.retry('DeleteObjects', batch[0]!, () =>
          client.send(
            new sdk.DeleteObjectsCommand({
              Bucket: this.bucket,
              Delete: { Objects: batch.map((Key) => ({ Key })), Quiet: true },
            }),
          ),
        );
        for (const err of res.Errors ?? []) {
          if (err.Code === 'NoSuchKey') continue; // absent is not an error
          failures.push(`${err.Key ?? '?'} (${err.Code ?? 'Error'}: ${err.Message ?? ''})`);
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(4, batches.length) }, worker));
    if (failures.length > 0) {
      const shown = failures.slice(0, 10).join(', ');
      throw new StorageError(
        `S3 DeleteObjects failed for ${failures.length} of ${keys.length} keys in bucket '${this.bucket}': ${shown}` +
          (failures.length > 10 ? `, ...` : ''),
      );
    }
  }
}

/** Forget cached conditional-PUT probe results (tests). */
export function clearS3ProbeCache(): void {
  probeCache.clear();
  warnedSingleWriter.clear();
}
