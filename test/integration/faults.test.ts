import { createHash } from 'node:crypto';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { staticCredentials } from '../../src/registry/credentials.js';
import { type ChaosProxy, startChaosProxy } from '../helpers/chaos-proxy.js';
import { type StandardFixtures, buildStandardFixtures, seedStandardFixtures } from '../helpers/standard-fixtures.js';
import { type TestRegistry, startRegistry } from '../helpers/registry.js';
import { requireTools } from '../helpers/tools.js';
import { pull, scratch, writeManifest } from './ferry-env.js';

const ok = requireTools('docker-registry', 'htpasswd');

describe.runIf(ok)('pull through faults (proxy in front of a real registry with htpasswd)', () => {
  let up: TestRegistry;
  let f: StandardFixtures;
  let proxy: ChaosProxy;
  let storage: ChaosProxy;
  const creds = () => ({ credentials: staticCredentials(proxy.host, 'ferry', 'pull-pw-123') });

  beforeAll(async () => {
    up = await startRegistry({ htpasswd: { username: 'ferry', password: 'pull-pw-123' } });
    f = await buildStandardFixtures();
    await seedStandardFixtures(up, f);
    proxy = await startChaosProxy(up.url);
    // Stands in for object storage behind a redirect: it needs no client credentials (a presigned URL would carry
    // its own), so it adds the registry login itself and records what the client sent.
    storage = await startChaosProxy(up.url, { injectAuthorization: `Basic ${Buffer.from('ferry:pull-pw-123').toString('base64')}` });
  });
  afterAll(async () => {
    await proxy?.stop();
    await storage?.stop();
    await up?.stop();
  });
  beforeEach(() => {
    proxy.rules.length = 0;
    proxy.log.length = 0;
    storage.log.length = 0;
  });

  const manifest = (dir: string) => writeManifest(dir, '  images: [velero/velero:v1.9.1, team/app-a:1]\n');
  const mirror = (): [string, string][] => [['docker.io', proxy.url]];

  it('requests each manifest once: what resolving fetched by tag is not fetched again by digest', async () => {
    const dir = scratch();
    await pull(manifest(dir), join(dir, 'b.tar'), mirror(), { client: creds() });
    const byDigest = proxy.log.filter((r) => r.method === 'GET' && r.path.includes(`/manifests/${f.docker.manifest.digest}`));
    expect(byDigest).toEqual([]);
    // By tag: one answered request (the other is the registry's 401 challenge before credentials are sent).
    expect(proxy.log.filter((r) => r.method === 'GET' && r.path.endsWith('/manifests/v1.9.1') && r.headers.authorization)).toHaveLength(1);
  });

  it('retries 429 (honouring Retry-After) and 503, then succeeds', async () => {
    proxy.rules.push({ method: 'GET', path: /\/manifests\/v1\.9\.1$/, times: 2, action: { status: 429, retryAfter: '0' } });
    proxy.rules.push({ method: 'GET', path: /\/blobs\/sha256:/, times: 2, action: { status: 503 } });
    const dir = scratch();
    const { events, result } = await pull(manifest(dir), join(dir, 'b.tar'), mirror(), { client: creds() });
    expect(existsSync(result.bundle)).toBe(true);
    const retries = events.filter((e) => e.type === 'retry').map((e) => (e as { reason: string }).reason);
    expect(retries.filter((r) => r === 'HTTP 429')).toHaveLength(2);
    expect(retries.filter((r) => r === 'HTTP 503')).toHaveLength(2);
  });

  it('follows a blob redirect to another host without sending it the Authorization header', async () => {
    proxy.rules.push({ method: 'GET', path: /\/blobs\/sha256:/, times: 1000, action: { redirectTo: storage.url } });
    const dir = scratch();
    await pull(manifest(dir), join(dir, 'b.tar'), mirror(), { client: creds() });
    const blobGets = storage.log.filter((r) => r.method === 'GET' && r.path.includes('/blobs/'));
    expect(blobGets.length).toBeGreaterThan(0);
    expect(blobGets.every((r) => r.headers.authorization === undefined)).toBe(true);
    // The registry itself did get authenticated requests.
    expect(proxy.log.some((r) => String(r.headers.authorization ?? '').startsWith('Basic '))).toBe(true);
  });

  it('resumes a blob whose connection drops mid-body with a Range request', async () => {
    const layer = f.docker.layers[0]?.digest as string;
    proxy.rules.push({ method: 'GET', path: new RegExp(`/blobs/${layer}$`), times: 1, action: { dropAfterBytes: 5000 } });
    const dir = scratch();
    const { result } = await pull(manifest(dir), join(dir, 'b.tar'), mirror(), { client: creds() });
    const gets = proxy.log.filter((r) => r.method === 'GET' && r.path.endsWith(layer));
    expect(gets.map((g) => g.outcome)).toEqual(['drop', 'pass']);
    expect(gets[1]?.headers.range).toMatch(/^bytes=\d+-$/);
    expect(Number(/bytes=(\d+)-/.exec(String(gets[1]?.headers.range))?.[1])).toBeGreaterThan(0);
    expect(existsSync(result.bundle)).toBe(true);
  });

  it('keeps a partial blob when a pull gives up, and the next run resumes it', async () => {
    const layer = f.docker.layers[0]?.digest as string;
    proxy.rules.push({ method: 'GET', path: new RegExp(`/blobs/${layer}$`), times: 50, action: { dropAfterBytes: 3000 } });
    const dir = scratch();
    const out = join(dir, 'b.tar');
    await expect(pull(manifest(dir), out, mirror(), { client: creds() })).rejects.toMatchObject({ code: 'NETWORK_ERROR' });
    // Nothing that looks finished: only the partial bundle and its journal stay (the next run's resume state).
    expect(readdirSync(dirname(out)).filter((n) => (n.endsWith('.tar') || n.includes('.tar.')) && !n.includes('.partial-'))).toEqual([]);
    expect(readdirSync(dirname(out)).filter((n) => n.includes('.partial-'))).toHaveLength(2);
    proxy.rules.length = 0;
    proxy.log.length = 0;
    await pull(manifest(dir), out, mirror(), { client: creds() });
    const resumed = proxy.log.find((r) => r.method === 'GET' && r.path.endsWith(layer));
    expect(resumed?.headers.range).toMatch(/^bytes=[1-9]\d*-$/);
    expect(existsSync(out)).toBe(true);
  });

  it('refuses a corrupted blob, names it, and leaves nothing at the output path', async () => {
    const layer = f.appA.layers[1]?.digest as string;
    proxy.rules.push({ method: 'GET', path: new RegExp(`/blobs/${layer}$`), times: 1, action: { corrupt: true } });
    const dir = scratch();
    const out = join(dir, 'b.tar');
    await expect(pull(manifest(dir), out, mirror(), { client: creds() })).rejects.toMatchObject({
      code: 'DIGEST_MISMATCH',
      message: expect.stringContaining(`docker.io/team/app-a:1: blob ${layer}: digest mismatch: expected ${layer}, got sha256:`),
    });
    expect(readdirSync(dir).filter((n) => n.includes('b.tar') && !n.includes('.partial-'))).toEqual([]);
    // The partial bundle's journal (src/pull/journal.ts) lists the blobs written and synced before the failure.
    const journal = readdirSync(dir).filter((n) => n.startsWith('b.tar.journal.partial-'));
    expect(journal).toHaveLength(1);
    const written = [...readFileSync(join(dir, journal[0] as string), 'utf8').matchAll(/^written (sha256:[0-9a-f]{64})$/gm)].map(
      (m) => m[1],
    );
    expect(written).not.toContain(layer);
    // The next run fetches the refused blob again, into the kept partial bundle, and only it.
    proxy.log.length = 0;
    const { events } = await pull(manifest(dir), out, mirror(), { client: creds() });
    const blobGets = proxy.log.filter((r) => r.method === 'GET' && r.path.includes('/blobs/') && r.outcome === 'pass');
    // The refused blob from its first byte; any other only from where the first run stopped it (a Range request).
    expect(blobGets.filter((r) => r.path.endsWith(layer)).map((r) => r.headers.range)).toEqual([undefined]);
    // A layer the first run wrote is not fetched again (configs are read while resolving, whatever the bundle holds).
    const layers = [...f.docker.layers, ...f.appA.layers].map((l) => l.digest as string).filter((d) => written.includes(d));
    expect(blobGets.filter((r) => layers.some((d) => r.path.endsWith(d)))).toEqual([]);
    expect(events.some((e) => e.type === 'info' && e.message.startsWith('resuming the partial bundle'))).toBe(true);
    expect(
      readdirSync(dir)
        .filter((n) => n.includes('b.tar'))
        .sort(),
    ).toEqual(['b.tar', 'b.tar.lock.json']);
    // No neighbour of the refused blob was touched: the resumed bundle equals one pulled with no fault at all.
    const clean = join(scratch(), 'b.tar');
    await pull(manifest(dirname(clean)), clean, mirror(), { client: creds() });
    expect(sha256(out)).toBe(sha256(clean));
  });
});

const sha256 = (path: string) => createHash('sha256').update(readFileSync(path)).digest('hex');
