import type { LockedAptSource } from './schema.js';
import type { KindHandler } from '../kind.js';
import { aptPins } from './pins.js';
import { aptPush } from './push.js';
import { aptSchema } from './schema.js';
import { aptView } from './view.js';

/** The apt kind: everything the verbs need to know about it (kinds/kind.ts). */
export const aptKind = {
  kind: 'apt',
  key: 'apt',
  cardinality: 'list',
  entryKinds: ['apt', 'apt-meta'],
  ...aptSchema,
  ...aptPins,
  ...aptView,
  ...aptPush,
  // The connected side brings the HTTP stack (and openpgp for apt): imported only when pull asks for it.
  loadSource: () => import('./source.js').then((m) => m.source),
} as const satisfies KindHandler<LockedAptSource, 'apt', 'apt'>;
