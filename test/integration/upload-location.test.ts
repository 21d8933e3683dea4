import { type IncomingMessage, type Server, type ServerResponse, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { sha256 } from '../../src/core/digest.js';
import { RegistryClient } from '../../src/registry/client.js';
import { chainCredentials, staticCredentials } from '../../src/registry/credentials.js';
import { buildStandardFixtures, seedStandardFixtures } from '../helpers/standard-fixtures.js';
import { type TestRegistry, startRegistry } from '../helpers/registry.js';
import { requireTools } from '../helpers/tools.js';
import { pull, run, scratch, writeManifest } from './ferry-env.js';

const USER = 'alice';
const PASSWORD = 'Zq7Kx"Wm3Pv';
const BASIC = `Basic ${Buffer.from(`${USER}:${PASSWORD}`).toString('base64')}`;

interface Logged {
  method: string;
  url: string;
  authorization?: string;
}

async function listen(handler: (req: IncomingMessage, res: ServerResponse) => void): Promise<{ server: Server; origin: string }> {
  const server = createServer(handler);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { server, origin: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
}

/**
 * A hostile registry: Basic auth on its own origin, but every upload it starts has its Location on a second
 * loopback server (another port is another origin), which asks for credentials (`phish`) or takes the upload.
 */
describe('an upload Location on another origin gets no credentials', () => {
  let registry: { server: Server; origin: string };
  let third: { server: Server; origin: string };
  const seen: Logged[] = [];
  let phish = true;

  beforeAll(async () => {
    third = await listen((req, res) => {
      seen.push({
        method: req.method ?? '',
        url: req.url ?? '',
        ...(req.headers.authorization ? { authorization: req.headers.authorization } : {}),
      });
      req.resume();
      req.on('end', () => {
        if (phish) res.writeHead(401, { 'www-authenticate': 'Basic realm="give me the password"' }).end();
        else res.writeHead(req.method === 'PUT' ? 201 : 204).end();
      });
    });
    registry = await listen((req, res) => {
      req.resume();
      if (req.headers.authorization !== BASIC) return void res.writeHead(401, { 'www-authenticate': 'Basic realm="registry"' }).end();
      const url = req.url ?? '';
      if (req.method === 'HEAD' && url.includes('/blobs/')) return void res.writeHead(404).end();
      if (req.method === 'POST' && url.includes('/blobs/uploads/')) {
        return void res.writeHead(202, { location: `${third.origin}/upload/1?_state=abc`, 'content-length': '0' }).end();
      }
      if (req.method === 'HEAD' && url.includes('/manifests/')) return void res.writeHead(404).end();
      if (req.method === 'PUT' && url.includes('/manifests/')) return void res.writeHead(201).end();
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  afterAll(async () => {
    for (const s of [registry?.server, third?.server]) await new Promise((r) => (s?.closeAllConnections(), s?.close(r)));
  });
  beforeEach(() => {
    seen.length = 0;
  });

  const client = () =>
    new RegistryClient({ plainHttp: true, baseDelayMs: 1, credentials: staticCredentials(new URL(registry.origin).host, USER, PASSWORD) });
  const blob = Buffer.from('layer bytes');
  const desc = { mediaType: 'application/octet-stream', digest: sha256(blob), size: blob.length };

  it('a third host that asks for credentials is refused them, and the push fails naming both origins', async () => {
    phish = true;
    const c = client();
    const err = await c.pushBlob(new URL(registry.origin).host, 'team/app', desc, Readable.from([blob])).catch((e) => e);
    await c.close();
    expect(err).toMatchObject({ code: 'AUTH_FAILED' });
    expect(err.message).toContain(third.origin);
    expect(err.message).toContain(registry.origin);
    expect(seen.length).toBeGreaterThan(0);
    expect(seen.filter((r) => r.authorization !== undefined)).toEqual([]);
  });

  it("a third host with credentials of its own configured is answered with those, never the registry's", async () => {
    phish = true;
    const thirdBasic = `Basic ${Buffer.from('third-user:ThirdPw-77').toString('base64')}`;
    const c = new RegistryClient({
      plainHttp: true,
      baseDelayMs: 1,
      credentials: chainCredentials(
        staticCredentials(new URL(registry.origin).host, USER, PASSWORD),
        staticCredentials(new URL(third.origin).host, 'third-user', 'ThirdPw-77'),
      ),
    });
    const err = await c.pushBlob(new URL(registry.origin).host, 'team/app', desc, Readable.from([blob])).catch((e) => e);
    await c.close();
    // The streamed PUT cannot be sent twice, so it fails; the cancelling DELETE can, and carries the third host's own login.
    expect(err).toMatchObject({ code: 'AUTH_FAILED', message: expect.stringContaining(third.origin) });
    expect(seen.map((r) => `${r.method} ${r.authorization ?? '-'}`)).toEqual(['PUT -', 'DELETE -', `DELETE ${thirdBasic}`]);
  });

  it('a third host that takes the upload without credentials gets it, and still no Authorization', async () => {
    phish = false;
    const c = client();
    await c.pushBlob(new URL(registry.origin).host, 'team/app', desc, Readable.from([blob]));
    await c.close();
    expect(seen.map((r) => r.method)).toEqual(['PUT']);
    expect(seen.filter((r) => r.authorization !== undefined)).toEqual([]);
  });

  describe.runIf(requireTools('docker-registry'))('through bin/ferry bundle push --password-stdin', () => {
    let up: TestRegistry;
    let bundle: string;
    beforeAll(async () => {
      up = await startRegistry();
      await seedStandardFixtures(up, await buildStandardFixtures());
      const dir = scratch();
      bundle = (await pull(writeManifest(dir, '  images:\n    - alpine:3.19\n'), join(dir, 'b.tar'), [['docker.io', up.url]])).result
        .bundle;
    });
    afterAll(async () => up?.stop());

    it('fails with exit 1, the password in no output, and the third host never sees Authorization', async () => {
      phish = true;
      for (const json of [false, true]) {
        seen.length = 0;
        const r = await run(
          [
            ...(json ? ['--json'] : []),
            'bundle',
            'push',
            bundle,
            '--registry',
            `${new URL(registry.origin).host}/p`,
            '--plain-http',
            '--username',
            USER,
            '--password-stdin',
            '--no-progress',
          ],
          { input: `${PASSWORD}\n` },
        );
        expect(r.code, r.stderr).toBe(1);
        expect(`${r.stdout}${r.stderr}`).toContain('AUTH_FAILED');
        for (const f of [PASSWORD, encodeURIComponent(PASSWORD), BASIC.slice(6), 'Zq7Kx', 'Wm3Pv'])
          expect(`${r.stdout}${r.stderr}`).not.toContain(f);
        expect(seen.length).toBeGreaterThan(0);
        expect(seen.filter((x) => x.authorization !== undefined)).toEqual([]);
      }
    }, 60_000);
  });
});
