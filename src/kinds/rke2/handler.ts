import type { LockedRke2 } from './schema.js';
import type { KindHandler } from '../kind.js';
import { rke2Pins } from './pins.js';
import { rke2Push } from './push.js';
import { rke2Schema } from './schema.js';
import { rke2View } from './view.js';

/** The rke2 kind: everything the verbs need to know about it (kinds/kind.ts). */
export const rke2Kind = {
  kind: 'rke2',
  key: 'rke2',
  cardinality: 'single',
  entryKinds: ['rke2'],
  ...rke2Schema,
  ...rke2Pins,
  ...rke2View,
  ...rke2Push,
  // The connected side brings the HTTP stack (and openpgp for apt): imported only when pull asks for it.
  loadSource: () => import('./source.js').then((m) => m.source),
} as const satisfies KindHandler<LockedRke2, 'rke2', 'rke2'>;
