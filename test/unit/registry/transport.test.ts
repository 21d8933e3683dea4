import { type IncomingMessage, type Server, type ServerResponse, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import type { FerryEvent } from '../../../src/core/events.js';
import { resumableBody } from '../../../src/registry/resumable-body.js';
import { Transport, parseRetryAfter, redact } from '../../../src/registry/transport.js';

// In-process HTTP servers for fault injection (real registries are used in the integration tests).
const servers: Server[] = [];
async function serve(handler: (req: IncomingMessage, res: ServerResponse) => void): Promise<string> {
  const s = createServer(handler);
  servers.push(s);
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  return `http://127.0.0.1:${(s.address() as AddressInfo).port}`;
}
afterEach(async () => {
  for (const s of servers.splice(0)) await new Promise((r) => (s.closeAllConnections(), s.close(r)));
});

describe('Transport', () => {
  it('retries 429 with Retry-After and 503, reporting each retry', async () => {
    let n = 0;
    const url = await serve((_req, res) => {
      n++;
      if (n === 1) res.writeHead(429, { 'retry-after': '0' }).end();
      else if (n === 2) res.writeHead(503).end();
      else res.end('ok');
    });
    const events: FerryEvent[] = [];
    const t = new Transport({ baseDelayMs: 1, events: (e) => events.push(e) });
    const res = await t.send({ method: 'GET', url: `${url}/x` });
    expect(await res.body.text()).toBe('ok');
    expect(events.flatMap((e) => (e.type === 'retry' ? [e.reason] : []))).toEqual(['HTTP 429', 'HTTP 503']);
    await t.close();
  });

  it('gives up after maxAttempts and returns the last answer', async () => {
    const url = await serve((_req, res) => res.writeHead(500).end());
    const t = new Transport({ baseDelayMs: 1, maxAttempts: 3 });
    expect((await t.send({ method: 'GET', url })).status).toBe(500);
    await t.close();
  });

  it('drops Authorization on a cross-origin redirect, keeps it on a same-origin one', async () => {
    const seen: (string | undefined)[] = [];
    const other = await serve((req, res) => (seen.push(req.headers.authorization), res.end('other')));
    const origin = await serve((req, res) => {
      if (req.url === '/same') return void res.writeHead(307, { location: '/final' }).end();
      if (req.url === '/final') return void (seen.push(req.headers.authorization), res.end('final'));
      res.writeHead(307, { location: `${other}/blob` }).end();
    });
    const t = new Transport();
    expect(await (await t.send({ method: 'GET', url: `${origin}/cross`, headers: { authorization: 'Bearer secret' } })).body.text()).toBe(
      'other',
    );
    expect(await (await t.send({ method: 'GET', url: `${origin}/same`, headers: { authorization: 'Bearer secret' } })).body.text()).toBe(
      'final',
    );
    expect(seen).toEqual([undefined, 'Bearer secret']);
    await t.close();
  });

  it('parses Retry-After forms and redacts URLs for messages', () => {
    expect(parseRetryAfter('3')).toBe(3000);
    expect(parseRetryAfter(new Date(Date.now() + 5000).toUTCString())).toBeGreaterThan(3000);
    expect(parseRetryAfter('soon')).toBeUndefined();
    expect(redact('https://user:pw@host/v2/x/blobs/uploads/abc?_state=SECRET')).toBe('https://***@host/v2/x/blobs/uploads/abc?…');
  });
});

describe('resumableBody', () => {
  const data = Buffer.alloc(200_000, 7).map((_, i) => i % 251);
  const read = async (s: AsyncIterable<unknown>) => {
    const chunks: Buffer[] = [];
    for await (const c of s) chunks.push(c as Buffer);
    return Buffer.concat(chunks);
  };

  it('resumes with Range after a dropped connection and yields each byte exactly once', async () => {
    let first = true;
    const ranges: (string | undefined)[] = [];
    const url = await serve((req, res) => {
      ranges.push(req.headers.range);
      const start = Number(/bytes=(\d+)-/.exec(req.headers.range ?? '')?.[1] ?? 0);
      const part = data.subarray(start);
      res.writeHead(start ? 206 : 200, {
        'content-length': part.length,
        ...(start ? { 'content-range': `bytes ${start}-${data.length - 1}/${data.length}` } : {}),
      });
      if (first) {
        first = false;
        res.write(part.subarray(0, 70_000), () => setTimeout(() => res.socket?.destroy(), 50));
      } else res.end(part);
    });
    const t = new Transport();
    const body = resumableBody((from) => t.send({ method: 'GET', url, headers: from ? { range: `bytes=${from}-` } : {} }), {
      offset: 0,
      size: data.length,
      url,
      events: () => {},
    });
    expect((await read(body)).equals(data)).toBe(true);
    expect(ranges[0]).toBeUndefined();
    expect(ranges[1]).toMatch(/^bytes=[1-9]\d*-$/);
    await t.close();
  });

  it('fails loudly when the server ignores Range instead of repeating bytes', async () => {
    let first = true;
    const url = await serve((_req, res) => {
      res.writeHead(200, { 'content-length': data.length });
      if (first) {
        first = false;
        res.write(data.subarray(0, 70_000), () => setTimeout(() => res.socket?.destroy(), 50));
      } else res.end(data);
    });
    const t = new Transport();
    const body = resumableBody((from) => t.send({ method: 'GET', url, headers: from ? { range: `bytes=${from}-` } : {} }), {
      offset: 0,
      size: data.length,
      url,
      events: () => {},
    });
    await expect(read(body)).rejects.toThrow(/the server ignores Range requests/);
    await t.close();
  });
});
