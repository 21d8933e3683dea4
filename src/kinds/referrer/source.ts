import { parseDigest } from '../../core/digest.js';
import { Annotation, type Descriptor } from '../../core/media-types.js';
import { parseReference } from '../../core/reference.js';
import { OverlaySource, PreferLocal } from '../../graph/overlay.js';
import { walkGraph } from '../../graph/walk.js';
import { RegistryRepository } from '../../registry/registry-repository.js';
import type { FetchContext, GraphPlan, IndexEntry, KindSource } from '../facets/source.js';
import { discoverReferrers } from './discover.js';
import type { ReferrerEntry } from './entry.js';
import { type LockedReferrer, referrerOrderKey, referrerRefName } from './schema.js';

/**
 * The referrer kind's connected side (kinds/facets/source.ts): loaded lazily, by pull only. Its entries are the
 * subjects the images' resolve implies (never the manifest's: spec.referrers is a mode), resolved after them.
 */
export const source: KindSource<LockedReferrer, ReferrerEntry> = {
  stage: 'last',
  entries: () => Promise.resolve([]),
  key: (e) => `${e.repository}@${e.subject}`,
  describe: (e, ctx) => {
    const ref = parseReference(e.image);
    return {
      what: `referrers of ${e.image} (${e.subject})`,
      url: `${ctx.client.baseUrl(ref.registry)}/v2/${ref.repository}/referrers/${e.subject}`,
    };
  },
  resolveList: (e, ctx) => discoverReferrers(e, ctx),
  report: (r) => [`  carried ${r.role} ${referrerRefName(r)} of ${r.image}`],
  tally: (locked) => ({ referrers: locked.filter((r) => r.role !== 'upstream-index').length }),
  plan: planReferrer,
};

/**
 * A pinned referrer as a graph copied beside the bundle writer like an image's (its manifest read during resolve,
 * else by digest; its config and layers from the registry), so each blob is written once. An upstream index is
 * held alone: its children are the platforms the bundle left out (graph/successors.ts heldAlone).
 */
async function planReferrer(r: LockedReferrer, ctx: FetchContext): Promise<GraphPlan> {
  const ref = parseReference(r.image);
  const repo = new RegistryRepository(ctx.client, ref.registry, ref.repository);
  const entry = referrerIndexEntry(r);
  const source = new OverlaySource(repo, new Map(ctx.caches.manifests));
  const root: Descriptor = {
    mediaType: r.mediaType,
    digest: parseDigest(r.digest),
    size: r.size,
    ...(r.role === 'upstream-index' ? { annotations: entry.descriptor.annotations } : {}),
  };
  const nodes = r.role === 'upstream-index' ? [root] : await walkGraph(new PreferLocal(ctx.store, source), [root]);
  return { name: referrerRefName(r), root, source, nodes, entries: [entry] };
}

/** index.json entry of a carried referrer (the contract in docs/bundle-format.md "Referrers"). */
export function referrerIndexEntry(r: LockedReferrer): IndexEntry {
  const annotations: Record<string, string> = {
    [Annotation.Kind]: 'referrer',
    [Annotation.ReferrerSubject]: r.subject,
    [Annotation.ReferrerRole]: r.role,
    [Annotation.ReferrerVia]: r.via,
    ...(r.tag !== undefined ? { [Annotation.ReferrerTag]: r.tag } : {}),
    [Annotation.Source]: r.repository,
    [Annotation.RefName]: referrerRefName(r),
  };
  const descriptor: Descriptor = {
    mediaType: r.mediaType,
    digest: parseDigest(r.digest),
    size: r.size,
    ...(r.artifactType !== undefined ? { artifactType: r.artifactType } : {}),
    annotations,
  };
  return { descriptor, sortKey: referrerOrderKey(r) };
}
