import { describe, expect, it } from 'vitest';
import { isFerryError } from '../../../src/core/errors.js';
import { checkLockMatchesManifest } from '../../../src/lock/lock-file.js';
import type { LockedAptSource, LockedChart, LockedRke2 } from '../../../src/lock/types.js';
import type { BundleManifest } from '../../../src/manifest/types.js';
import { sampleLock } from './fixtures.js';

/** The manifest sampleLock was resolved from (entries in another order, platforms written in another order). */
const manifest: BundleManifest = {
  path: 'm.yaml',
  name: 'demo',
  platforms: ['linux/amd64'],
  images: [
    { ref: 'docker.io/library/a:1', platforms: 'all' },
    { ref: 'quay.io/b/b:1', platforms: ['linux/arm64', 'linux/amd64'] },
  ],
  files: [
    { name: 'f.tgz', url: 'https://e.org/f.tgz', checksums: 'https://e.org/SUMS' },
    { name: 'z.tgz', url: 'https://e.org/z.tgz', sha256: 'd'.repeat(64) },
  ],
  charts: [],
  apt: [],
  artifacts: [],
};

function differences(m: BundleManifest): string[] {
  try {
    checkLockMatchesManifest(sampleLock, m);
  } catch (err) {
    if (!isFerryError(err, 'LOCK_MISMATCH')) throw err;
    const diffs = err.details.differences as string[];
    expect(err.message).toBe(`the lock no longer matches the manifest m.yaml:\n  ${diffs.join('\n  ')}`);
    return diffs;
  }
  return [];
}

