import type { KindHandler } from '../kind.js';
import { referrerPins } from './pins.js';
import { referrerPush } from './push.js';
import { type LockedReferrer, referrerSchema } from './schema.js';
import { referrerView } from './view.js';

/**
 * The referrer kind (kinds/kind.ts): the signatures, attestations, SBOMs and other OCI referrers of the bundle's
 * images, and the upstream index a platform-filtered image was cut from, each carried as its own index.json entry
 * (docs/supply-chain.md "Carrying signatures", docs/bundle-format.md). `spec.referrers` is one mode; the lock lists
 * every referrer carried. Its entries come from the images' resolve (implied), never from the manifest.
 */
export const referrerKind = {
  kind: 'referrer',
  key: 'referrers',
  cardinality: 'single',
  lockList: true,
  entryKinds: ['referrer'],
  ...referrerSchema,
  ...referrerPins,
  ...referrerView,
  ...referrerPush,
  // The connected side brings the HTTP stack: imported only when pull asks for it.
  loadSource: () => import('./source.js').then((m) => m.source),
} as const satisfies KindHandler<LockedReferrer, 'referrer', 'referrers'>;
