import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { canonicalJson, checkLockMatchesManifest, parseLock, readLock, serializeLock, writeLockAtomic } from '../../../src/lock/lock-file.js';
import type { Lock } from '../../../src/lock/types.js';
import type { BundleManifest } from '../../../src/manifest/types.js';

const D = (c: string) => `sha256:${c.repeat(64)}`;
const lock: Lock = {
  lockVersion: 1,
  bundle: { name: 'demo' },
  images: [
    { ref: 'quay.io/b:1', platforms: ['linux/amd64'], digest: D('b'), mediaType: 'm', size: 2, upstreamDigest: D('c'), upstreamMediaType: 'i' },
    { ref: 'docker.io/a:1', platforms: 'all', digest: D('a'), mediaType: 'm', size: 1, upstreamDigest: D('a'), upstreamMediaType: 'm' },
  ],
  files: [{ name: 'f.tgz', url: 'https://e/f.tgz', sha256: 'f'.repeat(64), vouchedBy: { kind: 'checksums', url: 'https://e/SUMS', sha256: 'e'.repeat(64), line: 3 } }],
};
const manifest: BundleManifest = {
  path: 'm.yaml',
  name: 'demo',
  platforms: ['linux/amd64'],
  images: [
    { ref: 'docker.io/a:1', platforms: 'all' },
    { ref: 'quay.io/b:1', platforms: ['linux/amd64'] },
  ],
  files: [{ name: 'f.tgz', url: 'https://e/f.tgz', checksums: 'https://e/SUMS' }],
};

describe('lock file', () => {
  it('is canonical: sorted keys and entries, whatever the input order', () => {
    const shuffled = JSON.parse(JSON.stringify(lock)) as Lock;
    shuffled.images.reverse();
    expect(serializeLock(shuffled)).toBe(serializeLock(lock));
    const text = serializeLock(lock);
    expect(text.indexOf('docker.io/a:1')).toBeLessThan(text.indexOf('quay.io/b:1'));
    expect(text.endsWith('}\n')).toBe(true);
    expect(canonicalJson({ b: 1, a: { d: 1, c: 2 } })).toBe('{\n  "a": {\n    "c": 2,\n    "d": 1\n  },\n  "b": 1\n}\n');
  });

  it('round-trips through an atomic write', async () => {
    const path = join(mkdtempSync(join(tmpdir(), 'ferry-lock-')), 'ferry.lock.json');
    await writeLockAtomic(path, lock);
    expect(readFileSync(path, 'utf8')).toBe(serializeLock(lock));
    expect(serializeLock(await readLock(path))).toBe(serializeLock(lock));
  });

  it('rejects what is not a version-1 lock', () => {
    expect(() => parseLock('{', 'x.json')).toThrow(/x\.json: not valid JSON/);
    expect(() => parseLock(JSON.stringify({ ...lock, lockVersion: 2 }), 'x.json')).toThrowError(expect.objectContaining({ code: 'LOCK_INVALID' }));
    expect(() => parseLock(JSON.stringify({ ...lock, images: [{ ...lock.images[0], digest: 'nope' }] }), 'x.json')).toThrow(/images\.0\.digest/);
  });

  it('accepts a lock that matches the manifest', () => {
    expect(() => checkLockMatchesManifest(lock, manifest)).not.toThrow();
  });

  it('lists every difference between lock and manifest', () => {
    const changed: BundleManifest = {
      ...manifest,
      images: [{ ref: 'docker.io/a:1', platforms: ['linux/amd64'] }, { ref: 'quay.io/new:1', platforms: ['linux/amd64'] }, manifest.images[1]!],
      files: [{ name: 'f.tgz', url: 'https://e/f.tgz', sha256: 'f'.repeat(64) }],
    };
    try {
      checkLockMatchesManifest(lock, changed);
      throw new Error('expected a mismatch');
    } catch (err) {
      const e = err as { code: string; details: { differences: string[] } };
      expect(e.code).toBe('LOCK_MISMATCH');
      expect(e.details.differences).toEqual([
        'image docker.io/a:1 [linux/amd64]: in the manifest, not in the lock',
        'image quay.io/new:1 [linux/amd64]: in the manifest, not in the lock',
        'image docker.io/a:1 [all]: in the lock, not in the manifest',
        `file f.tgz from https://e/f.tgz (sha256 ${'f'.repeat(64)}): in the manifest, not in the lock`,
        'file f.tgz from https://e/f.tgz (checksums https://e/SUMS): in the lock, not in the manifest',
      ]);
    }
  });
});
