import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { RegistryClient } from '../../src/registry/client.js';
import { type Hostile, startHostile, startSilent, streamBytes, trickle } from '../helpers/hostile-server.js';
import { runMeasured } from '../helpers/measured-run.js';
import { requireTools } from '../helpers/tools.js';
import { scratch, writeManifest } from './ferry-env.js';

const ok = requireTools('/usr/bin/time');
const RSS_BOUND_MIB = 300;
const HUGE = 700 << 20;
const MANIFEST = Buffer.from(
  JSON.stringify({
    schemaVersion: 2,
    mediaType: 'application/vnd.oci.image.manifest.v1+json',
    config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: `sha256:${'0'.repeat(64)}`, size: 2 },
    layers: [],
  }),
);

/** Every file under `dir`, with its size (to show nothing was left behind). */
function filesUnder(dir: string): { path: string; size: number }[] {
  if (!existsSync(dir)) return [];
  return (readdirSync(dir, { recursive: true }) as string[])
    .map((p) => join(dir, p))
    .filter((p) => statSync(p).isFile())
    .map((p) => ({ path: p, size: statSync(p).size }));
}

describe.runIf(ok)('hostile upstreams: every body read into memory has a limit, every request a deadline', () => {
  let server: Hostile | undefined;
  afterEach(async () => {
    await server?.stop();
    server = undefined;
  });

  const pullImage = (dir: string, url: string, env: NodeJS.ProcessEnv = {}) =>
    runMeasured(
      [
        'bundle',
        'pull',
        writeManifest(dir, '  images:\n    - hostile.test/app:1\n'),
        '-o',
        join(dir, 'b.tar'),
        '--cache',
        join(dir, 'cache'),
        '--mirror',
        `hostile.test=${url}`,
      ],
      { env },
    );

  it(`a 700 MB token response is cut off at its limit: exit 1 under ${RSS_BOUND_MIB} MiB, naming the token URL and the limit`, async () => {
    server = await startHostile((req, res) => {
      if (req.url?.startsWith('/token')) {
        res.writeHead(200, { 'content-type': 'application/json' });
        return streamBytes(res, HUGE);
      }
      res.writeHead(401, { 'www-authenticate': `Bearer realm="${server?.url}/token",service="hostile"` }).end();
    });
    const r = await pullImage(scratch(), server.url);
    expect(r.stderr).toMatch(new RegExp(`${server.url}/token.*larger than the 1048576 bytes`));
    expect(r.code).toBe(1);
    expect(r.rssMiB).toBeLessThan(RSS_BOUND_MIB);
  });

  it(`a 700 MB error body is read only as far as a message needs: exit 1 under ${RSS_BOUND_MIB} MiB, naming the image`, async () => {
    server = await startHostile((_req, res) => {
      res.writeHead(400, { 'content-type': 'text/plain' });
      streamBytes(res, HUGE);
    });
    const r = await pullImage(scratch(), server.url);
    expect(r.stderr).toContain('hostile.test/app:1: manifest request failed: HTTP 400 aaaa');
    expect(r.code).toBe(1);
    expect(r.rssMiB).toBeLessThan(RSS_BOUND_MIB);
  });

  it('a 700 MB tag list page is refused at its limit, naming the URL', async () => {
    server = await startHostile((req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      streamBytes(res, HUGE);
    });
    const url = server.url;
    const client = new RegistryClient({ endpointFor: () => url });
    try {
      const started = Date.now();
      await expect(client.listTags('hostile.test', 'app')).rejects.toMatchObject({
        code: 'NETWORK_ERROR',
        message: expect.stringMatching(new RegExp(`${url}/v2/app/tags/list.*larger than the 33554432 bytes`)),
      });
      expect(Date.now() - started).toBeLessThan(10_000);
    } finally {
      await client.close();
    }
  });

  it('a file of unknown size with an endless body stops at --max-file-size, and its partial is dropped', async () => {
    server = await startHostile((req, res) => {
      res.writeHead(200, { 'content-type': 'application/octet-stream' }); // chunked: no Content-Length, ever
      if (req.method === 'HEAD') return void res.end();
      streamBytes(res, Infinity);
    });
    const dir = scratch();
    const manifest = writeManifest(dir, `  files:\n    - url: ${server.url}/endless.bin\n      sha256: ${'ab'.repeat(32)}\n`);
    const r = await runMeasured(
      ['bundle', 'pull', manifest, '-o', join(dir, 'b.tar'), '--cache', join(dir, 'cache'), '--max-file-size', '64M'],
      { timeoutMs: 60_000 },
    );
    // A limit reached, not damage: its own code and exit 1, naming the URL, the cap and the flag that raises it.
    expect(r.stderr).toContain('TOO_LARGE');
    expect(r.stderr).toContain(`${server.url}/endless.bin`);
    expect(r.stderr).toContain('more than 67108864 bytes (--max-file-size)');
    expect(r.stderr).toContain('raise --max-file-size');
    expect(r.code).toBe(1);
    expect(filesUnder(join(dir, 'cache'))).toEqual([]);
    expect(r.rssMiB).toBeLessThan(RSS_BOUND_MIB);
  });

  it('a manifest trickled one byte every 500 ms fails at the body deadline (FERRY_HTTP_DEADLINE=3), naming the URL', async () => {
    server = await startHostile((req, res) => {
      if (!req.url?.includes('/manifests/')) return void res.writeHead(404).end();
      res.writeHead(200, { 'content-type': 'application/vnd.oci.image.manifest.v1+json', 'content-length': String(MANIFEST.length) });
      if (req.method === 'HEAD') return void res.end();
      trickle(res, MANIFEST, 500);
    });
    const r = await pullImage(scratch(), server.url, { FERRY_HTTP_DEADLINE: '3' });
    expect(r.stderr).toMatch(new RegExp(`${server.url}/v2/app/manifests/1.*not complete after 3 s`));
    expect(r.code).toBe(1);
    expect(r.seconds).toBeLessThan(15);
  });

  it('a manifest body that stalls is asked for again, then fails naming the URL (FERRY_HTTP_TIMEOUT=1)', async () => {
    let gets = 0;
    server = await startHostile((req, res) => {
      if (!req.url?.includes('/manifests/')) return void res.writeHead(404).end();
      res.writeHead(200, { 'content-type': 'application/vnd.oci.image.manifest.v1+json', 'content-length': String(MANIFEST.length) });
      if (req.method === 'HEAD') return void res.end();
      gets++;
      res.write(MANIFEST.subarray(0, 10)); // then silence, connection held open
    });
    const r = await pullImage(scratch(), server.url, { FERRY_HTTP_TIMEOUT: '1' });
    expect(r.stderr).toMatch(new RegExp(`${server.url}/v2/app/manifests/1\\): the response broke off after 10 bytes: no data for 1 s`));
    expect(gets).toBe(3);
    expect(r.code).toBe(1);
    expect(r.seconds).toBeLessThan(10);
  });

  it('a server that accepts and never sends headers fails after the headers timeout (FERRY_HTTP_TIMEOUT=1) and its retries', async () => {
    const silent = await startSilent();
    server = silent;
    const r = await pullImage(scratch(), silent.url, { FERRY_HTTP_TIMEOUT: '1' });
    expect(r.stderr).toMatch(new RegExp(`${silent.url}/v2/app/manifests/1: no response headers within 1 s`));
    expect(r.code).toBe(1);
    expect(silent.accepted()).toBeGreaterThanOrEqual(2);
    expect(r.seconds).toBeLessThan(20);
  });

  it('a 401 whose body trickles is discarded within the idle timeout (FERRY_HTTP_TIMEOUT=1), not read for hours', async () => {
    server = await startHostile((_req, res) => {
      res.writeHead(401, { 'www-authenticate': 'Basic realm="hostile"', 'content-type': 'text/plain' });
      trickle(res, Buffer.alloc(100_000, 0x61), 500);
    });
    const r = await pullImage(scratch(), server.url, { FERRY_HTTP_TIMEOUT: '1' });
    expect(r.stderr).toContain('hostile.test/app:1: the registry requires a login and no credentials were found for it');
    expect(r.code).toBe(1);
    expect(r.seconds).toBeLessThan(10);
  });

  it('an image config declared at 10 GiB is refused before it is fetched', async () => {
    const config = { mediaType: 'application/vnd.oci.image.config.v1+json', digest: `sha256:${'1'.repeat(64)}`, size: 10 * 1024 ** 3 };
    const manifest = Buffer.from(
      JSON.stringify({ schemaVersion: 2, mediaType: 'application/vnd.oci.image.manifest.v1+json', config, layers: [] }),
    );
    const asked: string[] = [];
    server = await startHostile((req, res) => {
      asked.push(`${req.method} ${req.url}`);
      if (!req.url?.includes('/manifests/')) {
        res.writeHead(200, { 'content-type': 'application/octet-stream' });
        return streamBytes(res, Infinity);
      }
      res.writeHead(200, { 'content-type': 'application/vnd.oci.image.manifest.v1+json', 'content-length': String(manifest.length) });
      res.end(req.method === 'HEAD' ? undefined : manifest);
    });
    const dir = scratch();
    const r = await runMeasured([
      'bundle',
      'pull',
      writeManifest(dir, '  images:\n    - ref: hostile.test/app:1\n      platforms: [linux/amd64]\n'),
      '-o',
      join(dir, 'b.tar'),
      '--cache',
      join(dir, 'cache'),
      '--mirror',
      `hostile.test=${server.url}`,
    ]);
    expect(r.stderr).toContain('its image config is declared 10737418240 bytes, more than the 67108864 bytes ferry reads into memory');
    expect(r.code).toBe(1);
    expect(asked.some((a) => a.includes('/blobs/'))).toBe(false);
    expect(r.rssMiB).toBeLessThan(RSS_BOUND_MIB);
  });

  it('a body that stalls (headers, some bytes, then nothing) fails after the idle timeout and its resumes, naming the URL', async () => {
    server = await startHostile((req, res) => {
      res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': String(1 << 20), 'accept-ranges': 'bytes' });
      if (req.method === 'HEAD') return void res.end();
      res.write(Buffer.alloc(1000)); // then silence, connection held open
    });
    const dir = scratch();
    const manifest = writeManifest(dir, `  files:\n    - url: ${server.url}/stall.bin\n      sha256: ${'ab'.repeat(32)}\n`);
    const r = await runMeasured(['bundle', 'pull', manifest, '-o', join(dir, 'b.tar'), '--cache', join(dir, 'cache')], {
      env: { FERRY_HTTP_TIMEOUT: '1' },
      timeoutMs: 60_000,
    });
    expect(r.stderr).toContain(`${server.url}/stall.bin`);
    expect(r.code).toBe(1);
    expect(r.seconds).toBeLessThan(30);
  });
});
