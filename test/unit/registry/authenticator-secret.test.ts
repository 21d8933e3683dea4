import { type Server, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Authenticator } from '../../../src/registry/authenticator.js';
import { Transport } from '../../../src/registry/transport.js';

describe('Authenticator: every Bearer token it obtains is handed to onSecret (the CLI scrubs it from all output)', () => {
  let server: Server;
  let realm: string;
  beforeAll(async () => {
    server = createServer((_req, res) =>
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ token: 'tok-abcdef-123456', expires_in: 300 })),
    );
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    realm = `http://127.0.0.1:${(server.address() as AddressInfo).port}/token`;
  });
  afterAll(async () => new Promise((r) => (server.closeAllConnections(), server.close(r))));

  it('reports the token once it is fetched', async () => {
    const secrets: string[] = [];
    const transport = new Transport({ onSecret: (s) => secrets.push(s) });
    const auth = new Authenticator(transport);
    const header = await auth.challenge(
      'http://reg',
      `Bearer realm="${realm}",service="reg"`,
      ['repository:a:pull'],
      async () => undefined,
      'a',
    );
    await transport.close();
    expect(header).toBe('Bearer tok-abcdef-123456');
    expect(secrets).toEqual(['tok-abcdef-123456']);
  });
});
