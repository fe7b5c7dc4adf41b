// Test helpers: tiny local proxies in front of the real S3 server to inject faults (503, dropped connections,
// an endpoint that ignores If-None-Match). Test-only; they forward everything else unchanged.
import * as http from 'node:http';
import * as net from 'node:net';
import { createHash, createHmac } from 'node:crypto';
import type { AddressInfo } from 'node:net';

export interface Proxy {
  endpoint: string;
  close(): Promise<void>;
}

export interface ProxiedRequest {
  method: string;
  url: string;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
}

/**
 * `decide` sees each buffered request: return 'forward', `{status, body}` to answer it here, or
 * `{forward: modifiedRequest, dropResponse?}` (dropResponse: forward, then cut the client's connection instead
 * of answering, so the client cannot know whether the request took effect).
 */
export type Decision =
  | 'forward'
  | { status: number; body: string }
  | { forward: ProxiedRequest; dropResponse?: boolean };

function listen(server: net.Server): Promise<number> {
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve((server.address() as AddressInfo).port)));
}

export async function startHttpProxy(target: string, decide: (req: ProxiedRequest) => Decision): Promise<Proxy> {
  const t = new URL(target);
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const incoming: ProxiedRequest = { method: req.method!, url: req.url!, headers: req.headers, body: Buffer.concat(chunks) };
      const d = decide(incoming);
      if (d !== 'forward' && 'status' in d) {
        res.writeHead(d.status, { 'content-type': 'application/xml', 'content-length': Buffer.byteLength(d.body) });
        res.end(d.body);
        return;
      }
      const out = d === 'forward' ? incoming : d.forward;
      const drop = d !== 'forward' && d.dropResponse === true;
      const up = http.request(
        { host: t.hostname, port: t.port, method: out.method, path: out.url, headers: out.headers },
        (upRes) => {
          const body: Buffer[] = [];
          upRes.on('data', (c: Buffer) => body.push(c));
          upRes.on('end', () => {
            if (drop) {
              req.socket.destroy();
              return;
            }
            res.writeHead(upRes.statusCode ?? 502, upRes.headers);
            res.end(Buffer.concat(body));
          });
        },
      );
      up.on('error', () => req.socket.destroy());
      up.end(out.body);
    });
  });
  const port = await listen(server);
  return {
    endpoint: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/**
 * A TCP proxy that cuts a connection (both sides) after forwarding `cutAfter` bytes on it in `direction`:
 * client->server ('request', the default) or server->client ('response': a body cut off mid-transfer).
 */
export async function startCuttingTcpProxy(
  target: string,
  cutAfter: number,
  direction: 'request' | 'response' = 'request',
): Promise<Proxy & { cuts: () => number }> {
  const t = new URL(target);
  let cuts = 0;
  const sockets = new Set<net.Socket>();
  const server = net.createServer((client) => {
    const upstream = net.connect(Number(t.port), t.hostname);
    sockets.add(client).add(upstream);
    const [from, to] = direction === 'request' ? [client, upstream] : [upstream, client];
    let sent = 0;
    from.on('data', (chunk: Buffer) => {
      if (sent + chunk.length > cutAfter) {
        to.write(chunk.subarray(0, Math.max(0, cutAfter - sent)));
        cuts++;
        client.destroy();
        upstream.destroy();
        return;
      }
      sent += chunk.length;
      to.write(chunk);
    });
    to.on('data', (c: Buffer) => from.write(c));
    const end = (): void => {
      client.destroy();
      upstream.destroy();
    };
    client.on('error', end).on('close', end);
    upstream.on('error', end).on('close', end);
  });
  const port = await listen(server);
  return {
    endpoint: `http://127.0.0.1:${port}`,
    cuts: () => cuts,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

const hmac = (key: Buffer | string, data: string): Buffer => createHmac('sha256', key).update(data).digest();

/**
 * Remove a signed header from a SigV4-signed request and sign it again (the test knows the secret), so the
 * server accepts the request as if the client had never sent that header.
 */
export function dropSignedHeader(req: ProxiedRequest, header: string, secretAccessKey: string): ProxiedRequest {
  const h = header.toLowerCase();
  const headers: http.IncomingHttpHeaders = { ...req.headers };
  delete headers[h];
  const auth = String(headers.authorization ?? '');
  const m = /^AWS4-HMAC-SHA256 Credential=([^/]+)\/(\d{8})\/([^/]+)\/([^/]+)\/aws4_request, ?SignedHeaders=([^,]+), ?Signature=[0-9a-f]+$/.exec(auth);
  if (!m) throw new Error(`unexpected Authorization header: ${auth}`);
  const [, accessKey, date, region, service, signedList] = m as unknown as [string, string, string, string, string, string];
  const signed = signedList.split(';').filter((x) => x !== h);
  const [pathPart, query = ''] = req.url.split('?', 2) as [string, string?];
  const canonicalQuery = query
    .split('&')
    .filter((p) => p !== '')
    .map((p) => (p.includes('=') ? p : `${p}=`))
    .sort()
    .join('&');
  const canonicalHeaders = signed.map((name) => `${name}:${String(headers[name] ?? '').trim().replace(/\s+/g, ' ')}\n`).join('');
  const payloadHash = String(headers['x-amz-content-sha256'] ?? createHash('sha256').update(req.body).digest('hex'));
  const canonicalRequest = [req.method, pathPart, canonicalQuery, canonicalHeaders, signed.join(';'), payloadHash].join('\n');
  const scope = `${date}/${region}/${service}/aws4_request`;
  const stringToSign = [
    'AWS4-HMAC-SHA256',
    String(headers['x-amz-date']),
    scope,
    createHash('sha256').update(canonicalRequest).digest('hex'),
  ].join('\n');
  const kSigning = hmac(hmac(hmac(hmac(`AWS4${secretAccessKey}`, date), region), service), 'aws4_request');
  const signature = createHmac('sha256', kSigning).update(stringToSign).digest('hex');
  headers.authorization = `AWS4-HMAC-SHA256 Credential=${accessKey}/${scope}, SignedHeaders=${signed.join(';')}, Signature=${signature}`;
  return { ...req, headers };
}

