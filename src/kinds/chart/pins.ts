import type { LockedChart } from '../../lock/types.js';
import type { PinsFacet } from '../facets/pins.js';

/** The chart kind's pins facet (kinds/kind.ts). */
export const chartPins: PinsFacet<LockedChart> = {};
