import { type Server, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Authenticator } from '../../../src/registry/authenticator.js';
import { Transport } from '../../../src/registry/transport.js';

/** What a credential helper's `Username: "<token>"` answer becomes: Docker's identity token, exchanged as OAuth2 does. */
describe('Authenticator: an identity token is exchanged with the refresh-token grant (distribution docs/spec/auth/oauth.md)', () => {
  let server: Server;
  let realm: string;
  const seen: { method: string; type: string; authorization: string; form: Record<string, string> }[] = [];
  beforeAll(async () => {
    server = createServer((req, res) => {
      let text = '';
      req.on('data', (c: Buffer) => (text += c.toString()));
      req.on('end', () => {
        const h = req.headers;
        seen.push({
          method: req.method ?? '',
          type: h['content-type'] ?? '',
          authorization: h.authorization ?? '',
          form: Object.fromEntries(new URLSearchParams(text)),
        });
        res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ access_token: 'acc-777', expires_in: 300 }));
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    realm = `http://127.0.0.1:${(server.address() as AddressInfo).port}/token`;
  });
  afterAll(async () => new Promise((r) => (server.closeAllConnections(), server.close(r))));

  it('POSTs grant_type=refresh_token with the token, service and scope, and sends no Basic header', async () => {
    const transport = new Transport({});
    const auth = new Authenticator(transport);
    const header = await auth.challenge(
      'http://127.0.0.1:1',
      `Bearer realm="${realm}",service="reg"`,
      ['repository:a:pull'],
      async () => ({ identityToken: 'refresh-xyz' }),
      'a',
    );
    await transport.close();
    expect(header).toBe('Bearer acc-777');
    expect(seen).toEqual([
      {
        method: 'POST',
        type: 'application/x-www-form-urlencoded',
        authorization: '',
        form: { grant_type: 'refresh_token', refresh_token: 'refresh-xyz', client_id: 'ferry', service: 'reg', scope: 'repository:a:pull' },
      },
    ]);
  });
});
