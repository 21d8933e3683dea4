import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { type IncomingHttpHeaders, type Server, createServer } from 'node:http';
import { type Server as TlsServer, createServer as createTlsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { requireTools } from '../helpers/tools.js';
import { run, scratch, writeManifest } from './ferry-env.js';
import { selfSignedLoopbackCert } from '../helpers/tls-cert.js';

const ok = requireTools('openssl');
const PASSWORD = 'realm-pw-31337';

const listen = (s: Server | TlsServer) => new Promise<number>((r) => s.listen(0, '127.0.0.1', () => r((s.address() as AddressInfo).port)));
const close = (s: Server | TlsServer | undefined) => new Promise<void>((r) => (s ? s.close(() => r()) : r()));

/**
 * A registry reached over HTTPS (a loopback stub with its own certificate) whose 401 names a token realm on plain
 * HTTP, on another loopback server: Basic credentials sent there would cross the network in clear.
 */
describe.runIf(ok)('a token realm on plain HTTP for a registry reached over HTTPS', () => {
  let registry: TlsServer;
  let realmServer: Server;
  let host: string;
  let realm: string;
  let caPath: string;
  const seen: IncomingHttpHeaders[] = [];

  beforeAll(async () => {
    const dir = scratch('ferry-realm-tls-');
    const cert = selfSignedLoopbackCert(dir);
    caPath = cert.certPath;
    const keyPath = cert.keyPath;
    realmServer = createServer((req, res) => {
      seen.push(req.headers);
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ token: 'anonymous-token' }));
    });
    realm = `http://127.0.0.1:${await listen(realmServer)}/token`;
    registry = createTlsServer({ cert: readFileSync(caPath), key: readFileSync(keyPath) }, (req, res) => {
      res.writeHead(401, { 'www-authenticate': `Bearer realm="${realm}",service="stub"`, 'content-type': 'application/json' });
      res.end('{"errors":[{"code":"UNAUTHORIZED"}]}');
    });
    host = `127.0.0.1:${await listen(registry)}`;
  });
  afterAll(async () => {
    await close(registry);
    await close(realmServer);
  });

  const pullWith = (env: NodeJS.ProcessEnv) => {
    const dir = scratch();
    const m = writeManifest(dir, `  images: [${host}/acme/app:v1]\n`);
    return run(['bundle', 'pull', m, '-o', join(dir, 'b.tar'), '--cache', join(dir, 'c'), '--ca-file', caPath, '--no-progress'], { env });
  };

  it('with credentials: refused (AUTH_FAILED) naming the registry and the realm, and the realm never sees an Authorization header', async () => {
    const dockerConfig = join(scratch(), 'docker');
    mkdirSync(dockerConfig);
    writeFileSync(
      join(dockerConfig, 'config.json'),
      JSON.stringify({ auths: { [host]: { auth: Buffer.from(`robot:${PASSWORD}`).toString('base64') } } }),
    );
    seen.length = 0;
    const r = await pullWith({ DOCKER_CONFIG: dockerConfig });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('AUTH_FAILED');
    expect(r.stderr).toContain(host);
    expect(r.stderr).toContain(realm);
    expect(r.stderr).toContain('--plain-http');
    expect(seen.filter((h) => h.authorization !== undefined)).toEqual([]);
    expect(seen).toEqual([]); // nothing at all: the refusal comes before any request to the realm
    expect(r.stdout + r.stderr).not.toContain(PASSWORD);
    expect(r.stdout + r.stderr).not.toContain(Buffer.from(`robot:${PASSWORD}`).toString('base64'));
  });

  it('without credentials: the anonymous token request still goes (it carries nothing to protect)', async () => {
    seen.length = 0;
    const r = await pullWith({ DOCKER_CONFIG: join(scratch(), 'none') });
    expect(r.code).toBe(1); // the stub refuses every token
    expect(seen.length).toBeGreaterThan(0);
    expect(seen.filter((h) => h.authorization !== undefined)).toEqual([]);
  });
});
