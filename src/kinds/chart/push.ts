import type { LockedChart } from '../../lock/types.js';
import type { PushFacet } from '../facets/push.js';

/** The chart kind's push facet (kinds/kind.ts). */
export const chartPush: PushFacet<LockedChart> = {};
