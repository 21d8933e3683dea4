import type { LockedAptSource } from '../../lock/types.js';
import type { SchemaFacet } from '../facets/schema.js';

/** The apt kind's schema facet (kinds/kind.ts). */
export const aptSchema: SchemaFacet<LockedAptSource> = {};
