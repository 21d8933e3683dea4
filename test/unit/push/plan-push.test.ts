import { describe, expect, it } from 'vitest';
import type { Digest } from '../../../src/core/digest.js';
import { Annotation, type Descriptor, MediaType, type ImageIndex } from '../../../src/core/media-types.js';
import type { BundleReader } from '../../../src/bundle/reader.js';
import type { FerryEvent } from '../../../src/core/events.js';
import { type PushStep, ownNames, planPush as planSteps } from '../../../src/push/plan-push.js';
import { parsePushTarget } from '../../../src/registry/push-target.js';

const D = (c: string) => `sha256:${c.repeat(64)}`;
const img = (ref: string, digest: string) => ({
  mediaType: MediaType.OciManifest,
  digest,
  size: 10,
  annotations: { [Annotation.RefName]: ref, [Annotation.ContainerdName]: ref, [Annotation.Kind]: 'image' },
});
// Images and charts plan from their index.json entries alone: a reader that only has the index is enough.
const planPush = async (index: ImageIndex, target: ReturnType<typeof parsePushTarget>) =>
  (await planSteps({ index: () => index } as unknown as BundleReader, target)).map((s) => s.item);
const file = {
  mediaType: MediaType.OciManifest,
  digest: D('f'),
  size: 5,
  annotations: { [Annotation.Kind]: 'file', [Annotation.RefName]: 'file/x' },
};

describe('planPush', () => {
  it('drops the upstream registry, keeps repository and tag, applies the prefix, skips files', async () => {
    const index = {
      schemaVersion: 2,
      manifests: [img('docker.io/velero/velero:v1.9.1', D('a')), img(`registry.k8s.io/pause@${D('b')}`, D('b')), file],
    } as unknown as ImageIndex;
    await expect(planPush(index, parsePushTarget('repos.example:10050/mirror'))).resolves.toEqual([
      {
        kind: 'image',
        source: 'docker.io/velero/velero:v1.9.1',
        repository: 'mirror/velero/velero',
        tag: 'v1.9.1',
        root: { mediaType: MediaType.OciManifest, digest: D('a'), size: 10 },
      },
      {
        kind: 'image',
        source: `registry.k8s.io/pause@${D('b')}`,
        repository: 'mirror/pause',
        root: { mediaType: MediaType.OciManifest, digest: D('b'), size: 10 },
      },
    ]);
  });

  it('names both images when two would land on the same name', async () => {
    const index = {
      schemaVersion: 2,
      manifests: [img('docker.io/library/nginx:1', D('a')), img('quay.io/library/nginx:1', D('b'))],
    } as unknown as ImageIndex;
    await expect(planPush(index, parsePushTarget('reg:5000'))).rejects.toThrowError(
      expect.objectContaining({
        code: 'NAME_COLLISION',
        message: 'docker.io/library/nginx:1 and quay.io/library/nginx:1 would both be pushed as reg:5000/library/nginx:1',
      }),
    );
  });

  it('parses registry targets', () => {
    expect(parsePushTarget('repos.example:10050')).toEqual({ registry: 'repos.example:10050', prefix: '' });
    expect(parsePushTarget('https://host/a/b/')).toEqual({ registry: 'host', prefix: 'a/b', scheme: 'https' });
    expect(() => parsePushTarget('host/UP')).toThrow(/HOST\[:PORT\]\[\/PREFIX\]/);
  });

  it('refuses a chart whose title or version would leave the prefix or is not a tag (UNSAFE_VALUE), before any request', async () => {
    const chart = (title: string, version: string) =>
      ({
        schemaVersion: 2,
        manifests: [
          {
            mediaType: MediaType.OciManifest,
            digest: D('c'),
            size: 9,
            annotations: {
              [Annotation.Kind]: 'chart',
              [Annotation.RefName]: 'charts/app:1.0.0',
              [Annotation.Title]: title,
              [Annotation.ChartVersion]: version,
            },
          },
        ],
      }) as unknown as ImageIndex;
    await expect(planPush(chart('app', '1.0.0+b.1'), parsePushTarget('reg:5000/team'))).resolves.toMatchObject([
      { repository: 'team/charts/app', tag: '1.0.0_b.1' },
    ]);
    for (const [title, version] of [
      ['../../escaped/app', '1.0.0'],
      ['app', '1.0.0/../../x'],
      ['__proto__', '1.0.0'],
      ['app', '1.0.0\nX'],
    ]) {
      await expect(planPush(chart(title as string, version as string), parsePushTarget('reg:5000/team'))).rejects.toThrowError(
        expect.objectContaining({ code: 'UNSAFE_VALUE' }),
      );
    }
  });
});

describe('ownNames: one owner per target name', () => {
  const target = parsePushTarget('reg:5000');
  const root = (c: string): Descriptor => ({ mediaType: MediaType.OciManifest, digest: D(c) as Digest, size: 10 });
  const graph = (source: string, repository: string, tag: string, c: string): PushStep => ({
    item: { kind: 'image', source, repository, tag, root: root(c) },
    from: 'spec.images',
    progress: 'image',
    how: { via: 'graph' },
  });
  const streamed = (source: string, repository: string, tag: string, c: string, archive: string): PushStep => ({
    item: { kind: 'image', source, repository, tag, root: root(c), archive },
    from: 'the RKE2 tarball',
    progress: 'image',
    how: { via: 'tarball', tarball: { name: archive, content: root('9') }, body: Buffer.from('{}'), blobs: [] },
  });

  it('graphs come first; an image inside a tarball whose name a graph pushes is left to it, said in an info line', () => {
    const events: FerryEvent[] = [];
    const steps = ownNames(
      [
        streamed('docker.io/rancher/pause:3.6', 'rancher/pause', '3.6', 'b', 'core.tar.zst'),
        graph('docker.io/rancher/pause:3.6', 'rancher/pause', '3.6', 'a'),
      ],
      target,
      (e) => events.push(e),
    );
    expect(steps.map((s) => s.item.root.digest)).toEqual([D('a')]);
    expect(events).toEqual([
      { type: 'info', message: '  docker.io/rancher/pause:3.6: pushed from spec.images, not from the RKE2 tarball' },
    ]);
  });

  it('the same image in two tarballs is pushed once; two images on one name are a NAME_COLLISION naming both', () => {
    const a = streamed('docker.io/rancher/x:1', 'rancher/x', '1', 'a', 'one.tar');
    expect(ownNames([a, streamed('docker.io/rancher/x:1', 'rancher/x', '1', 'a', 'two.tar')], target)).toEqual([a]);
    expect(() => ownNames([a, streamed('quay.io/rancher/x:1', 'rancher/x', '1', 'b', 'two.tar')], target)).toThrowError(
      expect.objectContaining({
        code: 'NAME_COLLISION',
        message: 'docker.io/rancher/x:1 and quay.io/rancher/x:1 (in two.tar) would both be pushed as reg:5000/rancher/x:1',
      }),
    );
  });
});
