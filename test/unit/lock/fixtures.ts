import type { Lock } from '../../../src/lock/types.js';

export const D = (c: string) => `sha256:${c.repeat(64)}`;
/** A lock with index and manifest images, inline and checksum-vouched files, in no particular order. */
export const sampleLock: Lock = {
  lockVersion: 1,
  bundle: { name: 'demo' },
  images: [
    {
      ref: 'quay.io/b/b:1',
      platforms: ['linux/amd64', 'linux/arm64'],
      digest: D('b'),
      mediaType: 'application/vnd.oci.image.index.v1+json',
      size: 2,
      upstreamDigest: D('c'),
      upstreamMediaType: 'application/vnd.oci.image.index.v1+json',
      upstreamPlatforms: ['linux/amd64', 'linux/arm64', 'linux/s390x'],
    },
    {
      ref: 'docker.io/library/a:1',
      platforms: 'all',
      digest: D('a'),
      mediaType: 'm',
      size: 1,
      upstreamDigest: D('a'),
      upstreamMediaType: 'm',
    },
  ],
  files: [
    { name: 'z.tgz', url: 'https://e.org/z.tgz', sha256: 'd'.repeat(64), size: 10, vouchedBy: { kind: 'inline' } },
    {
      name: 'f.tgz',
      url: 'https://e.org/f.tgz',
      sha256: 'f'.repeat(64),
      vouchedBy: { kind: 'checksums', url: 'https://e.org/SUMS', sha256: 'e'.repeat(64), line: 3 },
    },
  ],
};