describe('checkLockMatchesManifest', () => {
  it('accepts the manifest the lock was made from', () => {
    expect(differences(manifest)).toEqual([]);
  });

  it('reports an added and a removed image', () => {
    expect(
      differences({ ...manifest, images: [manifest.images[0]!, { ref: 'docker.io/library/alpine:3.20', platforms: ['linux/amd64'] }] }),
    ).toEqual([
      'image docker.io/library/alpine:3.20 [linux/amd64]: in the manifest, not in the lock',
      'image quay.io/b/b:1 [linux/amd64,linux/arm64]: in the lock, not in the manifest',
    ]);
  });

  it('reports a changed platform request', () => {
    expect(
      differences({ ...manifest, images: [{ ref: 'docker.io/library/a:1', platforms: ['linux/amd64'] }, manifest.images[1]!] }),
    ).toEqual(['image docker.io/library/a:1: platforms changed: the manifest asks for [linux/amd64], the lock has [all]']);
  });

  it('reports changed file URLs and pins, and added and removed files', () => {
    expect(
      differences({
        ...manifest,
        files: [
          { name: 'f.tgz', url: 'https://e.org/v2/f.tgz', checksums: 'https://e.org/v2/SUMS' },
          { name: 'z.tgz', url: 'https://e.org/z.tgz', checksums: 'https://e.org/SUMS' },
          { name: 'new.tgz', url: 'https://e.org/new.tgz', sha256: '1'.repeat(64) },
        ],
      }),
    ).toEqual([
      'file f.tgz: URL changed: the manifest says https://e.org/v2/f.tgz, the lock says https://e.org/f.tgz',
      'file f.tgz: pin changed: the manifest says checksums https://e.org/v2/SUMS, the lock says checksums https://e.org/SUMS',
      `file z.tgz: pin changed: the manifest says checksums https://e.org/SUMS, the lock says sha256 ${'d'.repeat(64)}`,
      `file new.tgz from https://e.org/new.tgz (sha256 ${'1'.repeat(64)}): in the manifest, not in the lock`,
    ]);
    expect(differences({ ...manifest, files: [manifest.files[0]!, { ...manifest.files[1]!, sha256: 'e'.repeat(64) }] })).toEqual([
      `file z.tgz: pin changed: the manifest says sha256 ${'e'.repeat(64)}, the lock says sha256 ${'d'.repeat(64)}`,
    ]);
    expect(differences({ ...manifest, files: [manifest.files[1]!] })).toEqual([
      'file f.tgz from https://e.org/f.tgz (checksums https://e.org/SUMS): in the lock, not in the manifest',
    ]);
  });

  it('compares URLs as URLs: a lock written with another spelling of the same URLs still matches', () => {
    const spelt = {
      ...manifest,
      files: [{ ...manifest.files[0]!, url: 'HTTPS://E.ORG:443/f.tgz', checksums: 'https://e.org:443/SUMS' }, manifest.files[1]!],
    };
    expect(differences(spelt)).toEqual([]);
    // The same check still sees a real change, and names the URLs as each side wrote them.
    expect(differences({ ...spelt, files: [{ ...spelt.files[0]!, url: 'HTTPS://E.ORG:8443/f.tgz' }, manifest.files[1]!] })).toEqual([
      'file f.tgz: URL changed: the manifest says HTTPS://E.ORG:8443/f.tgz, the lock says https://e.org/f.tgz',
    ]);

    const rke2: LockedRke2 = {
      version: 'v1.30.4+rke2r1',
      arch: 'amd64',
      installScript: true,
      pushImages: true,
      releaseUrl: 'https://github.com/rancher/rke2/releases/download',
      installScriptUrl: 'https://get.rke2.io',
      files: [],
    } as unknown as LockedRke2;
    const chart = {
      repo: 'https://charts.example/stable',
      name: 'app',
      requested: '1.0.0',
      images: [],
      imagesEnabled: true,
      extraImages: [],
      excludeImages: [],
      values: [],
    } as unknown as LockedChart;
    const apt = {
      url: 'http://deb.example/debian',
      suites: ['s'],
      components: ['main'],
      architectures: ['amd64'],
      packages: ['jq'],
      dependencies: true,
      recommends: false,
      keyring: { path: '/k.gpg' },
    } as unknown as LockedAptSource;
    const lock = { ...sampleLock, rke2, charts: [chart], apt: [apt] };
    const wanted: BundleManifest = {
      ...manifest,
      rke2: {
        version: 'v1.30.4+rke2r1',
        arch: 'amd64',
        installScript: true,
        pushImages: true,
        releaseUrl: 'HTTPS://GitHub.com:443/rancher/rke2/releases/download',
        installScriptUrl: 'HTTPS://GET.RKE2.IO:443/',
      },
      charts: [
        {
          repo: 'https://Charts.Example:443/stable',
          name: 'app',
          version: '1.0.0',
          images: true,
          values: [],
          extraImages: [],
          excludeImages: [],
          render: true,
        },
      ],
      apt: [
        {
          url: 'HTTP://deb.example:80/debian',
          suites: ['s'],
          components: ['main'],
          architectures: ['amd64'],
          packages: ['jq'],
          dependencies: true,
          recommends: false,
          keyring: '/k.gpg',
        },
      ],
    };
    expect(() => checkLockMatchesManifest(lock, wanted)).not.toThrow();
    const moved = { ...wanted, rke2: { ...wanted.rke2!, installScriptUrl: 'https://get.rke2.io/v2' } };
    expect(() => checkLockMatchesManifest(lock, moved)).toThrowError(
      /rke2\.installScriptUrl changed: the manifest says https:\/\/get\.rke2\.io\/v2, the lock says https:\/\/get\.rke2\.io$/,
    );
  });

  it('reports a renamed bundle along with everything else', () => {
    expect(differences({ ...manifest, name: 'prod', images: [], files: [] })).toEqual([
      'bundle name: the manifest says prod, the lock says demo',
      'image docker.io/library/a:1 [all]: in the lock, not in the manifest',
      'image quay.io/b/b:1 [linux/amd64,linux/arm64]: in the lock, not in the manifest',
      'file f.tgz from https://e.org/f.tgz (checksums https://e.org/SUMS): in the lock, not in the manifest',
      'file z.tgz from https://e.org/z.tgz (sha256 ' + 'd'.repeat(64) + '): in the lock, not in the manifest',
    ]);
  });
});
