import { describe, expect, it } from 'vitest';
import { sha256 } from '../../../src/core/digest.js';
import { Annotation, type Descriptor, MediaType } from '../../../src/core/media-types.js';
import { aptKind } from '../../../src/kinds/apt/handler.js';
import { chartKind } from '../../../src/kinds/chart/handler.js';
import { imageKind } from '../../../src/kinds/image/handler.js';
import type { LockedAptSource, LockedChart, LockedImage } from '../../../src/lock/types.js';
import { checkPins } from '../../../src/verify/pin-check.js';

const D = (c: string) => `sha256:${c.repeat(64)}`;
const artifact = (content: string) => {
  const body = Buffer.from(JSON.stringify({ schemaVersion: 2, layers: [{ mediaType: MediaType.OctetStream, digest: content, size: 3 }] }));
  return { body, digest: sha256(body) };
};
const blobs = new Map<string, Buffer>();
const entry = (annotations: Record<string, string>, content: string): Descriptor => {
  const a = artifact(content);
  blobs.set(a.digest.slice(7), a.body);
  return { mediaType: MediaType.OciManifest, digest: a.digest as Descriptor['digest'], size: a.body.length, annotations };
};
const read = async (hex: string) => blobs.get(hex);

describe('checkPins', () => {
  it('charts: matched by ref name, content is layer 0; an unpinned entry is named by its ref name', async () => {
    const chart = {
      name: 'grafana',
      version: '1.2.3',
      sha256: 'e'.repeat(64),
      size: 3,
      vouchedBy: { kind: 'oci', ref: 'r/grafana:1.2.3', manifestDigest: D('1') },
    } as LockedChart;
    const entries = [
      entry({ [Annotation.Kind]: 'chart', [Annotation.RefName]: 'charts/grafana:1.2.3' }, D('f')),
      entry({ [Annotation.Kind]: 'chart', [Annotation.RefName]: 'charts/loki:2.0.0' }, D('c')),
      entry({ [Annotation.Kind]: 'file', [Annotation.Title]: 'a.txt' }, D('a')),
    ];
    expect(await checkPins(chartKind, [chart], entries, read)).toEqual([
      {
        path: 'ferry.lock.json',
        code: 'LOCK_MISMATCH',
        expected: `sha256:${'e'.repeat(64)}`,
        actual: D('f'),
        message: `chart grafana 1.2.3: the bundle carries ${D('f')}, the lock pins sha256:${'e'.repeat(64)}`,
      },
      { path: 'ferry.lock.json', code: 'LOCK_MISMATCH', message: 'chart charts/loki:2.0.0 is in index.json but not in the lock' },
    ]);
  });

  it('apt: debs by title under APT_CHAIN; the apt-meta entries are the chain, not pins', async () => {
    const source = {
      debs: [
        {
          name: 'x',
          version: '1',
          file: 'x_1_amd64.deb',
          sha256: 'e'.repeat(64),
          size: 3,
          suite: 's',
          index: 'main/binary-amd64/Packages.gz',
          url: 'u',
        },
      ],
      releases: [],
      keyring: {},
    } as unknown as LockedAptSource;
    const entries = [
      entry({ [Annotation.Kind]: 'apt', [Annotation.Title]: 'x_1_amd64.deb' }, D('f')),
      entry({ [Annotation.Kind]: 'apt', [Annotation.Title]: 'y_1_amd64.deb' }, D('c')),
      entry({ [Annotation.Kind]: 'apt-meta', [Annotation.RefName]: 'apt-meta/0' }, D('b')),
    ];
    const problems = await checkPins(aptKind, [source], entries, read);
    expect(problems.map((p) => p.message)).toEqual([
      `apt package x_1_amd64.deb: the bundle carries ${D('f')}, the lock pins sha256:${'e'.repeat(64)}`,
      'apt package y_1_amd64.deb is in index.json but not in the lock',
    ]);
    expect(problems.every((p) => p.code === 'APT_CHAIN')).toBe(true);
  });

  it('images: the root digest is compared; an entry named twice is matched once, the other is not in the lock', async () => {
    const img = {
      ref: 'docker.io/x/a:1',
      platforms: 'all',
      digest: D('a'),
      mediaType: MediaType.OciManifest,
      size: 1,
      upstreamDigest: D('a'),
      upstreamMediaType: MediaType.OciManifest,
    } as LockedImage;
    const e = (digest: string): Descriptor => ({
      mediaType: MediaType.OciManifest,
      digest: digest as Descriptor['digest'],
      size: 1,
      annotations: { [Annotation.Kind]: 'image', [Annotation.RefName]: img.ref },
    });
    expect((await checkPins(imageKind, [img], [e(D('a'))], read)).length).toBe(0);
    expect((await checkPins(imageKind, [img], [e(D('b')), e(D('a'))], read)).map((p) => p.message)).toEqual([
      `image docker.io/x/a:1: index.json has ${D('b')}, the lock pins ${D('a')}`,
      'image docker.io/x/a:1 is in index.json but not in the lock',
    ]);
  });
});
