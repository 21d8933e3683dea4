import type { LockedFile } from '../../lock/types.js';
import type { PushFacet } from '../facets/push.js';

/** The file kind's push facet (kinds/kind.ts). */
export const filePush: PushFacet<LockedFile> = {};
