import type { LockedFerry } from './schema.js';
import type { PushFacet } from '../facets/push.js';

/** The ferry kind's push facet (kinds/kind.ts): empty, ferry itself is staged on nodes, not pushed to a registry. */
export const ferryPush: PushFacet<LockedFerry> = {};
