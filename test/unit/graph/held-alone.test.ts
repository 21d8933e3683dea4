import { describe, expect, it } from 'vitest';
import { sha256 } from '../../../src/core/digest.js';
import { Annotation, type Descriptor, MediaType } from '../../../src/core/media-types.js';
import { copyGraph } from '../../../src/graph/copy.js';
import { walkGraph } from '../../../src/graph/walk.js';
import { checkLayout } from '../../../src/verify/layout-check.js';
import { MemoryStorage } from './memory-storage.js';

/** An upstream index listing two platforms of which the bundle keeps one (docs/bundle-format.md "Referrers"). */
function fixture() {
  const src = new MemoryStorage();
  const put = (text: string, mediaType: string): Descriptor => {
    const body = Buffer.from(text);
    const d = { mediaType, digest: sha256(body), size: body.length };
    src.add(body, d.digest);
    return d;
  };
  const config = put('{}', MediaType.OciConfig);
  const kept = put(JSON.stringify({ schemaVersion: 2, mediaType: MediaType.OciManifest, config, layers: [] }), MediaType.OciManifest);
  const gone = { mediaType: MediaType.OciManifest, digest: sha256('not carried'), size: 11 };
  const body = JSON.stringify({ schemaVersion: 2, mediaType: MediaType.OciIndex, manifests: [kept, gone] });
  const index = put(body, MediaType.OciIndex);
  const carried: Descriptor = { ...index, annotations: { [Annotation.Kind]: 'referrer', [Annotation.ReferrerRole]: 'upstream-index' } };
  return { src, index, carried, gone };
}

describe('an upstream index carried alone (role upstream-index)', () => {
  it('is walked, copied and layout-checked without the children it lists', async () => {
    const { src, index, carried, gone } = fixture();
    expect((await walkGraph(src, [carried])).map((d) => d.digest)).toEqual([index.digest]);
    const dst = new MemoryStorage();
    await copyGraph(src, dst, carried);
    expect(dst.pushes).toEqual([index.digest]);
    const layout = {
      blob: (hex: string) =>
        src.blobs.has(`sha256:${hex}`) ? { size: (src.blobs.get(`sha256:${hex}`) as Buffer).length, intact: true } : undefined,
      read: async (hex: string) => src.blobs.get(`sha256:${hex}`) as Buffer,
    };
    expect(await checkLayout({ schemaVersion: 2, mediaType: MediaType.OciIndex, manifests: [carried] }, layout)).toEqual([]);
    // The same index as an image entry is walked whole: its missing child is reported.
    const problems = await checkLayout({ schemaVersion: 2, mediaType: MediaType.OciIndex, manifests: [index] }, layout);
    expect(problems.map((p) => p.message)).toEqual([expect.stringContaining(`references ${gone.digest}`)]);
    await expect(walkGraph(src, [index])).rejects.toThrow();
  });
});
