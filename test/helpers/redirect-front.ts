import { type IncomingMessage, type Server, type ServerResponse, createServer, request } from 'node:http';
import type { AddressInfo } from 'node:net';
import { onCleanup } from './cleanup.js';

/** One request as a loopback server received it: what the credential tests look at. */
export interface Received {
  method: string;
  path: string;
  authorization?: string;
}

export interface LoopbackServer {
  /** http://127.0.0.1:PORT */
  url: string;
  /** 127.0.0.1:PORT */
  host: string;
  log: Received[];
  stop(): Promise<void>;
}

/** A loopback HTTP server that logs every request before `handler` answers it. */
export async function startLoopbackServer(
  handler: (req: IncomingMessage, res: ServerResponse) => void,
  log: Received[] = [],
): Promise<LoopbackServer> {
  const server: Server = createServer((req, res) => {
    log.push({
      method: req.method ?? '',
      path: req.url ?? '',
      ...(req.headers.authorization ? { authorization: req.headers.authorization } : {}),
    });
    handler(req, res);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const host = `127.0.0.1:${(server.address() as AddressInfo).port}`;
  const stop = () => new Promise<void>((r) => (unregister(), server.closeAllConnections(), server.close(() => r())));
  const unregister = onCleanup(stop);
  return { url: `http://${host}`, host, log, stop };
}

export interface RedirectFront extends LoopbackServer {
  /** Base URL manifests and blobs are redirected to; may be changed between tests. */
  target: string;
}

/**
 * A registry front like registry.k8s.io: it asks for its own Basic login, answers the /v2/ check itself, and sends
 * every manifest and blob request on with 307 to the same path on `target` (Artifact Registry, for the real one).
 */
export async function startRedirectFront(opts: { username: string; password: string; target: string }): Promise<RedirectFront> {
  const basic = `Basic ${Buffer.from(`${opts.username}:${opts.password}`).toString('base64')}`;
  const front = await startLoopbackServer((req, res) => {
    req.resume();
    if (req.headers.authorization !== basic) return void res.writeHead(401, { 'www-authenticate': 'Basic realm="front"' }).end();
    const path = req.url ?? '/';
    if (path === '/v2/')
      return void res.writeHead(200, { 'content-type': 'application/json', 'docker-distribution-api-version': 'registry/2.0' }).end('{}');
    if (/^\/v2\/.+\/(manifests|blobs)\/[^/]+$/.test(path)) return void res.writeHead(307, { location: `${self.target}${path}` }).end();
    res.writeHead(404).end();
  }, []);
  const self: RedirectFront = Object.assign(front, { target: opts.target });
  return self;
}

/** A pass-through to `upstream` (a real registry) that records what it receives, headers included. */
export async function startRecordingProxy(upstream: string): Promise<LoopbackServer> {
  const to = new URL(upstream);
  return startLoopbackServer((req, res) => {
    const out = request(
      { host: to.hostname, port: to.port, method: req.method, path: req.url, headers: { ...req.headers, host: to.host } },
      (up) => {
        res.writeHead(up.statusCode ?? 502, up.headers);
        up.pipe(res);
      },
    );
    out.on('error', () => res.destroy());
    req.pipe(out);
  }, []);
}
