import type { LockedRke2 } from '../../lock/types.js';
import type { PushFacet } from '../facets/push.js';

/** The rke2 kind's push facet (kinds/kind.ts). */
export const rke2Push: PushFacet<LockedRke2> = {};
