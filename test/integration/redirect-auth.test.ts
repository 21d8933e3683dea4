import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { type Server as TlsServer, createServer as createTlsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type Image, makeImage, makeLayer, seed, seedWithSkopeo } from '../helpers/images.js';
import {
  type LoopbackServer,
  type RedirectFront,
  startLoopbackServer,
  startRecordingProxy,
  startRedirectFront,
} from '../helpers/redirect-front.js';
import { type TestRegistry, startRegistry } from '../helpers/registry.js';
import { type TokenServer, startTokenServer } from '../helpers/token-server.js';
import { requireTools } from '../helpers/tools.js';
import { run, scratch, writeManifest } from './ferry-env.js';
import { selfSignedLoopbackCert } from '../helpers/tls-cert.js';

const ok = requireTools('docker-registry', 'skopeo', 'openssl', 'htpasswd');

const basic = (user: string, pw: string) => `Basic ${Buffer.from(`${user}:${pw}`).toString('base64')}`;
// Distinctive, so a leak anywhere is found by text search.
const FRONT = { username: 'front-user', password: 'FrontPw-0x5eed-1' };
const ROBOT = { username: 'robot', password: 'TargetPw-0xbeef-2' };
const KEEPER = { username: 'keeper', password: 'BasicPw-0xcafe-3' };

/**
 * registry.k8s.io's shape on loopback: a front that wants its own login, answers /v2/ and sends manifests and blobs
 * on with 307 to another host, which wants credentials of its own. Two real registries stand behind it (one with
 * Bearer token auth, one with htpasswd), each behind a recording pass-through, so every Authorization header the
 * front, the token server and each target receive is seen.
 */
