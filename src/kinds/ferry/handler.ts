import type { LockedFerry } from './schema.js';
import type { KindHandler } from '../kind.js';
import { ferryPins } from './pins.js';
import { ferryPush } from './push.js';
import { ferrySchema } from './schema.js';
import { ferryView } from './view.js';

/** The ferry kind: everything the verbs need to know about it (kinds/kind.ts). */
export const ferryKind = {
  kind: 'ferry',
  key: 'ferry',
  cardinality: 'single',
  entryKinds: ['ferry'],
  ...ferrySchema,
  ...ferryPins,
  ...ferryView,
  ...ferryPush,
  // The connected side brings the HTTP stack (and openpgp for apt): imported only when pull asks for it.
  loadSource: () => import('./source.js').then((m) => m.source),
} as const satisfies KindHandler<LockedFerry, 'ferry', 'ferry'>;
