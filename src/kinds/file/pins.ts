import type { LockedFile } from '../../lock/types.js';
import type { PinsFacet } from '../facets/pins.js';

/** The file kind's pins facet (kinds/kind.ts). */
export const filePins: PinsFacet<LockedFile> = {};
