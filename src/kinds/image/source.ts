import { Annotation, type Descriptor } from '../../core/media-types.js';
import type { LockedImage, ImageEntry } from './schema.js';
import type { IndexEntry, KindSource } from '../facets/source.js';
import { manifestUrl, planImage, resolveImage } from './image-fetcher.js';
import { modeOf } from '../referrer/schema.js';
import { impliedReferrers } from '../referrer/subjects.js';

/** The image kind's connected side (kinds/facets/source.ts): loaded lazily, by pull only. */
export const source: KindSource<LockedImage, ImageEntry> = {
  stage: 'counted',
  announces: 'images',
  key: (entry) => entry.ref,
  tally: (locked) => ({ images: locked.length }),
  summary: (entries) => `${entries.length} images`,
  describe: (entry, ctx) => ({ what: `image ${entry.ref}`, url: manifestUrl(ctx.client, entry.ref) }),
  async resolve(entry, ctx) {
    const locked = await resolveImage(entry, ctx.client, ctx.caches.manifests);
    ctx.events({ type: 'resolved', kind: 'image', name: entry.ref, digest: locked.digest });
    // Its signatures, attestations and SBOMs are looked for after every image (kinds/referrer/).
    const implies = impliedReferrers(locked, ctx.caches.manifests.get(locked.upstreamDigest), modeOf(ctx.manifest));
    return { locked, ...(implies.length > 0 ? { implies } : {}) };
  },
  async plan(locked, ctx) {
    const plan = await planImage(locked, ctx.client, ctx.store, ctx.caches.manifests);
    return { name: locked.ref, root: plan.root, source: plan.source, nodes: plan.nodes, entries: [imageIndexEntry(locked, plan.root)] };
  },
};

/**
 * index.json entry of an image (image-spec image-layout.md), named for containerd import (`io.containerd.image.name`,
 * containerd client/import.go) and OCI tools (`org.opencontainers.image.ref.name`), each its full normalised reference.
 */
export function imageIndexEntry(locked: LockedImage, root: Descriptor): IndexEntry {
  const annotations: Record<string, string> = {
    [Annotation.ContainerdName]: locked.ref,
    [Annotation.RefName]: locked.ref,
    [Annotation.Kind]: 'image',
  };
  if (locked.upstreamDigest !== locked.digest) annotations[Annotation.UpstreamDigest] = locked.upstreamDigest;
  annotations[Annotation.Platforms] = locked.platforms === 'all' ? 'all' : locked.platforms.join(',');
  return { descriptor: { mediaType: root.mediaType, digest: root.digest, size: root.size, annotations }, sortKey: locked.ref };
}
