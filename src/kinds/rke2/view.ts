import type { LockedRke2 } from '../../lock/types.js';
import type { ViewFacet } from '../facets/view.js';

/** The rke2 kind's view facet (kinds/kind.ts). */
export const rke2View: ViewFacet<LockedRke2> = {};
