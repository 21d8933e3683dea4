import { type IncomingMessage, type Server, type ServerResponse, createServer } from 'node:http';
import { type AddressInfo, type Server as NetServer, type Socket, createServer as createNetServer } from 'node:net';
import { afterAll, describe, expect, it } from 'vitest';
import type { FerryEvent } from '../../../src/core/events.js';
import { FerryError } from '../../../src/core/errors.js';
import { resumableBody } from '../../../src/registry/resumable-body.js';
import { Transport } from '../../../src/registry/transport.js';

const servers: Server[] = [];
async function serve(handler: (req: IncomingMessage, res: ServerResponse) => void): Promise<string> {
  const s = createServer(handler);
  servers.push(s);
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  return `http://127.0.0.1:${(s.address() as AddressInfo).port}/f?token=SECRET`;
}
afterAll(async () => {
  for (const s of servers) await new Promise((r) => (s.closeAllConnections(), s.close(r)));
});

const data = Buffer.alloc(100_000, 3);
const drain = async (s: AsyncIterable<unknown>) => {
  for await (const _ of s);
};

/** What the store needs to know to start again from byte 0: `rangeRefused`, the URL without its query. */
describe('resumableBody: a server that cannot continue at the asked offset', () => {
  const answers: [string, (res: ServerResponse, start: number) => void][] = [
    ['200 to a ranged request', (res) => res.writeHead(200, { 'content-length': data.length }).end(data)],
    [
      'a Content-Range starting elsewhere',
      (res, start) =>
        res.writeHead(206, { 'content-range': `bytes ${start - 10}-${data.length - 1}/${data.length}` }).end(data.subarray(start - 10)),
    ],
    ['416 for the prefix', (res) => res.writeHead(416).end()],
  ];
  for (const [name, answer] of answers) {
    it(`${name}: fails with details.rangeRefused, naming the URL without its query`, async () => {
      const url = await serve((req, res) => answer(res, Number(/bytes=(\d+)-/.exec(req.headers.range ?? '')?.[1] ?? 0)));
      const t = new Transport({ baseDelayMs: 1 });
      const body = resumableBody((from) => t.send({ method: 'GET', url, headers: { range: `bytes=${from}-` } }), {
        offset: 40_000,
        size: data.length,
        url,
        events: () => {},
      });
      const err = await drain(body).catch((e) => e);
      await t.close();
      expect(err).toMatchObject({ code: 'NETWORK_ERROR', details: { rangeRefused: true, url: url.replace('?token=SECRET', '?…') } });
      expect(err.message).toContain('at byte 40000');
      expect(err.message).not.toContain('SECRET');
    });
  }

  it('a 200 from byte 0 is a plain first answer, not a refusal', async () => {
    const url = await serve((_req, res) => res.writeHead(200, { 'content-length': data.length }).end(data));
    const t = new Transport();
    await drain(
      resumableBody((from) => t.send({ method: 'GET', url, headers: from ? { range: `bytes=${from}-` } : {} }), {
        offset: 0,
        size: data.length,
        url,
        events: () => {},
      }),
    );
    await t.close();
  });
});

/**
 * A raw loopback server (node:net, so the framing is exactly what is written): the first GET gets `first` (a body cut
 * short in some framing, then a clean close: FIN), a ranged GET gets the rest as a 206, or `ranged` when given.
 */
