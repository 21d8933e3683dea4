import { Annotation } from '../../core/media-types.js';
import { referenceTarget } from '../../registry/target-name.js';
import type { PushFacet } from '../facets/push.js';
import type { LockedArtifact } from './schema.js';

/**
 * The artifact kind's push facet (kinds/kind.ts): like an image, its graph goes to its upstream repository and tag
 * with the registry host dropped (`registry.example/acme/thing:1.0` → `HOST/PREFIX/acme/thing:1.0`); a digest-only
 * reference is pushed by digest. It is copied as it is: its digest in the target is its upstream digest.
 */
export const artifactPush: PushFacet<LockedArtifact> = {
  async pushPlan(desc, target) {
    const source = desc.annotations?.[Annotation.RefName];
    if (!source) return [];
    const root = { mediaType: desc.mediaType, digest: desc.digest, size: desc.size };
    return [
      {
        item: { kind: 'artifact', source, ...referenceTarget(target, source), root },
        from: 'spec.artifacts',
        progress: 'artifact',
        how: { via: 'graph' },
      },
    ];
  },
};
