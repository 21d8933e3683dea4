import type { LockedRke2 } from '../../lock/types.js';
import type { PinsFacet } from '../facets/pins.js';

/** The rke2 kind's pins facet (kinds/kind.ts). */
export const rke2Pins: PinsFacet<LockedRke2> = {};
