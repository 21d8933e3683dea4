import { type Server, type Socket, createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { onCleanup } from './cleanup.js';

/**
 * A loopback HTTP server written on node:net, so each response is framed exactly as written: headers, body (whole or
 * cut short), then a clean close (FIN: `socket.end()`) or a reset (RST). Every connection is closed after its response,
 * as HTTP/1.0 servers and `Connection: close` do. The path picks the framing (FRAMINGS).
 */
export const FRAMINGS = {
  /** Content-Length, whole body, `Connection: close`. */
  cl: { status: 'HTTP/1.1 200 OK', headers: 'Connection: close', framing: 'length', part: 1, close: 'fin' },
  /** As Python's http.server answers: HTTP/1.0 with a Content-Length and no Connection header. */
  'cl-http10': { status: 'HTTP/1.0 200 OK', headers: '', framing: 'length', part: 1, close: 'fin' },
  /** Content-Length promising the whole body, half of it, then FIN. */
  'cl-short': { status: 'HTTP/1.1 200 OK', headers: 'Connection: close', framing: 'length', part: 0.5, close: 'fin' },
  /** The same, the half written in 2000-byte pieces a millisecond apart. */
  'cl-short-trickle': {
    status: 'HTTP/1.1 200 OK',
    headers: 'Connection: close',
    framing: 'length',
    part: 0.5,
    close: 'fin',
    trickle: true,
  },
  /** The same, ended by a reset instead of FIN. */
  'cl-short-rst': { status: 'HTTP/1.1 200 OK', headers: 'Connection: close', framing: 'length', part: 0.5, close: 'rst', trickle: true },
  /** Chunked, whole body and its terminating chunk. */
  chunked: { status: 'HTTP/1.1 200 OK', headers: 'Connection: close', framing: 'chunked', part: 1, close: 'fin' },
  /** Chunked, cut inside a chunk (no terminating chunk), then FIN. */
  'chunked-short': { status: 'HTTP/1.1 200 OK', headers: 'Connection: close', framing: 'chunked', part: 0.5, close: 'fin' },
  /** No length (HTTP/1.0): the body ends where the connection does. */
  eof: { status: 'HTTP/1.0 200 OK', headers: '', framing: 'eof', part: 1, close: 'fin' },
  /** The same, half the body: only a known size can tell it is short. */
  'eof-short': { status: 'HTTP/1.0 200 OK', headers: '', framing: 'eof', part: 0.5, close: 'fin' },
} as const;
export type Framing = keyof typeof FRAMINGS;

export interface FramingServer {
  url: string;
  stop(): Promise<void>;
}

export async function startFramingServer(body: Buffer): Promise<FramingServer> {
  const sockets = new Set<Socket>();
  const server: Server = createServer((sock) => {
    sockets.add(sock);
    sock.on('close', () => sockets.delete(sock));
    sock.on('error', () => {});
    let head = '';
    sock.on('data', (d) => {
      if (head.includes('\r\n\r\n')) return;
      head += d.toString('latin1');
      if (!head.includes('\r\n\r\n')) return;
      const path = /^GET \/([^ ]*) /.exec(head)?.[1] ?? '';
      const f = (FRAMINGS as Record<string, (typeof FRAMINGS)[Framing]>)[path];
      if (!f) return void sock.end('HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n');
      respond(sock, f, body);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const stop = () =>
    new Promise<void>((r) => {
      for (const s of sockets) s.destroy();
      server.close(() => r());
    });
  const unregister = onCleanup(stop);
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    stop: async () => (unregister(), await stop()),
  };
}

function respond(sock: Socket, f: (typeof FRAMINGS)[Framing], body: Buffer): void {
  const part = body.subarray(0, Math.floor(body.length * f.part));
  const length = f.framing === 'length' ? `Content-Length: ${body.length}\r\n` : '';
  const chunked = f.framing === 'chunked' ? 'Transfer-Encoding: chunked\r\n' : '';
  sock.write(`${f.status}\r\n${length}${chunked}${f.headers ? `${f.headers}\r\n` : ''}\r\n`);
  // A chunked body is one chunk announcing the whole body: cut short, it stops inside that chunk.
  if (f.framing === 'chunked') sock.write(`${body.length.toString(16)}\r\n`);
  const tail = f.framing === 'chunked' && f.part === 1 ? '\r\n0\r\n\r\n' : '';
  const close = () => (f.close === 'rst' ? setTimeout(() => sock.resetAndDestroy(), 5) : sock.end(tail));
  if (!('trickle' in f)) {
    sock.write(part);
    return void close();
  }
  let at = 0;
  const timer = setInterval(() => {
    if (sock.destroyed) return clearInterval(timer);
    sock.write(part.subarray(at, at + 2000));
    at += 2000;
    if (at >= part.length) {
      clearInterval(timer);
      close();
    }
  }, 1);
}
