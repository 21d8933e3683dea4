import type { BundleReader } from '../../bundle/reader.js';
import { readMemberJson } from '../../bundle/member-json.js';
import { Annotation, type Descriptor, type ImageIndex, type ImageManifest, formatPlatform, isIndexType } from '../../core/media-types.js';
import { plural } from '../../core/units.js';
import type { LockedImage } from './schema.js';
import { imageRefProblem } from '../../validate/gate-check.js';
import type { ViewFacet } from '../facets/view.js';
import { imageComponents } from './components.js';

/** The image kind's view facet (kinds/kind.ts). Images are not staged: push carries them to the registry. */
export const imageView = {
  async describe(reader, desc, base) {
    const a = desc.annotations ?? {};
    return {
      kind: 'image',
      ref: a[Annotation.RefName] ?? '',
      ...base,
      platforms: await platformsOf(reader, desc),
      ...(a[Annotation.UpstreamDigest] ? { upstreamDigest: a[Annotation.UpstreamDigest] } : {}),
    };
  },
  // The lock's images include those charts brought in (they are pulled and pushed as images).
  countOrder: 0,
  count: (locked) => ({ images: locked.length }),
  countWords: (c) => (c.images > 0 ? { images: plural(c.images, 'image') } : {}),
  gate(locked, g) {
    const images = new Map(locked.map((i) => [i.ref, i]));
    return async (d) => {
      const a = d.annotations ?? {};
      const ref = a[Annotation.RefName] ?? '';
      if (!g.check(`image ${ref}`, Annotation.RefName, ref, imageRefProblem)) return;
      const locked = images.get(ref);
      if (!locked) g.report({ artifact: `image ${ref}`, field: Annotation.RefName, value: ref, why: 'is not an image of the lock' });
      else if (locked.digest !== d.digest) g.mismatch(`image ${ref}`, 'digest', d.digest, locked.digest);
      const cname = a[Annotation.ContainerdName];
      if (cname !== undefined && cname !== ref) g.mismatch(`image ${ref}`, Annotation.ContainerdName, cname, ref);
    };
  },
  components: imageComponents,
} satisfies ViewFacet<LockedImage>;

async function platformsOf(reader: BundleReader, desc: Descriptor): Promise<string[]> {
  const body = await readMemberJson<ImageIndex & ImageManifest>(reader, desc, desc.digest);
  if (isIndexType(desc.mediaType)) {
    return body.manifests.filter((m) => m.platform && m.platform.os !== 'unknown').map((m) => formatPlatform(m.platform!));
  }
  const config = await readMemberJson<{ os?: string; architecture?: string; variant?: string }>(reader, body.config, body.config.digest);
  if (!config.os || !config.architecture) return [];
  return [formatPlatform({ os: config.os, architecture: config.architecture, ...(config.variant ? { variant: config.variant } : {}) })];
}
