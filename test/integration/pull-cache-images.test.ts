import { createHash } from 'node:crypto';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type ChaosProxy, startChaosProxy } from '../helpers/chaos-proxy.js';
import { type StandardFixtures, buildStandardFixtures, seedStandardFixtures } from '../helpers/standard-fixtures.js';
import { type TestRegistry, startRegistry } from '../helpers/registry.js';
import { requireTools } from '../helpers/tools.js';
import { pull, run, scratch, writeManifest } from './ferry-env.js';

const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');

/**
 * The pull writes each image blob once, into the bundle (docs/performance.md "The cache"); the cache gets a copy only
 * with --cache-images, written as the blob passes and renamed into place only once it verified.
 */
describe.runIf(requireTools('docker-registry'))('image blobs and the cache', () => {
  let up: TestRegistry;
  let f: StandardFixtures;
  let proxy: ChaosProxy;
  beforeAll(async () => {
    up = await startRegistry();
    f = await buildStandardFixtures();
    await seedStandardFixtures(up, f);
    proxy = await startChaosProxy(up.url);
  }, 60_000);
  afterAll(async () => {
    await proxy?.stop();
    await up?.stop();
  });
  beforeEach(() => {
    proxy.rules.length = 0;
    proxy.log.length = 0;
  });
  const layers = () => [...f.docker.layers, ...f.appA.layers].map((l) => l.digest as string);
  const layerGets = () => proxy.log.filter((r) => r.method === 'GET' && layers().some((d) => r.path.endsWith(`/blobs/${d}`)));
  const cached = (cache: string, digest: string) => join(cache, 'blobs', 'sha256', digest.slice(7));
  const body = '  images: [velero/velero:v1.9.1, team/app-a:1]\n';

  it('by default the cache holds no image blob, so a second pull fetches them again', async () => {
    const dir = scratch();
    const manifest = writeManifest(dir, body);
    await pull(manifest, join(dir, 'one', 'b.tar'), [['docker.io', proxy.url]], { cacheDir: join(dir, 'cache') });
    expect(layers().filter((d) => existsSync(cached(join(dir, 'cache'), d)))).toEqual([]);
    proxy.log.length = 0;
    await pull(manifest, join(dir, 'two', 'b.tar'), [['docker.io', proxy.url]], { cacheDir: join(dir, 'cache') });
    expect(new Set(layerGets().map((r) => r.path)).size).toBe(new Set(layers()).size);
  });

  it('--cache-images keeps each verified blob in the cache, and the next pull takes them from there', async () => {
    const dir = scratch();
    const manifest = writeManifest(dir, body);
    const cache = join(dir, 'cache');
    const first = await run([
      'bundle',
      'pull',
      manifest,
      '-o',
      join(dir, 'one', 'b.tar'),
      '--cache',
      cache,
      '--cache-images',
      '--mirror',
      `docker.io=${proxy.url}`,
      '--plain-http',
      '--no-progress',
    ]);
    expect(first.stderr).toBe('');
    expect(first.code).toBe(0);
    for (const d of layers()) expect(`sha256:${sha256(readFileSync(cached(cache, d)))}`).toBe(d);
    expect(readdirSync(join(cache, 'tmp'))).toEqual([]);
    proxy.log.length = 0;
    await pull(manifest, join(dir, 'two', 'b.tar'), [['docker.io', proxy.url]], { cacheDir: cache });
    expect(layerGets()).toEqual([]);
    expect(sha256(readFileSync(join(dir, 'two', 'b.tar')))).toBe(sha256(readFileSync(join(dir, 'one', 'b.tar'))));
  });

  it('a blob that arrives corrupted reaches neither the bundle nor the cache', async () => {
    const layer = f.appA.layers[1]?.digest as string;
    proxy.rules.push({ method: 'GET', path: new RegExp(`/blobs/${layer}$`), times: 1, action: { corrupt: true } });
    const dir = scratch();
    const cache = join(dir, 'cache');
    await expect(
      pull(writeManifest(dir, body), join(dir, 'b.tar'), [['docker.io', proxy.url]], { cacheDir: cache, cacheImages: true }),
    ).rejects.toMatchObject({ code: 'DIGEST_MISMATCH' });
    expect(existsSync(cached(cache, layer))).toBe(false);
    expect(readdirSync(join(cache, 'tmp'))).toEqual([]);
  });
});
