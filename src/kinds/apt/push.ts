import type { LockedAptSource } from '../../lock/types.js';
import type { PushFacet } from '../facets/push.js';

/** The apt kind's push facet (kinds/kind.ts). */
export const aptPush: PushFacet<LockedAptSource> = {};
