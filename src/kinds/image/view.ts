import type { LockedImage } from '../../lock/types.js';
import type { ViewFacet } from '../facets/view.js';

/** The image kind's view facet (kinds/kind.ts). */
export const imageView: ViewFacet<LockedImage> = {};