describe.runIf(ok)('a registry that redirects to an authenticated host', () => {
  let tokens: TokenServer;
  let tokenReg: TestRegistry;
  let basicReg: TestRegistry;
  let tokenTarget: LoopbackServer;
  let basicTarget: LoopbackServer;
  let front: RedirectFront;
  let image: Image;

  beforeAll(async () => {
    tokens = await startTokenServer(ROBOT);
    tokenReg = await startRegistry({
      token: { realm: tokens.realm, service: tokens.service, issuer: tokens.issuer, certPath: tokens.certPath },
    });
    basicReg = await startRegistry({ htpasswd: KEEPER });
    image = makeImage({
      layers: [
        await makeLayer({ seed: 'redirect-1', size: 40_000, gzip: true }),
        await makeLayer({ seed: 'redirect-2', size: 9_000, gzip: true }),
      ],
    });
    const layout = scratch();
    await seedWithSkopeo(layout, image, `${tokenReg.host}/acme/app:v1`, `${ROBOT.username}:${ROBOT.password}`);
    await seed(basicReg, 'acme/app', 'v1', image);
    tokenTarget = await startRecordingProxy(tokenReg.url);
    basicTarget = await startRecordingProxy(basicReg.url);
    front = await startRedirectFront({ ...FRONT, target: tokenTarget.url });
  });
  afterAll(async () => {
    await front?.stop();
    await tokenTarget?.stop();
    await basicTarget?.stop();
    await tokenReg?.stop();
    await basicReg?.stop();
    await tokens?.stop();
  });
  beforeEach(() => {
    for (const s of [front, tokenTarget, basicTarget]) s.log.length = 0;
    tokens.requests.length = 0;
  });

  /** A DOCKER_CONFIG with an auths entry per host given. */
  const dockerConfig = (auths: Record<string, { username: string; password: string }>): string => {
    const dir = join(scratch(), 'docker');
    mkdirSync(dir);
    const entries = Object.fromEntries(
      Object.entries(auths).map(([host, c]) => [host, { auth: Buffer.from(`${c.username}:${c.password}`).toString('base64') }]),
    );
    writeFileSync(join(dir, 'config.json'), JSON.stringify({ auths: entries }));
    return dir;
  };
  const pullThroughFront = async (config: string) => {
    const dir = scratch();
    const out = join(dir, 'b.tar');
    const r = await run(
      [
        'bundle',
        'pull',
        writeManifest(dir, `  images: [${front.host}/acme/app:v1]\n`),
        '-o',
        out,
        '--cache',
        join(dir, 'c'),
        '--plain-http',
        '--no-progress',
      ],
      {
        env: { DOCKER_CONFIG: config },
      },
    );
    return { ...r, out };
  };
  const authorizations = (s: LoopbackServer) => s.log.map((l) => l.authorization).filter((a): a is string => a !== undefined);
  const lockedDigest = (out: string) => JSON.parse(readFileSync(`${out}.lock.json`, 'utf8')).images[0].digest;

  /** The front saw only its own login; nothing it saw was the target's password or a token the target's server issued. */
  const frontSawOnlyItsOwn = () => {
    expect(front.log.some((l) => l.authorization === basic(FRONT.username, FRONT.password))).toBe(true);
    expect(new Set(authorizations(front))).toEqual(new Set([basic(FRONT.username, FRONT.password)]));
    for (const t of tokens.issued) expect(authorizations(front).join('\n')).not.toContain(t);
  };

  it('anonymous token flow: the target allows anonymous pulls, and gets no credentials of the front', async () => {
    front.target = tokenTarget.url;
    tokens.anonymousPull = true;
    const r = await pullThroughFront(dockerConfig({ [front.host]: FRONT }));
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(lockedDigest(r.out)).toBe(image.manifest.digest);
    frontSawOnlyItsOwn();
    // The token server was asked anonymously, with the scope the target's challenge named.
    expect(tokens.requests.length).toBeGreaterThan(0);
    expect(tokens.requests.filter((q) => q.authorization !== undefined)).toEqual([]);
    expect(tokens.requests.every((q) => q.scopes.includes('repository:acme/app:pull'))).toBe(true);
    // The target answered manifests and blobs sent with its own Bearer token, and never saw the front's login.
    const bearer = tokenTarget.log.filter((l) => l.authorization?.startsWith('Bearer '));
    expect(bearer.some((l) => l.path.includes('/manifests/'))).toBe(true);
    expect(bearer.some((l) => l.path.includes('/blobs/'))).toBe(true);
    for (const a of authorizations(tokenTarget)) expect(tokens.issued.map((t) => `Bearer ${t}`)).toContain(a);
  }, 60_000);

  it('with credentials configured for the target host only: its token server gets them, the front never does', async () => {
    front.target = tokenTarget.url;
    tokens.anonymousPull = false;
    const r = await pullThroughFront(dockerConfig({ [front.host]: FRONT, [tokenTarget.host]: ROBOT }));
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(lockedDigest(r.out)).toBe(image.manifest.digest);
    frontSawOnlyItsOwn();
    expect(authorizations(front).join('\n')).not.toContain(basic(ROBOT.username, ROBOT.password));
    // Every token request carried the target's own login; none carried the front's.
    expect(tokens.requests.length).toBeGreaterThan(0);
    expect(new Set(tokens.requests.map((q) => q.authorization))).toEqual(new Set([basic(ROBOT.username, ROBOT.password)]));
    for (const a of authorizations(tokenTarget)) expect(tokens.issued.map((t) => `Bearer ${t}`)).toContain(a);
  }, 60_000);

  it('a Basic (htpasswd) target gets its own password and only that; the front gets only its own', async () => {
    front.target = basicTarget.url;
    const r = await pullThroughFront(dockerConfig({ [front.host]: FRONT, [basicTarget.host]: KEEPER }));
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(lockedDigest(r.out)).toBe(image.manifest.digest);
    frontSawOnlyItsOwn();
    expect(authorizations(front)).not.toContain(basic(KEEPER.username, KEEPER.password));
    expect(authorizations(basicTarget).length).toBeGreaterThan(0);
    expect(new Set(authorizations(basicTarget))).toEqual(new Set([basic(KEEPER.username, KEEPER.password)]));
  }, 60_000);

  it.each([
    ['a token target that refuses anonymous pulls', () => ((front.target = tokenTarget.url), (tokens.anonymousPull = false), tokenTarget)],
    ['an htpasswd target', () => ((front.target = basicTarget.url), basicTarget)],
  ])(
    '%s, with no credentials for it: one line naming the target host and how to give it credentials',
    async (_name, setUp) => {
      const target = setUp();
      const r = await pullThroughFront(dockerConfig({ [front.host]: FRONT }));
      expect(r.code).toBe(1);
      const line = r.stderr.split('\n').find((l) => l.includes('redirected the request to'));
      expect(line, r.stderr).toBeDefined();
      expect(line).toContain(
        `${front.host} redirected the request to ${target.host}, which refused it: it asks for credentials and none are configured for it`,
      );
      expect(line).toContain(`docker login ${target.host}`);
      expect(r.stderr).toContain('AUTH_FAILED');
      // The front's login went nowhere but the front.
      frontSawOnlyItsOwn();
      expect(authorizations(target).filter((a) => a.startsWith('Basic '))).toEqual([]);
      expect(tokens.requests.filter((q) => q.authorization !== undefined)).toEqual([]);
      for (const secret of [FRONT.password, ROBOT.password, KEEPER.password]) expect(`${r.stdout}${r.stderr}`).not.toContain(secret);
    },
    60_000,
  );
});

