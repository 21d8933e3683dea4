import { type IncomingMessage, type Server, type ServerResponse, createServer } from 'node:http';
import { type Server as NetServer, type Socket, createServer as createNetServer } from 'node:net';
import type { AddressInfo } from 'node:net';

export interface Hostile {
  url: string;
  stop(): Promise<void>;
}

/** An HTTP server on a free loopback port answering with `handler`; every socket is destroyed on stop. */
export async function startHostile(handler: (req: IncomingMessage, res: ServerResponse) => void): Promise<Hostile> {
  const server: Server = createServer(handler);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    stop: () => new Promise<void>((r) => (server.closeAllConnections(), server.close(() => r()))),
  };
}

/** A TCP server that accepts connections and never answers (no status line, no headers). */
export async function startSilent(): Promise<Hostile & { accepted: () => number }> {
  const sockets = new Set<Socket>();
  let accepted = 0;
  const server: NetServer = createNetServer((s) => {
    accepted++;
    sockets.add(s);
    s.on('error', () => undefined);
    s.resume(); // read the request, answer nothing
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    accepted: () => accepted,
    stop: () => new Promise<void>((r) => (sockets.forEach((s) => s.destroy()), server.close(() => r()))),
  };
}

/** Streams `total` bytes (Infinity: forever) of `fill` in 1 MiB writes, honouring backpressure, until the client goes. */
export function streamBytes(res: ServerResponse, total: number, fill = 0x61): void {
  const chunk = Buffer.alloc(1 << 20, fill);
  let sent = 0;
  const pump = () => {
    while (sent < total && !res.destroyed) {
      const n = Math.min(chunk.length, total - sent);
      sent += n;
      if (!res.write(n === chunk.length ? chunk : chunk.subarray(0, n))) return void res.once('drain', pump);
    }
    if (sent >= total) res.end();
  };
  res.on('error', () => undefined);
  pump();
}

/** Sends `body` one byte every `everyMs`. */
export function trickle(res: ServerResponse, body: Buffer, everyMs: number): void {
  let i = 0;
  res.on('error', () => undefined);
  const t = setInterval(() => {
    if (res.destroyed || i >= body.length) {
      clearInterval(t);
      if (!res.destroyed) res.end();
      return;
    }
    res.write(body.subarray(i, ++i));
  }, everyMs);
  res.on('close', () => clearInterval(t));
}
