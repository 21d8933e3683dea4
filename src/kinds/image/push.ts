import type { LockedImage } from '../../lock/types.js';
import type { PushFacet } from '../facets/push.js';

/** The image kind's push facet (kinds/kind.ts). */
export const imagePush: PushFacet<LockedImage> = {};
