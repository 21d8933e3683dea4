import type { LockedImage } from '../../lock/types.js';
import type { PinsFacet } from '../facets/pins.js';

/** The image kind's pins facet (kinds/kind.ts). */
export const imagePins: PinsFacet<LockedImage> = {};
