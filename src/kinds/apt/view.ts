import type { LockedAptSource } from '../../lock/types.js';
import type { ViewFacet } from '../facets/view.js';

/** The apt kind's view facet (kinds/kind.ts). */
export const aptView: ViewFacet<LockedAptSource> = {};
