import type { LockedChart } from '../../lock/types.js';
import type { SchemaFacet } from '../facets/schema.js';

/** The chart kind's schema facet (kinds/kind.ts). */
export const chartSchema: SchemaFacet<LockedChart> = {};
