import type { LockedAptSource } from './schema.js';
import type { PushFacet } from '../facets/push.js';

/** The apt kind's push facet (kinds/kind.ts): empty, apt packages are staged as a repository on nodes, not pushed to a registry. */
export const aptPush: PushFacet<LockedAptSource> = {};