async function rawServer(
  first: (sock: Socket) => void,
  ranged?: (sock: Socket, start: number, n: number) => boolean,
): Promise<{ url: string; ranges: string[] }> {
  const ranges: string[] = [];
  let rangedCount = 0;
  const s = createNetServer((sock) => {
    sock.on('error', () => {});
    let head = '';
    sock.on('data', (d) => {
      head += d.toString('latin1');
      if (!head.includes('\r\n\r\n')) return;
      const range = /\r\nrange: bytes=(\d+)-\r\n/i.exec(head);
      if (!range) return first(sock);
      ranges.push(`bytes=${range[1]}-`);
      const start = Number(range[1]);
      if (ranged?.(sock, start, rangedCount++)) return;
      const rest = data.subarray(start);
      sock.end(
        Buffer.concat([
          Buffer.from(
            `HTTP/1.1 206 Partial Content\r\nContent-Length: ${rest.length}\r\nContent-Range: bytes ${start}-${data.length - 1}/${data.length}\r\nConnection: close\r\n\r\n`,
          ),
          rest,
        ]),
      );
    });
  });
  rawServers.push(s);
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${(s.address() as AddressInfo).port}/f`, ranges };
}
const rawServers: NetServer[] = [];
afterAll(async () => {
  for (const s of rawServers) await new Promise((r) => s.close(r));
});

const half = data.length / 2;
const chunked = (b: Buffer) => Buffer.concat([Buffer.from(`${b.length.toString(16)}\r\n`), b, Buffer.from('\r\n')]);

describe('resumableBody: a body that ends early in any framing is resumed with Range at the byte where it stopped', () => {
  const cases: [string, (sock: Socket) => void, number | undefined][] = [
    [
      'a clean close (FIN) before the Content-Length',
      (sock) =>
        sock.end(
          Buffer.concat([
            Buffer.from(`HTTP/1.1 200 OK\r\nContent-Length: ${data.length}\r\nConnection: close\r\n\r\n`),
            data.subarray(0, half),
          ]),
        ),
      undefined,
    ],
    [
      'the same from an HTTP/1.0 server (no Connection header)',
      (sock) => sock.end(Buffer.concat([Buffer.from(`HTTP/1.0 200 OK\r\nContent-Length: ${data.length}\r\n\r\n`), data.subarray(0, half)])),
      undefined,
    ],
    [
      'a chunked body without its last chunk',
      (sock) =>
        sock.end(
          Buffer.concat([
            Buffer.from('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n'),
            chunked(data.subarray(0, 20_000)),
            chunked(data.subarray(20_000, half)),
          ]),
        ),
      undefined,
    ],
    [
      'a chunked body cut inside a chunk',
      (sock) =>
        sock.end(
          Buffer.concat([
            Buffer.from(`HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n${data.length.toString(16)}\r\n`),
            data.subarray(0, half),
          ]),
        ),
      undefined,
    ],
    [
      'a body without a length (HTTP/1.0) that ends before the known size',
      (sock) => sock.end(Buffer.concat([Buffer.from('HTTP/1.0 200 OK\r\n\r\n'), data.subarray(0, half)])),
      data.length,
    ],
  ];
  for (const [name, first, size] of cases) {
    it(name, async () => {
      const { url, ranges } = await rawServer(first);
      const t = new Transport({ baseDelayMs: 1 });
      const events: FerryEvent[] = [];
      const body = resumableBody((from) => t.send({ method: 'GET', url, headers: from ? { range: `bytes=${from}-` } : {} }), {
        offset: 0,
        ...(size ? { size } : {}),
        url,
        events: (e) => events.push(e),
      });
      const got = Buffer.concat(await body.toArray());
      await t.close();
      expect(got.equals(data)).toBe(true);
      expect(ranges).toEqual([`bytes=${half}-`]);
      expect(events.filter((e) => e.type === 'retry').map((e) => (e as { reason: string }).reason)).toEqual([
        expect.stringContaining(`resuming at byte ${half}`),
      ]);
    });
  }

  it('without a known size, a body without a length that ends early is taken as whole (the digest check is what catches it)', async () => {
    const { url, ranges } = await rawServer((sock) =>
      sock.end(Buffer.concat([Buffer.from('HTTP/1.0 200 OK\r\n\r\n'), data.subarray(0, half)])),
    );
    const t = new Transport({ baseDelayMs: 1 });
    const got = Buffer.concat(
      await resumableBody((from) => t.send({ method: 'GET', url, headers: from ? { range: `bytes=${from}-` } : {} }), {
        offset: 0,
        url,
        events: () => {},
      }).toArray(),
    );
    await t.close();
    expect(got.length).toBe(half);
    expect(ranges).toEqual([]);
  });

  it('a resumed request answered 429 (Retry-After: 1) and then 503 is retried until the 206 comes', async () => {
    const { url, ranges } = await rawServer(
      (sock) =>
        sock.end(
          Buffer.concat([
            Buffer.from(`HTTP/1.1 200 OK\r\nContent-Length: ${data.length}\r\nConnection: close\r\n\r\n`),
            data.subarray(0, half),
          ]),
        ),
      (sock, _start, n) => {
        if (n === 0) sock.end('HTTP/1.1 429 Too Many Requests\r\nRetry-After: 1\r\nContent-Length: 0\r\nConnection: close\r\n\r\n');
        else if (n === 1) sock.end('HTTP/1.1 503 Service Unavailable\r\nContent-Length: 0\r\nConnection: close\r\n\r\n');
        else return false;
        return true;
      },
    );
    const events: FerryEvent[] = [];
    const t = new Transport({ baseDelayMs: 1, events: (e) => events.push(e) });
    const started = Date.now();
    const got = Buffer.concat(
      await resumableBody((from) => t.send({ method: 'GET', url, headers: from ? { range: `bytes=${from}-` } : {} }), {
        offset: 0,
        url,
        events: (e) => events.push(e),
      }).toArray(),
    );
    await t.close();
    expect(got.equals(data)).toBe(true);
    expect(ranges).toEqual([`bytes=${half}-`, `bytes=${half}-`, `bytes=${half}-`]);
    expect(events.filter((e) => e.type === 'retry').map((e) => (e as { reason: string }).reason)).toEqual([
      expect.stringContaining('resuming at byte'),
      'HTTP 429',
      'HTTP 503',
    ]);
    expect(Date.now() - started).toBeGreaterThanOrEqual(1000); // Retry-After: 1 was waited for
  });

  it('gives up after maxResumes, naming the byte, the cause and the URL', async () => {
    const { url } = await rawServer(
      (sock) =>
        sock.end(
          Buffer.concat([
            Buffer.from(`HTTP/1.1 200 OK\r\nContent-Length: ${data.length}\r\nConnection: close\r\n\r\n`),
            data.subarray(0, 10),
          ]),
        ),
      (sock, start) => {
        sock.end(
          Buffer.concat([
            Buffer.from(
              `HTTP/1.1 206 Partial Content\r\nContent-Length: ${data.length - start}\r\nContent-Range: bytes ${start}-${data.length - 1}/${data.length}\r\nConnection: close\r\n\r\n`,
            ),
            data.subarray(start, start + 10),
          ]),
        );
        return true;
      },
    );
    const t = new Transport({ baseDelayMs: 1 });
    const err = await drain(
      resumableBody((from) => t.send({ method: 'GET', url, headers: from ? { range: `bytes=${from}-` } : {} }), {
        offset: 0,
        url,
        events: () => {},
        maxResumes: 2,
      }),
    ).catch((e) => e);
    await t.close();
    expect(err).toMatchObject({ code: 'NETWORK_ERROR' });
    expect(err.message).toBe(
      `${url}: download broke off at byte 30: the server closed the connection before the end of the body (Content-Length) (resumed 2 times)`,
    );
  });
});

/** Ctrl-C mid-body (issue 12): the abort is the error, not a broken-off download to resume or to retry from the start. */
describe('resumableBody: a body aborted by the signal', () => {
  it('fails with the abort reason itself (INTERRUPTED, not a retriable NETWORK_ERROR), and reports no resume', async () => {
    const { url } = await rawServer((sock) =>
      sock.write(Buffer.concat([Buffer.from(`HTTP/1.1 200 OK\r\nContent-Length: ${data.length}\r\n\r\n`), data.subarray(0, half)])),
    );
    const controller = new AbortController();
    const t = new Transport({ baseDelayMs: 1, signal: controller.signal });
    const events: FerryEvent[] = [];
    const body = resumableBody((from) => t.send({ method: 'GET', url, headers: from ? { range: `bytes=${from}-` } : {} }), {
      offset: 0,
      size: data.length,
      url,
      events: (e) => events.push(e),
    });
    let got = 0;
    const err = await (async () => {
      for await (const chunk of body) {
        got += (chunk as Buffer).length;
        if (got >= half) controller.abort(new FerryError('INTERRUPTED', 'interrupted by SIGINT', { signal: 'SIGINT' }));
      }
    })().catch((e) => e);
    await t.close();
    expect(err).toMatchObject({ code: 'INTERRUPTED', message: 'interrupted by SIGINT' });
    expect(events.filter((e) => e.type === 'retry')).toEqual([]);
  });
});
