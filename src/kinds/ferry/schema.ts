import type { LockedFerry } from '../../lock/types.js';
import type { SchemaFacet } from '../facets/schema.js';

/** The ferry kind's schema facet (kinds/kind.ts). */
export const ferrySchema: SchemaFacet<LockedFerry> = {};
