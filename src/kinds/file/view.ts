import type { LockedFile } from '../../lock/types.js';
import type { ViewFacet } from '../facets/view.js';

/** The file kind's view facet (kinds/kind.ts). */
export const fileView: ViewFacet<LockedFile> = {};
