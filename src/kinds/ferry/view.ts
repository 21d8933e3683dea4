import type { LockedFerry } from '../../lock/types.js';
import type { ViewFacet } from '../facets/view.js';

/** The ferry kind's view facet (kinds/kind.ts). */
export const ferryView: ViewFacet<LockedFerry> = {};
