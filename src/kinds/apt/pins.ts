import type { LockedAptSource } from '../../lock/types.js';
import type { PinsFacet } from '../facets/pins.js';

/** The apt kind's pins facet (kinds/kind.ts). */
export const aptPins: PinsFacet<LockedAptSource> = {};
