import { z } from 'zod';
import { Annotation } from '../../core/media-types.js';
import type { KindSource } from '../facets/source.js';
import type { KindHandler } from '../kind.js';
import { referrerPush } from './push.js';

/**
 * The referrer kind (kinds/kind.ts, the carried-referrers contract in docs/supply-chain.md): cosign signature,
 * attestation and SBOM tags and OCI 1.1 referrers carried with their images, one index.json entry each.
 *
 * STUB, except for the push facet (push.ts, tag-index.ts): only what push and serve need so that bundles holding
 * referrer entries pass the validation gate (entryKinds). Its schema, pins, view and source are placeholders for the
 * kind's real ones (spec.referrers, lock.referrers, discovery and fetch), which replace them:
 * - no `spec.referrers` is accepted yet (the entry schema matches nothing) and no pull carries referrers;
 * - `lock.referrers` is not read (any value passes), and no entry is pinned: `pinEntryKind` names no entry kind, so
 *   verify's pin check neither asks the lock for referrer entries nor reports them as unpinned;
 * - the gate checks nothing of its own: push.ts refuses an unsafe subject, repository or tag before any request.
 */
const stubSource: KindSource = {
  stage: 'counted',
  resolve: () => Promise.reject(new Error('referrer: not resolvable yet (stub)')),
  describe: () => ({ what: 'referrers', url: '' }),
  tally: () => ({}),
  fetch: () => Promise.resolve([]),
  sizes: () => [],
};

export const referrerKind = {
  kind: 'referrer',
  key: 'referrers',
  // Stub: `single` keeps the manifest's and the lock's key optional until the real schema says what they hold.
  cardinality: 'single',
  entryKinds: ['referrer'],
  // schema (stub)
  lockedSchema: z.unknown(),
  entrySchema: z.never(),
  normalise: () => [],
  differences: () => [],
  lockProblems: () => [],
  gateLocked: () => undefined,
  // pins (stub)
  pinNoun: 'referrer',
  pinEntryKind: 'referrer (not pinned yet)',
  pinAnnotation: Annotation.RefName,
  reportOrder: 7,
  pins: () => [],
  // view (stub)
  describe: (_reader, desc, base) =>
    Promise.resolve({
      kind: 'referrer',
      ref: desc.annotations?.[Annotation.RefName] ?? '',
      ...base,
      role: desc.annotations?.[Annotation.ReferrerRole] ?? '',
    }),
  count: () => ({}),
  countWords: () => ({}),
  countOrder: 7,
  gate: () => () => Promise.resolve(),
  ...referrerPush,
  loadSource: () => Promise.resolve(stubSource),
} as const satisfies KindHandler<unknown, 'referrer', 'referrers'>;
