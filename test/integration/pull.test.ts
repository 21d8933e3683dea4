import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BundleReader } from '../../src/bundle/reader.js';
import { verifyBundle } from '../../src/verify/verify-bundle.js';
import { type StandardFixtures, buildStandardFixtures, seedStandardFixtures } from '../helpers/standard-fixtures.js';
import { type TestRegistry, startRegistry } from '../helpers/registry.js';
import { requireTools } from '../helpers/tools.js';
import { pull, run, scratch, writeManifest } from './ferry-env.js';

const ok = requireTools('docker-registry', 'skopeo', 'sha256sum', 'tar');

describe.runIf(ok)('bundle pull from a real registry', () => {
  let up: TestRegistry;
  let f: StandardFixtures;
  let mirror: [string, string][];

  beforeAll(async () => {
    up = await startRegistry();
    f = await buildStandardFixtures();
    await seedStandardFixtures(up, f);
    mirror = [['docker.io', up.url]];
  });
  afterAll(async () => up?.stop());

  const images = `  images:
    - alpine:3.19
    - velero/velero:v1.9.1
    - busybox:1.36
    - team/app-a:1
    - team/app-b:1
`;

  it('keeps upstream bytes: Docker and OCI manifests, one platform of an index is the upstream child', async () => {
    const dir = scratch();
    const { result } = await pull(writeManifest(dir, images), join(dir, 'b.tar'), mirror);
    const lock = JSON.parse(readFileSync(result.lockPath, 'utf8'));
    const byRef = Object.fromEntries(lock.images.map((i: { ref: string }) => [i.ref, i]));
    expect(byRef['docker.io/library/alpine:3.19'].digest).toBe(f.oci.manifest.digest);
    expect(byRef['docker.io/velero/velero:v1.9.1'].digest).toBe(f.docker.manifest.digest);
    expect(byRef['docker.io/velero/velero:v1.9.1'].mediaType).toBe('application/vnd.docker.distribution.manifest.v2+json');
    // linux/amd64 from a Docker manifest list: the child itself, upstream list digest recorded.
    expect(byRef['docker.io/library/busybox:1.36'].digest).toBe(f.list.children[0]?.image.manifest.digest);
    expect(byRef['docker.io/library/busybox:1.36'].upstreamDigest).toBe(f.list.manifest.digest);

    const reader = await BundleReader.open(result.bundle);
    for (const b of [f.oci.manifest, f.oci.config, ...f.oci.layers, f.docker.manifest, ...f.docker.layers]) {
      const chunks: Buffer[] = [];
      for await (const c of await reader.fetch({ mediaType: b.mediaType, digest: b.digest as never, size: b.size }))
        chunks.push(c as Buffer);
      expect(Buffer.concat(chunks).equals(b.data as Buffer)).toBe(true);
    }
    const names = reader.index().manifests.map((m) => m.annotations?.['io.containerd.image.name']);
    expect(names).toEqual([
      'docker.io/library/alpine:3.19',
      'docker.io/library/busybox:1.36',
      'docker.io/team/app-a:1',
      'docker.io/team/app-b:1',
      'docker.io/velero/velero:v1.9.1',
    ]);
    await reader.close();
    expect((await verifyBundle(result.bundle)).ok).toBe(true);
  });

  it('stores a shared base layer once', async () => {
    const dir = scratch();
    const { result } = await pull(writeManifest(dir, '  images: [team/app-a:1, team/app-b:1]\n'), join(dir, 'b.tar'), mirror);
    const reader = await BundleReader.open(result.bundle);
    const base = f.appA.layers[0]?.digest.slice(7) as string;
    expect(reader.entries.filter((e) => e.path.endsWith(base))).toHaveLength(1);
    await reader.close();
  });

  it('platform selection: several → rewritten index of those children; all → upstream index unchanged', async () => {
    const dir = scratch();
    const { result } = await pull(
      writeManifest(
        dir,
        `  images:\n    - ref: prometheus/prometheus:v2.53.0\n      platforms: [linux/arm/v7, linux/amd64]\n    - ref: busybox:1.36\n      platforms: all\n`,
      ),
      join(dir, 'b.tar'),
      mirror,
    );
    const lock = JSON.parse(readFileSync(result.lockPath, 'utf8'));
    const prom = lock.images.find((i: { ref: string }) => i.ref.includes('prometheus'));
    const bb = lock.images.find((i: { ref: string }) => i.ref.includes('busybox'));
    expect(prom.upstreamDigest).toBe(f.multi.manifest.digest);
    expect(prom.digest).not.toBe(f.multi.manifest.digest);
    expect(prom.upstreamPlatforms).toEqual(['linux/amd64', 'linux/arm64/v8', 'linux/arm/v7']);
    expect(bb.digest).toBe(f.list.manifest.digest);
    const reader = await BundleReader.open(result.bundle);
    const chunks: Buffer[] = [];
    for await (const c of await reader.fetch({ mediaType: prom.mediaType, digest: prom.digest, size: prom.size })) chunks.push(c as Buffer);
    const kept = JSON.parse(Buffer.concat(chunks).toString()).manifests.map((m: { digest: string }) => m.digest);
    expect(kept).toEqual([f.multi.children[0]?.image.manifest.digest, f.multi.children[2]?.image.manifest.digest]);
    expect(reader.index().manifests.find((m) => m.digest === prom.digest)?.annotations?.['dev.ferry.upstream-digest']).toBe(
      f.multi.manifest.digest,
    );
    await reader.close();
  });

  it('fails naming the image and its platforms when a platform is missing, and leaves no bundle', async () => {
    const dir = scratch();
    await expect(
      pull(
        writeManifest(dir, `  images:\n    - ref: prometheus/prometheus:v2.53.0\n      platforms: [linux/s390x]\n`),
        join(dir, 'b.tar'),
        mirror,
      ),
    ).rejects.toThrow('docker.io/prometheus/prometheus:v2.53.0: no linux/s390x image; it has linux/amd64, linux/arm64/v8, linux/arm/v7');
    expect(existsSync(join(dir, 'b.tar'))).toBe(false);
  });

  it('is deterministic and honours --lock without re-resolving tags', async () => {
    const dir = scratch();
    const manifest = writeManifest(dir, images);
    const a = await pull(manifest, join(dir, 'a.tar'), mirror);
    const b = await pull(manifest, join(dir, 'b.tar'), mirror, { lockPath: a.result.lockPath });
    expect(readFileSync(join(dir, 'a.tar')).equals(readFileSync(join(dir, 'b.tar')))).toBe(true);
    // With --lock no tag is resolved: no manifest request by tag reaches the registry.
    expect(a.events.some((e) => e.type === 'resolved')).toBe(true);
    expect(b.events.filter((e) => (e.type === 'info' && e.message.includes('resolved')) || e.type === 'resolved')).toEqual([]);
  });

  it('refuses a lock that no longer matches the manifest (exit 2)', async () => {
    const dir = scratch();
    const manifest = writeManifest(dir, images);
    const a = await pull(manifest, join(dir, 'a.tar'), mirror);
    const changed = writeManifest(dir, `${images}    - alpine:3.20\n`);
    const r = await run([
      'bundle',
      'pull',
      changed,
      '-o',
      join(dir, 'c.tar'),
      '--lock',
      a.result.lockPath,
      '--mirror',
      `docker.io=${up.url}`,
      '--cache',
      join(dir, 'cache'),
    ]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('image docker.io/library/alpine:3.20 [linux/amd64]: in the manifest, not in the lock');
  });

  it('is readable by skopeo and checkable with coreutils alone', async () => {
    const dir = scratch();
    const { result } = await pull(writeManifest(dir, images), join(dir, 'b.tar'), mirror);
    const raw = execFileSync('skopeo', ['inspect', '--raw', `oci-archive:${result.bundle}:docker.io/library/alpine:3.19`]);
    expect(raw.equals(f.oci.manifest.data)).toBe(true);
    const info = JSON.parse(
      execFileSync('skopeo', ['inspect', `oci-archive:${result.bundle}:docker.io/library/alpine:3.19`], { encoding: 'utf8' }),
    );
    expect(info.Digest).toBe(f.oci.manifest.digest);
    const x = scratch();
    execFileSync('tar', ['-xf', result.bundle, '-C', x]);
    expect(execFileSync('sha256sum', ['--strict', '-c', 'SHA256SUMS'], { cwd: x, encoding: 'utf8' })).toMatch(/ferry\.lock\.json: OK/);
    expect(readdirSync(join(x, 'blobs', 'sha256')).length).toBe(result.blobs);
  });
});
