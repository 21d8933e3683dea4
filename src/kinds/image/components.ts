import { Annotation } from '../../core/media-types.js';
import { ociPurl, ociSource } from '../../core/purl.js';
import { type ComponentsHook, fromPin, matchEntries } from '../facets/components.js';
import { imagePins } from './pins.js';
import type { LockedImage } from './schema.js';

/**
 * The image kind's SBOM components: a `container` whose purl and hash are the root the bundle stores (and push
 * tags), which is the upstream root unless ferry kept a platform subset (then the upstream index is named too).
 */
export const imageComponents: ComponentsHook<LockedImage> = (locked, entries) =>
  matchEntries(entries, Annotation.RefName, new Map(locked.map((i) => [i.ref, i]))).map(([entry, img]) => {
    const pin = imagePins.pins(img)[0]!;
    const filtered = img.digest !== img.upstreamDigest;
    return {
      ...fromPin(pin, entry),
      type: 'container',
      purl: ociPurl(img.ref, img.digest),
      distribution: ociSource(img.ref, img.upstreamDigest),
      properties: {
        'ferry:platforms': img.platforms === 'all' ? 'all' : img.platforms.join(','),
        ...(filtered ? { 'ferry:upstream-digest': img.upstreamDigest } : {}),
      },
      ...(filtered ? { alsoKnownAs: [img.upstreamDigest] } : {}),
    };
  });
