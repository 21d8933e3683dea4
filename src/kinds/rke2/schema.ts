import type { LockedRke2 } from '../../lock/types.js';
import type { SchemaFacet } from '../facets/schema.js';

/** The rke2 kind's schema facet (kinds/kind.ts). */
export const rke2Schema: SchemaFacet<LockedRke2> = {};
