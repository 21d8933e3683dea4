import { type IncomingMessage, type Server, type ServerResponse, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import type { FerryEvent } from '../../../src/core/events.js';
import { freePort } from '../../helpers/registry.js';
import { Transport } from '../../../src/registry/transport.js';

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

type Http = Extract<FerryEvent, { type: 'http' }>;
const traced = (events: FerryEvent[]) => events.filter((e): e is Http => e.type === 'http');

describe('Transport: one http event per request, for the --debug trace', () => {
  it('each redirect hop and each retry is its own event, with status, time, bytes received and sent', async () => {
    let n = 0;
    const url = await serve((req, res) => {
      if (req.url?.startsWith('/start')) return void res.writeHead(307, { location: '/end?X-Amz-Signature=s3cr3t&digest=sha256:ab' }).end();
      if (n++ === 0) return void res.writeHead(503).end();
      req.resume();
      req.on('end', () => res.writeHead(201, { 'content-length': '5' }).end('hello'));
    });
    const events: FerryEvent[] = [];
    const t = new Transport({ baseDelayMs: 1, events: (e) => events.push(e) });
    const res = await t.send({ method: 'PUT', url: `${url}/start?_state=opaque`, body: Buffer.from('0123456789') });
    await res.body.text();
    await t.close();
    const h = traced(events);
    expect(h.map((e) => [e.method, e.url, e.status, e.sent, e.bytes])).toEqual([
      ['PUT', `${url}/start?_state=***`, 307, 10, undefined],
      ['PUT', `${url}/end?X-Amz-Signature=***&digest=sha256:ab`, 503, 10, undefined],
      ['PUT', `${url}/start?_state=***`, 307, 10, undefined],
      ['PUT', `${url}/end?X-Amz-Signature=***&digest=sha256:ab`, 201, 10, 5],
    ]);
    for (const e of h) expect(e.ms).toBeGreaterThanOrEqual(0);
    expect(JSON.stringify(events)).not.toMatch(/s3cr3t|opaque/);
  });

  it('a request that got no answer is traced with its error code', async () => {
    const port = await freePort();
    const events: FerryEvent[] = [];
    const t = new Transport({ maxAttempts: 1, events: (e) => events.push(e) });
    await expect(t.send({ method: 'GET', url: `http://user:pw@127.0.0.1:${port}/v2/` })).rejects.toThrow();
    await t.close();
    expect(traced(events)).toEqual([
      { type: 'http', method: 'GET', url: `http://***@127.0.0.1:${port}/v2/`, ms: expect.any(Number), error: 'ECONNREFUSED' },
    ]);
  });
});
