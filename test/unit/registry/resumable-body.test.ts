import { type IncomingMessage, type Server, type ServerResponse, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, describe, expect, it } from 'vitest';
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
    ['a Content-Range starting elsewhere', (res, start) => res.writeHead(206, { 'content-range': `bytes ${start - 10}-${data.length - 1}/${data.length}` }).end(data.subarray(start - 10))],
    ['416 for the prefix', (res) => res.writeHead(416).end()],
  ];
  for (const [name, answer] of answers) {
    it(`${name}: fails with details.rangeRefused, naming the URL without its query`, async () => {
      const url = await serve((req, res) => answer(res, Number(/bytes=(\d+)-/.exec(req.headers.range ?? '')?.[1] ?? 0)));
      const t = new Transport({ baseDelayMs: 1 });
      const body = resumableBody((from) => t.send({ method: 'GET', url, headers: { range: `bytes=${from}-` } }), { offset: 40_000, size: data.length, url, events: () => {} });
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
    await drain(resumableBody((from) => t.send({ method: 'GET', url, headers: from ? { range: `bytes=${from}-` } : {} }), { offset: 0, size: data.length, url, events: () => {} }));
    await t.close();
  });
});
