import type { LockedFerry } from '../../lock/types.js';
import type { PinsFacet } from '../facets/pins.js';

/** The ferry kind's pins facet (kinds/kind.ts). */
export const ferryPins: PinsFacet<LockedFerry> = {};
