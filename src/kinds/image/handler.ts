import type { LockedImage } from './schema.js';
import type { KindHandler } from '../kind.js';
import { imagePins } from './pins.js';
import { imagePush } from './push.js';
import { imageSchema } from './schema.js';
import { imageView } from './view.js';

/** The image kind: everything the verbs need to know about it (kinds/kind.ts). */
export const imageKind = {
  kind: 'image',
  key: 'images',
  cardinality: 'list',
  entryKinds: ['image'],
  ...imageSchema,
  ...imagePins,
  ...imageView,
  ...imagePush,
  // The connected side brings the HTTP stack (and openpgp for apt): imported only when pull asks for it.
  loadSource: () => import('./source.js').then((m) => m.source),
} as const satisfies KindHandler<LockedImage, 'image', 'images'>;
