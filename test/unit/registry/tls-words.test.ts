import { readFileSync } from 'node:fs';
import { type Server, createServer } from 'node:http';
import { createServer as createTlsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { freePort } from '../../helpers/registry.js';
import { requireTools } from '../../helpers/tools.js';
import { RegistryClient } from '../../../src/registry/client.js';
import { Transport } from '../../../src/registry/transport.js';
import { tempDir } from '../bundle/fixtures.js';
import { selfSignedLoopbackCert } from '../../helpers/tls-cert.js';

const servers: { close(cb: () => void): void; closeAllConnections?: () => void }[] = [];
const listen = async (s: Server): Promise<string> => {
  servers.push(s);
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  return `127.0.0.1:${(s.address() as AddressInfo).port}`;
};
afterEach(async () => {
  for (const s of servers.splice(0)) await new Promise<void>((r) => (s.closeAllConnections?.(), s.close(() => r())));
});

const failure = async (p: Promise<unknown>) =>
  (await p.then(
    () => undefined,
    (e: Error & { code?: string }) => e,
  )) as Error & { code?: string };

describe('TLS errors name the fix', () => {
  it('an https:// request answered in plain HTTP: "answered plain HTTP: add --plain-http", no OpenSSL dump, not retried', async () => {
    let requests = 0;
    const host = await listen(createServer((_q, r) => (requests++, r.end('{}'))));
    const t = new Transport({ baseDelayMs: 1 });
    const err = await failure(t.send({ method: 'GET', url: `https://${host}/v2/` }));
    expect(err.code).toBe('NETWORK_ERROR');
    expect(err.message).toBe(
      `the registry at ${host} answered plain HTTP: add --plain-http, or write http://${host} in --registry or --mirror (https://${host}/v2/)`,
    );
    const file = await failure(t.send({ method: 'GET', url: `https://${host}/files/a.tgz` }));
    expect(file.message).toMatch(new RegExp(`^the server at ${host} answered plain HTTP to an https:// request: use http://${host}/…`));
    expect(`${err.message}${file.message}`).not.toMatch(/SSL routines|ssl3|openssl/i);
    expect(requests).toBe(0);
    await t.close();
  });

  it('a plain-HTTP request to a TLS registry (Go answers 400): "speaks TLS: drop --plain-http"', async () => {
    const host = await listen(
      createServer((_q, r) => r.writeHead(400, { 'content-type': 'text/plain' }).end('Client sent an HTTP request to an HTTPS server.\n')),
    );
    const c = new RegistryClient({ plainHttp: true, baseDelayMs: 1 });
    const err = await failure(c.ping(host));
    expect(err.message).toBe(
      `the registry at ${host} speaks TLS, not plain HTTP: drop --plain-http, or write https://${host} in --registry or --mirror (${host}: /v2/ check)`,
    );
    await c.close();
  });

  it('a registry that is down: "nothing answers at HOST (connection refused)"', async () => {
    const host = `127.0.0.1:${await freePort()}`;
    const t = new Transport({ baseDelayMs: 1, maxAttempts: 2 });
    const err = await failure(t.send({ method: 'GET', url: `http://${host}/v2/` }));
    expect(err.message).toBe(
      `http://${host}/v2/: nothing answers at ${host} (connection refused): check the host and port, and that the server is running (2 attempts)`,
    );
    await t.close();
  });

  describe.runIf(requireTools('openssl'))('against a TLS server', () => {
    const dir = tempDir('ferry-tls-words-');
    const { certPath: cert, keyPath: key } = selfSignedLoopbackCert(dir);
    const tls = () =>
      listen(createTlsServer({ cert: readFileSync(cert), key: readFileSync(key) }, (_q, r) => r.end('{}')) as unknown as Server);

    it('an unknown CA: "a certificate ferry does not trust: --ca-file, or --insecure"', async () => {
      const host = await tls();
      const t = new Transport({ baseDelayMs: 1 });
      const err = await failure(t.send({ method: 'GET', url: `https://${host}/v2/` }));
      expect(err.message).toMatch(
        new RegExp(
          `^the registry at ${host} presented a certificate ferry does not trust \\(self-signed certificate\\): give its CA with --ca-file, or skip the check with --insecure`,
        ),
      );
      await t.close();
      const trusted = new Transport({ caFile: cert });
      expect((await trusted.send({ method: 'GET', url: `https://${host}/v2/` })).status).toBe(200);
      await trusted.close();
    });

    it('plain HTTP to a TLS port that drops it: the hint to drop --plain-http', async () => {
      const host = await tls();
      const t = new Transport({ baseDelayMs: 1, maxAttempts: 2 });
      const err = await failure(t.send({ method: 'GET', url: `http://${host}/v2/` }));
      expect(err.message).toMatch(
        new RegExp(`; if the registry at ${host} speaks TLS, drop --plain-http, or write https://${host} in --registry or --mirror$`),
      );
      await t.close();
    });
  });
});
