import { describe, expect, it } from 'vitest';
import { parseChecksumList } from '../../../src/kinds/file/checksum-list.js';
import { imageSetsOffered, parseImageList, planReleaseFiles, releaseFileUrl } from '../../../src/kinds/rke2/release-files.js';
import type { Rke2Entry } from '../../../src/manifest/types.js';

const h = 'a'.repeat(64);
const lines = parseChecksumList(
  [
    'rke2.linux-amd64.tar.gz',
    'rke2.linux-amd64',
    'rke2-images.linux-amd64.tar.zst',
    'rke2-images.linux-amd64.tar.gz',
    'rke2-images.linux-amd64.txt',
    'rke2-images-core.linux-amd64.tar.zst',
    'rke2-images-core.linux-amd64.tar.gz',
    'rke2-images-core.linux-amd64.txt',
    'rke2-images-vsphere.linux-amd64.tar.gz',
    'rke2-images-vsphere.linux-amd64.txt',
    'rke2-images-ingress-nginx.linux-amd64.tar.zst',
    'rke2-images-all.linux-amd64.txt',
  ]
    .map((n) => `${h}  ${n}`)
    .join('\n'),
);
const entry = (imageSets?: string[]): Rke2Entry => ({
  version: 'v1.30.4+rke2r1',
  arch: 'amd64',
  ...(imageSets ? { imageSets } : {}),
  installScript: true,
  pushImages: true,
  releaseUrl: 'https://github.com/rancher/rke2/releases/download',
  installScriptUrl: 'https://get.rke2.io',
});

describe('RKE2 release files', () => {
  it('percent-encodes the tag in download URLs', () => {
    expect(releaseFileUrl('https://github.com/rancher/rke2/releases/download', 'v1.30.4+rke2r1', 'sha256sum-amd64.txt')).toBe(
      'https://github.com/rancher/rke2/releases/download/v1.30.4%2Brke2r1/sha256sum-amd64.txt',
    );
  });

  it('finds the sets that have a tarball (a lone .txt such as images-all is not a set)', () => {
    expect(imageSetsOffered(lines, 'amd64')).toEqual(['core', 'ingress-nginx', 'vsphere']);
    expect(imageSetsOffered(lines, 'arm64')).toEqual([]);
  });

  it('plans the all-in-one tarball by default, prefers .tar.zst, falls back to .tar.gz', () => {
    expect(planReleaseFiles(entry(), lines, 'L').map((f) => f.name)).toEqual([
      'rke2.linux-amd64.tar.gz',
      'rke2-images.linux-amd64.tar.zst',
      'rke2-images.linux-amd64.txt',
    ]);
    expect(planReleaseFiles(entry(['core', 'vsphere']), lines, 'L')).toEqual([
      { name: 'rke2.linux-amd64.tar.gz', role: 'binary' },
      { name: 'rke2-images-core.linux-amd64.tar.zst', role: 'images', imageSet: 'core' },
      { name: 'rke2-images-core.linux-amd64.txt', role: 'image-list', imageSet: 'core' },
      { name: 'rke2-images-vsphere.linux-amd64.tar.gz', role: 'images', imageSet: 'vsphere' },
      { name: 'rke2-images-vsphere.linux-amd64.txt', role: 'image-list', imageSet: 'vsphere' },
    ]);
  });

  it('names the sets the release has when asked for one it lacks', () => {
    expect(() => planReleaseFiles(entry(['core', 'calico', 'all']), lines, 'https://x/sha256sum-amd64.txt')).toThrow(
      'RKE2 v1.30.4+rke2r1 (amd64) has no image set calico, all; https://x/sha256sum-amd64.txt lists these sets: core, ingress-nginx, vsphere',
    );
  });

  it('reads image lists, skipping blanks and comments', () => {
    expect(parseImageList('docker.io/rancher/a:1\r\n\n# note\n  docker.io/rancher/b:2  \n')).toEqual([
      'docker.io/rancher/a:1',
      'docker.io/rancher/b:2',
    ]);
  });
});
