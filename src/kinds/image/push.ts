import { Annotation } from '../../core/media-types.js';
import type { LockedImage } from './schema.js';
import { referenceTarget } from '../../registry/target-name.js';
import type { PushFacet } from '../facets/push.js';

/**
 * The image kind's push facet (kinds/kind.ts): the image graph goes to its upstream repository and tag with the
 * registry host dropped (`docker.io/velero/velero:v1.9.1` → `HOST/PREFIX/velero/velero:v1.9.1`), which is the
 * layout containerd mirrors (RKE2 registries.yaml) expect; a digest-only reference is pushed by digest.
 */
export const imagePush: PushFacet<LockedImage> = {
  async pushPlan(desc, target) {
    const source = desc.annotations?.[Annotation.ContainerdName] ?? desc.annotations?.[Annotation.RefName];
    if (!source) return [];
    const root = { mediaType: desc.mediaType, digest: desc.digest, size: desc.size };
    return [
      {
        item: { kind: 'image', source, ...referenceTarget(target, source), root },
        from: 'spec.images',
        progress: 'image',
        how: { via: 'graph' },
      },
    ];
  },
};
