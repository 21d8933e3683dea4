import type { LockedFerry } from '../../lock/types.js';
import type { PushFacet } from '../facets/push.js';

/** The ferry kind's push facet (kinds/kind.ts). */
export const ferryPush: PushFacet<LockedFerry> = {};
