import type { BundleReader } from '../../bundle/reader.js';
import { readMemberJson } from '../../bundle/member-json.js';
import { Annotation, type Descriptor, type ImageIndex, type ImageManifest, formatPlatform, isIndexType } from '../../core/media-types.js';
import { plural } from '../../core/units.js';
import type { LockedImage } from '../../lock/types.js';
import type { ViewFacet } from '../facets/view.js';

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
  count: (locked) => ({ images: locked.length }),
  countWords: (c) => (c.images > 0 ? { images: plural(c.images, 'image') } : {}),
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
