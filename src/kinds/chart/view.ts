import type { LockedChart } from '../../lock/types.js';
import type { ViewFacet } from '../facets/view.js';

/** The chart kind's view facet (kinds/kind.ts). */
export const chartView: ViewFacet<LockedChart> = {};
