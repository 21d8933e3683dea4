import { parseDigest } from '../core/digest.js';
import { FerryError } from '../core/errors.js';
import type { EventSink } from '../core/events.js';
import { type Descriptor, isIndexType } from '../core/media-types.js';
import { parseReference, referenceTarget } from '../core/reference.js';
import { copyGraph, readVerified } from '../graph/copy.js';
import { OverlaySource } from '../graph/overlay.js';
import type { LockedImage } from '../lock/types.js';
import type { ImageEntry } from '../manifest/types.js';
import type { RegistryClient } from '../registry/client.js';
import { RegistryRepository } from '../registry/registry-repository.js';
import type { ContentStore } from '../store/content-store.js';
import { type Selection, checkConfigPlatform, selectPlatforms } from './select-platforms.js';

/**
 * Container images: resolve() pins a manifest entry to digests (one manifest GET, plus the config for
 * single-platform images); fetch() brings the bytes of a pinned image into the cache. Kept apart (after pacote) so
 * `--lock` can fetch without resolving.
 */
export async function resolveImage(entry: ImageEntry, client: RegistryClient): Promise<LockedImage> {
  const ref = parseReference(entry.ref);
  const repo = new RegistryRepository(client, ref.registry, ref.repository);
  const { descriptor: upstream, body } = await client.getManifest(ref.registry, ref.repository, referenceTarget(ref));
  const selection = selectPlatforms(entry.ref, upstream, body, entry.platforms);
  if (!isIndexType(upstream.mediaType)) await checkSinglePlatform(entry, repo, upstream, body);
  return {
    ref: entry.ref,
    platforms: entry.platforms,
    digest: selection.root.digest,
    mediaType: selection.root.mediaType,
    size: selection.root.size,
    upstreamDigest: upstream.digest,
    upstreamMediaType: upstream.mediaType,
    ...(selection.upstreamPlatforms ? { upstreamPlatforms: selection.upstreamPlatforms } : {}),
  };
}

async function checkSinglePlatform(entry: ImageEntry, repo: RegistryRepository, desc: Descriptor, body: Buffer): Promise<void> {
  if (entry.platforms === 'all') return;
  const manifest = JSON.parse(body.toString('utf8')) as { config?: Descriptor };
  if (!manifest.config) return;
  const config = manifest.config;
  // Artifacts (charts, files) have no platform; only image configs are checked.
  if (!/container\.image\.v1\+json|image\.config\.v1\+json$/.test(config.mediaType)) return;
  const cfg = JSON.parse((await readVerified(repo, config, `${entry.ref}: config`)).toString('utf8'));
  checkConfigPlatform(`${entry.ref} (${desc.digest})`, cfg, entry.platforms);
}

export interface ImageFetchContext {
  client: RegistryClient;
  store: ContentStore;
  events: EventSink;
  tracker: Map<string, Promise<void>>;
  concurrency: number;
}

/**
 * Brings a pinned image into the cache. The root is requested by digest; a rewritten index is rebuilt from the
 * upstream index (itself fetched by digest) and must come out with the locked digest, or the lock is stale.
 */
export async function fetchImage(locked: LockedImage, ctx: ImageFetchContext): Promise<Descriptor> {
  const ref = parseReference(locked.ref);
  const repo = new RegistryRepository(ctx.client, ref.registry, ref.repository);
  const root: Descriptor = { mediaType: locked.mediaType, digest: parseDigest(locked.digest), size: locked.size };
  const extra = new Map<string, Buffer>();
  if (locked.digest !== locked.upstreamDigest && !(await ctx.store.exists(root))) {
    const selection = await reselect(locked, ctx.client);
    if (selection.root.digest !== locked.digest) {
      throw new FerryError(
        'DIGEST_MISMATCH',
        `${locked.ref}: platform selection from upstream ${locked.upstreamDigest} gives ${selection.root.digest}, the lock says ${locked.digest}`,
        { ref: locked.ref, expected: locked.digest, actual: selection.root.digest },
      );
    }
    if (selection.syntheticBody) extra.set(selection.root.digest, selection.syntheticBody);
  }
  await copyGraph(new OverlaySource(repo, extra), ctx.store, root, {
    concurrency: ctx.concurrency,
    events: ctx.events,
    tracker: ctx.tracker,
    subject: locked.ref,
  });
  return root;
}

async function reselect(locked: LockedImage, client: RegistryClient): Promise<Selection> {
  const ref = parseReference(locked.ref);
  const { descriptor, body } = await client.getManifest(ref.registry, ref.repository, locked.upstreamDigest);
  return selectPlatforms(locked.ref, descriptor, body, locked.platforms);
}
