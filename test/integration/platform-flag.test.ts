import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Image, type Index, makeImage, makeIndex, makeLayer, seed } from '../helpers/images.js';
import { type TestRegistry, startRegistry } from '../helpers/registry.js';
import { requireTools } from '../helpers/tools.js';
import { run, scratch, writeManifest } from './ferry-env.js';

const ok = requireTools('docker-registry', 'tar');
const hexOf = (digest: string) => digest.replace('sha256:', '');

/** The blob names in a bundle, read by GNU tar (an independent reader). */
const blobsIn = (bundle: string) =>
  execFileSync('tar', ['-tf', bundle], { encoding: 'utf8' })
    .split('\n')
    .filter((n) => n.startsWith('blobs/sha256/') && n.length > 'blobs/sha256/'.length)
    .map((n) => n.slice('blobs/sha256/'.length));

describe.runIf(ok)('bundle pull --platform against a real registry', () => {
  let reg: TestRegistry;
  let amd64: Image;
  let arm64: Image;
  let index: Index;
  let manifest: string;

  beforeAll(async () => {
    reg = await startRegistry();
    amd64 = makeImage({
      layers: [await makeLayer({ seed: 'plat-amd64', size: 40_000, gzip: true })],
      platform: { os: 'linux', architecture: 'amd64' },
      label: 'amd64',
    });
    arm64 = makeImage({
      layers: [await makeLayer({ seed: 'plat-arm64', size: 50_000, gzip: true })],
      platform: { os: 'linux', architecture: 'arm64' },
      label: 'arm64',
    });
    index = makeIndex({ children: [amd64, arm64] });
    await seed(reg, 'acme/multi', 'v1', index);
    // The manifest asks for amd64, at the top and on the image itself: the flag overrides both.
    manifest = writeManifest(
      scratch(),
      `  platforms: [linux/amd64]\n  images:\n    - ref: ${reg.host}/acme/multi:v1\n      platforms: [linux/amd64]\n`,
    );
  });
  afterAll(async () => reg?.stop());

  const pullWith = async (platform: string) => {
    const dir = scratch();
    const bundle = join(dir, 'b.tar');
    const r = await run([
      'bundle',
      'pull',
      manifest,
      '-o',
      bundle,
      '--cache',
      join(dir, 'cache'),
      '--plain-http',
      '--no-progress',
      '--platform',
      platform,
    ]);
    return { ...r, bundle, lock: r.code === 0 ? JSON.parse(readFileSync(`${bundle}.lock.json`, 'utf8')) : undefined };
  };

  it('--platform linux/arm64 brings only the arm64 image, whatever the manifest says, and the lock records it', async () => {
    const r = await pullWith('linux/arm64');
    expect(r.stderr).not.toMatch(/error/);
    expect(r.code).toBe(0);
    expect(r.lock.images[0].platforms).toEqual(['linux/arm64']);
    expect(r.lock.images[0].digest).toBe(arm64.manifest.digest);
    const blobs = blobsIn(r.bundle);
    for (const b of [arm64.manifest, arm64.config, ...arm64.layers]) expect(blobs).toContain(hexOf(b.digest));
    for (const b of [amd64.manifest, amd64.config, ...amd64.layers]) expect(blobs).not.toContain(hexOf(b.digest));
    expect(blobs).not.toContain(hexOf(index.manifest.digest));
  });

  it('several platforms (spelt as users do: aarch64, spaces) bring both images under an index of the two', async () => {
    const r = await pullWith('linux/amd64, linux/aarch64');
    expect(r.code).toBe(0);
    expect(r.lock.images[0].platforms).toEqual(['linux/amd64', 'linux/arm64']);
    const blobs = blobsIn(r.bundle);
    for (const b of [...amd64.layers, ...arm64.layers, amd64.config, arm64.config]) expect(blobs).toContain(hexOf(b.digest));
  });

  it('--platform all keeps the upstream index as it is', async () => {
    const r = await pullWith('all');
    expect(r.code).toBe(0);
    expect(r.lock.images[0].platforms).toBe('all');
    expect(r.lock.images[0].digest).toBe(index.manifest.digest);
  });

  it('a lock written with --platform is pulled again with the same --platform; without it the lock no longer matches', async () => {
    const first = await pullWith('linux/arm64');
    expect(first.code).toBe(0);
    const dir = scratch();
    const again = (extra: string[]) =>
      run([
        'bundle',
        'pull',
        manifest,
        '-o',
        join(dir, 'b.tar'),
        '--cache',
        join(dir, 'cache'),
        '--plain-http',
        '--no-progress',
        '--lock',
        `${first.bundle}.lock.json`,
        ...extra,
      ]);
    const same = await again(['--platform', 'linux/arm64']);
    expect(same.code, same.stderr).toBe(0);
    expect(readFileSync(join(dir, 'b.tar.lock.json'), 'utf8')).toBe(readFileSync(`${first.bundle}.lock.json`, 'utf8'));
    const without = await again([]);
    expect(without.code).toBe(2);
    expect(without.stderr).toContain('platforms changed: the manifest asks for [linux/amd64], the lock has [linux/arm64]');
  });

  it('a bad value is a usage error (exit 2) naming the accepted form, before any request', async () => {
    for (const bad of ['linux', 'linux/amd64,', 'Linux/amd64/v8/x', 'all,linux/amd64']) {
      const r = await pullWith(bad);
      expect(r.code, bad).toBe(2);
      expect(r.stderr, bad).toContain('[USAGE]');
      expect(r.stderr, bad).toContain('--platform');
      expect(r.stderr, bad).toMatch(/expected os\/arch\[\/variant\]\[,…\] or all/);
    }
  });

  it('a platform the image does not have fails naming what it has', async () => {
    const r = await pullWith('linux/s390x');
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('PLATFORM_MISSING');
    expect(r.stderr).toContain('linux/amd64, linux/arm64');
  });
});
