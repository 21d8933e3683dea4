import { type IncomingMessage, type Server, type ServerResponse, createServer, request } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A reverse proxy on loopback in front of a real server (the registry), passing everything through except what a
 * rule says: answer with an error status a few times, cut the connection part-way through a body, redirect to
 * another origin, or flip a byte. It logs every request so tests can assert what the client sent.
 */
export type Action =
  | { status: number; retryAfter?: string }
  | { dropAfterBytes: number }
  /**
   * Forward the answer as `Connection: close`, then end the connection cleanly (FIN, not a reset) after N body bytes:
   * the body ends short of its Content-Length on a connection that was not to be kept alive. With `chunked`, the answer
   * is re-framed as chunked (no Content-Length) and ends without its terminating chunk.
   */
  | { truncateAfterBytes: number; chunked?: boolean }
  | { redirectTo: string }
  | { corrupt: true }
  /** Pass through without the Range header: the answer is 200 with the whole body, as from a server without Range. */
  | { ignoreRange: true };

export interface Rule {
  method?: string;
  path: RegExp;
  /** How many matching requests the rule acts on (then it passes them through). */
  times: number;
  action: Action;
}

export interface LoggedRequest {
  method: string;
  path: string;
  headers: Record<string, string | string[] | undefined>;
  /** What the proxy did: 'pass' or the rule's kind. */
  outcome: string;
}

export interface ChaosProxy {
  url: string;
  host: string;
  rules: Rule[];
  log: LoggedRequest[];
  /** TCP connections the client opened to the proxy so far (keep-alive reuses one). */
  connections(): number;
  stop(): Promise<void>;
}

export async function startChaosProxy(target: string, opts: { injectAuthorization?: string } = {}): Promise<ChaosProxy> {
  const upstream = new URL(target);
  const rules: Rule[] = [];
  const log: LoggedRequest[] = [];
  const server: Server = createServer((req, res) => {
    const entry: LoggedRequest = { method: req.method ?? '', path: req.url ?? '', headers: { ...req.headers }, outcome: 'pass' };
    log.push(entry);
    const rule = rules.find((r) => r.times > 0 && (!r.method || r.method === req.method) && r.path.test(req.url ?? ''));
    if (rule) rule.times--;
    const a = rule?.action;
    if (a && 'status' in a) {
      entry.outcome = `status ${a.status}`;
      req.resume();
      res.writeHead(a.status, a.retryAfter ? { 'retry-after': a.retryAfter } : {});
      res.end();
      return;
    }
    if (a && 'redirectTo' in a) {
      entry.outcome = 'redirect';
      req.resume();
      res.writeHead(307, { location: `${a.redirectTo}${req.url}` });
      res.end();
      return;
    }
    forward(req, res, upstream, server, opts.injectAuthorization, a, entry);
  });
  let connections = 0;
  server.on('connection', () => connections++);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  return {
    connections: () => connections,
    url: `http://127.0.0.1:${port}`,
    host: `127.0.0.1:${port}`,
    rules,
    log,
    stop: () => new Promise<void>((r) => (server.closeAllConnections(), server.close(() => r()))),
  };
}

function forward(
  req: IncomingMessage,
  res: ServerResponse,
  upstream: URL,
  server: Server,
  inject: string | undefined,
  action: Action | undefined,
  entry: LoggedRequest,
): void {
  const port = (server.address() as AddressInfo).port;
  // The registry builds absolute upload Locations from Host, so it must see the proxy's own address.
  const headers = { ...req.headers, host: `127.0.0.1:${port}` };
  if (inject) headers.authorization = inject;
  if (action && 'ignoreRange' in action) {
    entry.outcome = 'ignore-range';
    delete headers.range;
  }
  const out = request({ host: upstream.hostname, port: upstream.port, method: req.method, path: req.url, headers }, (up) => {
    if (action && 'truncateAfterBytes' in action) return truncate(up, res, action, entry);
    res.writeHead(up.statusCode ?? 502, up.headers);
    if (action && 'dropAfterBytes' in action) {
      entry.outcome = 'drop';
      let sent = 0;
      up.on('data', (chunk: Buffer) => {
        const room = action.dropAfterBytes - sent;
        if (room > 0) res.write(chunk.subarray(0, room));
        sent += chunk.length;
        if (sent >= action.dropAfterBytes && !up.destroyed) {
          up.destroy();
          // Let the client read what was sent before the connection dies, as on a real network.
          setTimeout(() => res.socket?.destroy(), 100);
        }
      });
      return;
    }
    if (action && 'corrupt' in action) {
      entry.outcome = 'corrupt';
      let first = true;
      up.on('data', (chunk: Buffer) => {
        if (first && chunk.length > 0) {
          const c = Buffer.from(chunk);
          c[0] = (c[0] as number) ^ 0xff;
          res.write(c);
          first = false;
        } else res.write(chunk);
      });
      up.on('end', () => res.end());
      return;
    }
    up.pipe(res);
  });
  out.on('error', () => res.destroy());
  req.pipe(out);
}

function truncate(
  up: IncomingMessage,
  res: ServerResponse,
  a: { truncateAfterBytes: number; chunked?: boolean },
  entry: LoggedRequest,
): void {
  const after = a.truncateAfterBytes;
  entry.outcome = a.chunked ? 'truncate-chunked' : 'truncate';
  const { 'content-length': _length, ...rest } = up.headers;
  // Without a Content-Length, Node frames an HTTP/1.1 answer as chunked; the socket's end below skips the last chunk.
  res.writeHead(
    up.statusCode ?? 502,
    a.chunked ? { ...rest, 'transfer-encoding': 'chunked', connection: 'close' } : { ...up.headers, connection: 'close' },
  );
  let sent = 0;
  up.on('data', (chunk: Buffer) => {
    const room = after - sent;
    if (room > 0) res.write(chunk.subarray(0, room));
    sent += chunk.length;
    if (sent < after || up.destroyed) return;
    up.destroy();
    // end() flushes what was written, then sends FIN.
    res.socket?.end();
  });
}
