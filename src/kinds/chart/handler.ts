import type { LockedChart } from './schema.js';
import type { KindHandler } from '../kind.js';
import { chartPins } from './pins.js';
import { chartPush } from './push.js';
import { chartSchema } from './schema.js';
import { chartView } from './view.js';

/** The chart kind: everything the verbs need to know about it (kinds/kind.ts). */
export const chartKind = {
  kind: 'chart',
  key: 'charts',
  cardinality: 'list',
  entryKinds: ['chart'],
  ...chartSchema,
  ...chartPins,
  ...chartView,
  ...chartPush,
  // The connected side brings the HTTP stack (and openpgp for apt): imported only when pull asks for it.
  loadSource: () => import('./source.js').then((m) => m.source),
} as const satisfies KindHandler<LockedChart, 'chart', 'charts'>;