/**
 * An HTTPS registry (a loopback stub with its own certificate) that redirects to a plain-HTTP host asking for Basic
 * credentials, which the Docker config has for that host: they would cross the network in clear.
 */
describe.runIf(requireTools('openssl'))('a redirect from an HTTPS registry to a plain-HTTP host', () => {
  let tls: TlsServer;
  let target: LoopbackServer;
  let host: string;
  let caPath: string;

  beforeAll(async () => {
    const dir = scratch('ferry-redirect-tls-');
    const cert = selfSignedLoopbackCert(dir);
    caPath = cert.certPath;
    const keyPath = cert.keyPath;
    target = await startLoopbackServer(
      (req, res) => void (req.resume(), res.writeHead(401, { 'www-authenticate': 'Basic realm="target"' }).end()),
    );
    tls = createTlsServer({ cert: readFileSync(caPath), key: readFileSync(keyPath) }, (req, res) => {
      req.resume();
      if (req.url === '/v2/') return void res.writeHead(200).end('{}');
      res.writeHead(307, { location: `${target.url}${req.url}` }).end();
    });
    await new Promise<void>((r) => tls.listen(0, '127.0.0.1', r));
    host = `127.0.0.1:${(tls.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    await new Promise((r) => (tls?.closeAllConnections(), tls?.close(r)));
    await target?.stop();
  });

  it('sends the target no credentials, and says why in one line', async () => {
    const dir = scratch();
    const config = join(dir, 'docker');
    mkdirSync(config);
    writeFileSync(
      join(config, 'config.json'),
      JSON.stringify({ auths: { [target.host]: { auth: Buffer.from(`${KEEPER.username}:${KEEPER.password}`).toString('base64') } } }),
    );
    const r = await run(
      [
        'bundle',
        'pull',
        writeManifest(dir, `  images: [${host}/acme/app:v1]\n`),
        '-o',
        join(dir, 'b.tar'),
        '--cache',
        join(dir, 'c'),
        '--ca-file',
        caPath,
        '--no-progress',
      ],
      {
        env: { DOCKER_CONFIG: config },
      },
    );
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(
      `${host} redirected the request to ${target.host}, which refused it: it asks for credentials over plain HTTP`,
    );
    expect(target.log.length).toBeGreaterThan(0);
    expect(target.log.filter((l) => l.authorization !== undefined)).toEqual([]);
    expect(`${r.stdout}${r.stderr}`).not.toContain(KEEPER.password);
  }, 60_000);
});
