import type { LockedImage } from '../../lock/types.js';
import type { SchemaFacet } from '../facets/schema.js';

/** The image kind's schema facet (kinds/kind.ts). */
export const imageSchema: SchemaFacet<LockedImage> = {};
