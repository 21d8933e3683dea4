import { describe, expect, it } from 'vitest';
import { Annotation, MediaType, type ImageIndex } from '../../../src/core/media-types.js';
import { planPush } from '../../../src/push/plan-push.js';
import { parsePushTarget } from '../../../src/registry/push-target.js';

const D = (c: string) => `sha256:${c.repeat(64)}`;
const img = (ref: string, digest: string) => ({
  mediaType: MediaType.OciManifest,
  digest,
  size: 10,
  annotations: { [Annotation.RefName]: ref, [Annotation.ContainerdName]: ref, [Annotation.Kind]: 'image' },
});
const file = { mediaType: MediaType.OciManifest, digest: D('f'), size: 5, annotations: { [Annotation.Kind]: 'file', [Annotation.RefName]: 'file/x' } };

describe('planPush', () => {
  it('drops the upstream registry, keeps repository and tag, applies the prefix, skips files', () => {
    const index = { schemaVersion: 2, manifests: [img('docker.io/velero/velero:v1.9.1', D('a')), img(`registry.k8s.io/pause@${D('b')}`, D('b')), file] } as unknown as ImageIndex;
    expect(planPush(index, parsePushTarget('repos.example:10050/mirror'))).toEqual([
      { source: 'docker.io/velero/velero:v1.9.1', repository: 'mirror/velero/velero', tag: 'v1.9.1', root: { mediaType: MediaType.OciManifest, digest: D('a'), size: 10 } },
      { source: `registry.k8s.io/pause@${D('b')}`, repository: 'mirror/pause', root: { mediaType: MediaType.OciManifest, digest: D('b'), size: 10 } },
    ]);
  });

  it('names both images when two would land on the same name', () => {
    const index = { schemaVersion: 2, manifests: [img('docker.io/library/nginx:1', D('a')), img('quay.io/library/nginx:1', D('b'))] } as unknown as ImageIndex;
    expect(() => planPush(index, parsePushTarget('reg:5000'))).toThrowError(
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

  it('refuses a chart whose title or version would leave the prefix or is not a tag (UNSAFE_VALUE), before any request', () => {
    const chart = (title: string, version: string) =>
      ({ schemaVersion: 2, manifests: [{ mediaType: MediaType.OciManifest, digest: D('c'), size: 9, annotations: { [Annotation.Kind]: 'chart', [Annotation.RefName]: 'charts/app:1.0.0', [Annotation.Title]: title, [Annotation.ChartVersion]: version } }] }) as unknown as ImageIndex;
    expect(planPush(chart('app', '1.0.0+b.1'), parsePushTarget('reg:5000/team'))).toMatchObject([{ repository: 'team/charts/app', tag: '1.0.0_b.1' }]);
    for (const [title, version] of [['../../escaped/app', '1.0.0'], ['app', '1.0.0/../../x'], ['__proto__', '1.0.0'], ['app', '1.0.0\nX']]) {
      expect(() => planPush(chart(title as string, version as string), parsePushTarget('reg:5000/team'))).toThrowError(expect.objectContaining({ code: 'UNSAFE_VALUE' }));
    }
  });
});
