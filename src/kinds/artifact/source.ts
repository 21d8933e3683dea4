import { parseReference, referenceTarget } from '../../core/reference.js';
import { plural } from '../../core/units.js';
import type { RegistryClient } from '../../registry/client.js';
import type { KindSource } from '../facets/source.js';
import { planArtifact, resolveArtifact } from './artifact-fetcher.js';
import type { ArtifactEntry, LockedArtifact } from './schema.js';

/** The artifact kind's connected side (kinds/facets/source.ts): loaded lazily, by pull only. */
export const source: KindSource<LockedArtifact, ArtifactEntry> = {
  stage: 'counted',
  announces: 'artifacts',
  key: (entry) => entry.ref,
  // Pull's result counts them in `counts` (BundleCounts.artifacts); nothing else of its own.
  tally: () => ({}),
  summary: (entries) => (entries.length > 0 ? plural(entries.length, 'artifact') : undefined),
  describe: (entry, ctx) => ({ what: `artifact ${entry.ref}`, url: manifestUrl(ctx.client, entry.ref) }),
  async resolve(entry, ctx) {
    const locked = await resolveArtifact(entry, ctx.client, ctx.caches.manifests);
    ctx.events({ type: 'resolved', kind: 'artifact', name: entry.ref, digest: locked.digest });
    return { locked };
  },
  plan: (locked, ctx) => planArtifact(locked, ctx.client, ctx.store, ctx.caches.manifests),
};

/** The URL an artifact's manifest is asked at (a mirror's, when one is configured), for the failure list. */
function manifestUrl(client: RegistryClient, ref: string): string {
  try {
    const r = parseReference(ref);
    return `${client.baseUrl(r.registry)}/v2/${r.repository}/manifests/${referenceTarget(r)}`;
  } catch {
    return ref;
  }
}
