import { type Server, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

/** A loopback static file server with Range support and a request log, for file downloads in tests. */
export interface FileHost {
  url: string;
  files: Map<string, Buffer>;
  log: { method: string; path: string; raw: string; range?: string; authorization?: string }[];
  /** Cut the next response for this path after N bytes (once). */
  dropOnce: Map<string, number>;
  /** Answer this path with a status N times before serving it. */
  failTimes: Map<string, { status: number; times: number }>;
  /** While set for a path: send only its first N bytes, then hold the connection open (a download hung half-way). */
  stall: Map<string, number>;
  /** The Range headers asked for, in order. */
  ranges(): string[];
  stop(): Promise<void>;
}

export async function startFileHost(initial: Record<string, Buffer | string> = {}): Promise<FileHost> {
  const files = new Map(Object.entries(initial).map(([k, v]) => [k, Buffer.from(v)]));
  const log: FileHost['log'] = [];
  const dropOnce = new Map<string, number>();
  const failTimes = new Map<string, { status: number; times: number }>();
  const stall = new Map<string, number>();
  const server: Server = createServer((req, res) => {
    const path = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname);
    log.push({
      method: req.method ?? '',
      path,
      raw: req.url ?? '',
      ...(req.headers.range ? { range: req.headers.range } : {}),
      ...(req.headers.authorization ? { authorization: req.headers.authorization } : {}),
    });
    const fail = failTimes.get(path);
    if (fail && fail.times > 0) {
      fail.times--;
      res.writeHead(fail.status, fail.status === 429 ? { 'retry-after': '0' } : {});
      res.end();
      return;
    }
    const body = files.get(path);
    if (!body) {
      res.writeHead(404);
      res.end('not found');
      return;
    }
    const m = /^bytes=(\d+)-$/.exec(req.headers.range ?? '');
    const start = m ? Number(m[1]) : 0;
    if (start > body.length) {
      res.writeHead(416);
      res.end();
      return;
    }
    const part = body.subarray(start);
    res.writeHead(m ? 206 : 200, {
      'content-length': String(part.length),
      'accept-ranges': 'bytes',
      ...(m ? { 'content-range': `bytes ${start}-${body.length - 1}/${body.length}` } : {}),
    });
    if (req.method === 'HEAD') return void res.end();
    const held = stall.get(path);
    if (held !== undefined) return void res.write(part.subarray(0, held));
    const drop = dropOnce.get(path);
    if (drop !== undefined) {
      dropOnce.delete(path);
      res.write(part.subarray(0, drop), () => res.socket?.destroy());
      return;
    }
    res.end(part);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    files,
    log,
    dropOnce,
    failTimes,
    stall,
    ranges: () => log.flatMap((l) => (l.range ? [l.range] : [])),
    stop: () => new Promise<void>((r) => (server.closeAllConnections(), server.close(() => r()))),
  };
}
