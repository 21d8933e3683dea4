import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { Descriptor } from '../../../src/core/media-types.js';
import { aptMetaIndexEntry, debIndexEntry } from '../../../src/kinds/apt/source.js';
import { chartIndexEntry } from '../../../src/kinds/chart/source.js';
import { ferryIndexEntry } from '../../../src/kinds/ferry/source.js';
import { fileIndexEntry } from '../../../src/kinds/file/source.js';
import { imageIndexEntry } from '../../../src/kinds/image/source.js';
import { KINDS } from '../../../src/kinds/index.js';
import { rke2IndexEntry } from '../../../src/kinds/rke2/source.js';
import type {
  LockedAptSource,
  LockedChart,
  LockedDeb,
  LockedFerry,
  LockedImage,
  LockedRke2,
  LockedRke2File,
} from '../../../src/lock/types.js';
import { buildBundleIndex } from '../../../src/pull/bundle-index.js';

const d = (n: number, artifactType?: string): Descriptor =>
  ({
    mediaType: 'application/vnd.oci.image.manifest.v1+json',
    digest: `sha256:${String(n).padStart(64, '0')}`,
    size: n,
    ...(artifactType ? { artifactType } : {}),
  }) as Descriptor;

/** A kind by its name (KINDS gains kinds over time: its positions are not fixed). */
const kind = (name: string) => KINDS.find((k) => k.kind === name) as (typeof KINDS)[number];

describe('the bundle index', () => {
  // The expected bytes were written by the per-kind index builder this replaced: the same entries give the same index.json.
  it('lists kinds in KINDS order, each by its sort key (apt: debs, then metadata in source order), annotations in the same key order', () => {
    const image = (ref: string, upstream: string, platforms: LockedImage['platforms']) =>
      ({ ref, digest: 'sha256:1', upstreamDigest: upstream, platforms }) as LockedImage;
    const rke2 = { version: 'v1', pushImages: true, files: [] } as unknown as LockedRke2;
    const rke2File = (name: string, role: string, imageSet?: string) =>
      ({ name, role, ...(imageSet ? { imageSet } : {}) }) as unknown as LockedRke2File;
    const chart = (name: string, version: string) => ({ name, version }) as LockedChart;
    const deb = (file: string) => ({ file }) as LockedDeb;
    const source = (url: string) => ({ url }) as LockedAptSource;
    const fetched = [
      {
        kind: kind('apt'),
        entries: [
          debIndexEntry(deb('z.deb'), d(30, 'q')),
          debIndexEntry(deb('a.deb'), d(31)),
          aptMetaIndexEntry(source('http://s1'), 0, d(40, 'm')),
          debIndexEntry(deb('m.deb'), d(32)),
          aptMetaIndexEntry(source('http://s2'), 1, d(41, 'm')),
        ],
      },
      { kind: kind('file'), entries: [fileIndexEntry('z.txt', d(3, 'x/y')), fileIndexEntry('a.txt', d(4))] },
      { kind: kind('ferry'), entries: [ferryIndexEntry({ name: 'ferry-1-linux-amd64', version: '1' } as LockedFerry, d(50, 'f'))] },
      {
        kind: kind('rke2'),
        entries: [
          rke2IndexEntry(rke2, rke2File('rke2-images.tar.zst', 'images', 'core'), d(10, 'a/b')),
          rke2IndexEntry(rke2, rke2File('install.sh', 'install-script'), d(11, 'a/b')),
        ],
      },
      { kind: kind('chart'), entries: [chartIndexEntry(chart('zz', '1.0.0'), d(20, 'h')), chartIndexEntry(chart('aa', '2.0.0'), d(21))] },
      {
        kind: kind('image'),
        entries: [
          imageIndexEntry(image('z/b:1', 'sha256:2', ['linux/amd64', 'linux/arm64']), d(1)),
          imageIndexEntry(image('a/b:1', 'sha256:1', 'all'), d(2)),
        ],
      },
    ];
    const expected = readFileSync(new URL('./bundle-index.expected.json', import.meta.url), 'utf8');
    expect(JSON.stringify(buildBundleIndex(fetched, KINDS), null, 2)).toBe(expected);
  });
});
