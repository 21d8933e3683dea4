import { type Socket, connect, createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { Transform } from 'node:stream';

/**
 * A TCP proxy on loopback that caps each direction at `bytesPerSecond` (shared by all its connections, like one
 * link): a pull through it, or a push, lasts long enough to watch its progress. Bytes pass unchanged.
 */
export interface ThrottleProxy {
  host: string;
  url: string;
  stop(): Promise<void>;
}

function limiter(bytesPerSecond: number) {
  let next = Date.now();
  return () =>
    new Transform({
      transform(chunk: Buffer, _enc, cb) {
        const pieces: Buffer[] = [];
        for (let i = 0; i < chunk.length; i += 16 * 1024) pieces.push(chunk.subarray(i, i + 16 * 1024));
        const sendNext = () => {
          const piece = pieces.shift();
          if (!piece) return cb();
          const now = Date.now();
          next = Math.max(next, now) + (piece.length * 1000) / bytesPerSecond;
          setTimeout(() => (this.push(piece), sendNext()), Math.max(0, next - now - (piece.length * 1000) / bytesPerSecond));
        };
        sendNext();
      },
    });
}

export async function startThrottleProxy(target: string, bytesPerSecond: number): Promise<ThrottleProxy> {
  const [host, port] = [target.slice(0, target.lastIndexOf(':')), Number(target.slice(target.lastIndexOf(':') + 1))];
  const up = limiter(bytesPerSecond);
  const down = limiter(bytesPerSecond);
  const sockets = new Set<Socket>();
  const server = createServer((client) => {
    const upstream = connect(port, host);
    for (const s of [client, upstream]) {
      sockets.add(s);
      s.on('close', () => sockets.delete(s));
      s.on('error', () => (client.destroy(), upstream.destroy()));
    }
    client.pipe(up()).pipe(upstream);
    upstream.pipe(down()).pipe(client);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const p = (server.address() as AddressInfo).port;
  return {
    host: `127.0.0.1:${p}`,
    url: `http://127.0.0.1:${p}`,
    stop: () =>
      new Promise<void>((r) => {
        for (const s of sockets) s.destroy();
        server.close(() => r());
      }),
  };
}
