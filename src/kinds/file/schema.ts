import type { LockedFile } from '../../lock/types.js';
import type { SchemaFacet } from '../facets/schema.js';

/** The file kind's schema facet (kinds/kind.ts). */
export const fileSchema: SchemaFacet<LockedFile> = {};
