import { describe, expect, it } from 'vitest';
import { sha256 } from '../../../src/core/digest.js';
import { MediaType } from '../../../src/core/media-types.js';
import { checkConfigPlatform, selectPlatforms } from '../../../src/kinds/image/select-platforms.js';

const child = (n: number, platform: object, annotations?: object) => ({
  mediaType: MediaType.OciManifest,
  digest: `sha256:${String(n).repeat(64).slice(0, 64)}`,
  size: 100 + n,
  platform,
  ...(annotations ? { annotations } : {}),
});
const index = {
  schemaVersion: 2,
  mediaType: MediaType.OciIndex,
  manifests: [
    child(1, { os: 'linux', architecture: 'amd64' }),
    child(2, { os: 'linux', architecture: 'arm64', variant: 'v8' }),
    child(3, { os: 'linux', architecture: 'arm', variant: 'v7' }),
    child(4, { os: 'unknown', architecture: 'unknown' }, { 'vnd.docker.reference.type': 'attestation-manifest' }),
  ],
};
const body = Buffer.from(JSON.stringify(index));
const upstream = { mediaType: MediaType.OciIndex, digest: sha256(body), size: body.length };

describe('selectPlatforms', () => {
  it('keeps the upstream child byte for byte for one platform', () => {
    const s = selectPlatforms('img', upstream, body, ['linux/arm64']);
    expect(s.root.digest).toBe(index.manifests[1]?.digest);
    expect(s.syntheticBody).toBeUndefined();
    expect(s.upstreamPlatforms).toEqual(['linux/amd64', 'linux/arm64/v8', 'linux/arm/v7']);
  });

  it('keeps the upstream index unchanged for all', () => {
    expect(selectPlatforms('img', upstream, body, 'all').root.digest).toBe(upstream.digest);
  });

  it('writes a filtered index for several platforms, deterministically', () => {
    const a = selectPlatforms('img', upstream, body, ['linux/arm/v7', 'linux/amd64']);
    const b = selectPlatforms('img', upstream, body, ['linux/arm/v7', 'linux/amd64']);
    const kept = JSON.parse(String(a.syntheticBody)).manifests.map((m: { digest: string }) => m.digest);
    expect(kept).toEqual([index.manifests[0]?.digest, index.manifests[2]?.digest]);
    expect(a.root.digest).toBe(sha256(a.syntheticBody as Buffer));
    expect(a.root.digest).not.toBe(upstream.digest);
    expect(b.syntheticBody?.equals(a.syntheticBody as Buffer)).toBe(true);
  });

  it('names the image and what it has when a platform is missing', () => {
    expect(() => selectPlatforms('quay.io/x/y:1', upstream, body, ['linux/s390x'])).toThrowError(
      expect.objectContaining({
        code: 'PLATFORM_MISSING',
        message: 'quay.io/x/y:1: no linux/s390x image; it has linux/amd64, linux/arm64/v8, linux/arm/v7',
      }),
    );
  });

  it('checks single-platform images against their config', () => {
    expect(() => checkConfigPlatform('i', { os: 'linux', architecture: 'amd64' }, ['linux/amd64'])).not.toThrow();
    expect(() => checkConfigPlatform('i', { os: 'linux', architecture: 'amd64' }, ['linux/amd64', 'linux/arm64'])).toThrow(
      /no linux\/arm64 image; it is a single-platform linux\/amd64 image/,
    );
  });
});
