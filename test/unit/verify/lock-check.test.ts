import { describe, expect, it } from 'vitest';
import { sha256 } from '../../../src/core/digest.js';
import { Annotation, type ImageIndex, MediaType } from '../../../src/core/media-types.js';
import { serializeLock } from '../../../src/lock/lock-file.js';
import type { Lock } from '../../../src/lock/types.js';
import { checkLockAgainstIndex } from '../../../src/verify/lock-check.js';

const D = (c: string) => `sha256:${c.repeat(64)}`;
const fileManifest = Buffer.from(
  JSON.stringify({ schemaVersion: 2, layers: [{ mediaType: MediaType.OctetStream, digest: D('f'), size: 3 }] }),
);
const fileDigest = sha256(fileManifest);
const index = {
  schemaVersion: 2,
  manifests: [
    {
      mediaType: MediaType.OciManifest,
      digest: D('a'),
      size: 1,
      annotations: { [Annotation.Kind]: 'image', [Annotation.RefName]: 'docker.io/x/a:1' },
    },
    {
      mediaType: MediaType.OciManifest,
      digest: fileDigest,
      size: fileManifest.length,
      annotations: { [Annotation.Kind]: 'file', [Annotation.Title]: 'f.tgz' },
    },
  ],
} as unknown as ImageIndex;
const lock = (over: Partial<Lock> = {}): Buffer =>
  Buffer.from(
    serializeLock({
      lockVersion: 1,
      bundle: { name: 'b' },
      images: [
        {
          ref: 'docker.io/x/a:1',
          platforms: ['linux/amd64'],
          digest: D('a'),
          mediaType: MediaType.OciManifest,
          size: 1,
          upstreamDigest: D('a'),
          upstreamMediaType: MediaType.OciManifest,
        },
      ],
      files: [{ name: 'f.tgz', url: 'https://e/f.tgz', sha256: 'f'.repeat(64), vouchedBy: { kind: 'inline' } }],
      ...over,
    }),
  );
const read = async (hex: string) => (hex === fileDigest.slice(7) ? fileManifest : undefined);

describe('checkLockAgainstIndex', () => {
  it('accepts an index holding exactly what the lock pins', async () => {
    expect(await checkLockAgainstIndex(lock(), index, read)).toEqual([]);
  });

  it('names images and files that differ, are missing or are extra', async () => {
    const problems = await checkLockAgainstIndex(
      lock({
        images: [
          {
            ref: 'docker.io/x/b:1',
            platforms: 'all',
            digest: D('b'),
            mediaType: 'm',
            size: 1,
            upstreamDigest: D('b'),
            upstreamMediaType: 'm',
          },
        ],
        files: [{ name: 'f.tgz', url: 'https://e/f.tgz', sha256: 'e'.repeat(64), vouchedBy: { kind: 'inline' } }],
      }),
      index,
      read,
    );
    expect(problems.map((p) => p.message)).toEqual([
      'image docker.io/x/b:1 is in the lock but not in index.json',
      'image docker.io/x/a:1 is in index.json but not in the lock',
      `file f.tgz: the bundle carries ${D('f')}, the lock pins sha256:${'e'.repeat(64)}`,
    ]);
    expect(problems.every((p) => p.code === 'LOCK_MISMATCH')).toBe(true);
  });

  it('reports an unreadable lock as MALFORMED', async () => {
    expect((await checkLockAgainstIndex(Buffer.from('{"lockVersion":1}'), index, read))[0]?.code).toBe('MALFORMED');
  });
});
