import type { LockedRke2 } from './schema.js';
import type { PushFacet } from '../facets/push.js';
import { planArchivePush } from './archive-plan.js';

/**
 * The rke2 kind's push facet (kinds/kind.ts): the images inside the image tarballs whose lock asked for it
 * (`pushImages`), streamed out of the tarball. The release files themselves are staged on nodes, not pushed.
 */
export const rke2Push: PushFacet<LockedRke2> = {
  pushPlan: (desc, target, reader) => planArchivePush(reader, desc, target),
};
