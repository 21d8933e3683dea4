import type { Digest } from '../../core/digest.js';
import { Annotation, type Descriptor } from '../../core/media-types.js';

/**
 * The carried referrer entries of index.json (kind `referrer`) whose subject annotation is `subject`: the
 * signatures, attestations, SBOMs and other referrers of that image manifest or index, and, for a platform-filtered
 * image, the upstream index it was filtered from (docs/supply-chain.md "Enforcement").
 */
export function carriedFor(index: Descriptor[], subject: Digest): Descriptor[] {
  return index.filter((d) => d.annotations?.[Annotation.Kind] === 'referrer' && d.annotations?.[Annotation.ReferrerSubject] === subject);
}
