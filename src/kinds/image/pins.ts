import { Annotation } from '../../core/media-types.js';
import type { LockedImage } from './schema.js';
import type { PinsFacet } from '../facets/pins.js';
import { addImageHeld } from './held-digests.js';

/** The image kind's pins facet (kinds/kind.ts): the root the bundle stores under its reference. */
export const imagePins: PinsFacet<LockedImage> = {
  pinNoun: 'image',
  pinEntryKind: 'image',
  pinAnnotation: Annotation.RefName,
  reportOrder: 0,
  pins: (img) => {
    const registry = img.ref.split('/')[0];
    const filtered =
      img.digest !== img.upstreamDigest
        ? `; ferry kept ${img.platforms === 'all' ? 'all platforms' : img.platforms.join(', ')} of upstream index ${img.upstreamDigest}`
        : '';
    return [
      {
        label: `image ${img.ref}`,
        entryName: img.ref,
        refName: img.ref,
        name: img.ref,
        digest: img.digest,
        isRoot: true,
        size: img.size,
        source: img.ref,
        vouchedBy: `registry ${registry} resolved ${img.ref} to ${img.upstreamDigest}${filtered}`,
        vouch: { kind: 'registry', upstreamDigest: img.upstreamDigest, platforms: img.platforms },
      },
    ];
  },
  addHeld: addImageHeld,
};
