import type { LockedFile } from './schema.js';
import type { PushFacet } from '../facets/push.js';

/** The file kind's push facet (kinds/kind.ts): empty, files are staged on nodes (files/), not pushed to a registry. */
export const filePush: PushFacet<LockedFile> = {};
