import { parseDigest } from '../../core/digest.js';
import { FerryError } from '../../core/errors.js';
import { type Descriptor, isIndexType } from '../../core/media-types.js';
import { parseReference, referenceTarget } from '../../core/reference.js';
import { readVerified } from '../../graph/copy.js';
import { OverlaySource, PreferLocal } from '../../graph/overlay.js';
import type { ReadOnlyStorage } from '../../graph/storage.js';
import { walkGraph } from '../../graph/walk.js';
import type { LockedImage, ImageEntry } from './schema.js';
import type { RegistryClient } from '../../registry/client.js';
import { RegistryRepository } from '../../registry/registry-repository.js';
import type { ContentStore } from '../../store/content-store.js';
import { type Selection, checkConfigPlatform, selectPlatforms } from './select-platforms.js';

/**
 * Container images: resolve() pins a manifest entry to digests (one manifest GET, plus the config for
 * single-platform images); planImage() lists the graph of a pinned image, which pull copies into the cache beside
 * the bundle writer (pull/pull-bundle.ts). Kept apart (after pacote) so `--lock` can fetch without resolving.
 */
export async function resolveImage(entry: ImageEntry, client: RegistryClient, seen?: Map<string, Buffer>): Promise<LockedImage> {
  const ref = parseReference(entry.ref);
  const repo = new RegistryRepository(client, ref.registry, ref.repository);
  const { descriptor: upstream, body } = await client.getManifest(ref.registry, ref.repository, referenceTarget(ref));
  // The body hashes to upstream.digest by construction; planning reuses it instead of fetching it again.
  seen?.set(upstream.digest, body);
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

const CONFIG_MAX = 64 << 20;

async function checkSinglePlatform(entry: ImageEntry, repo: RegistryRepository, desc: Descriptor, body: Buffer): Promise<void> {
  if (entry.platforms === 'all') return;
  const manifest = JSON.parse(body.toString('utf8')) as { config?: Descriptor };
  if (!manifest.config) return;
  const config = manifest.config;
  // Artifacts (charts, files) have no platform; only image configs are checked.
  if (!/container\.image\.v1\+json|image\.config\.v1\+json$/.test(config.mediaType)) return;
  // Read into memory: a config is kilobytes; one a hostile registry declares huge is refused before it is fetched.
  if (config.size > CONFIG_MAX)
    throw new FerryError(
      'REGISTRY_ERROR',
      `${entry.ref}: its image config is declared ${config.size} bytes, more than the ${CONFIG_MAX} bytes ferry reads into memory`,
      { ref: entry.ref },
    );
  const cfg = JSON.parse((await readVerified(repo, config, `${entry.ref}: config`)).toString('utf8'));
  checkConfigPlatform(`${entry.ref} (${desc.digest})`, cfg, entry.platforms);
}

/** A pinned image ready to copy: its root, a source with its manifests in memory, and every node it needs. */
export interface ImagePlan {
  locked: LockedImage;
  root: Descriptor;
  source: ReadOnlyStorage;
  nodes: Descriptor[];
}

/**
 * Plans the fetch of a pinned image: reads its manifests (from the cache when there, else from the registry by
 * digest) to list every blob the bundle will hold, before any blob is downloaded. A rewritten index is rebuilt
 * from the upstream index and must come out with the locked digest, or the lock is stale.
 */
export async function planImage(
  locked: LockedImage,
  client: RegistryClient,
  store: ContentStore,
  seen?: ReadonlyMap<string, Buffer>,
): Promise<ImagePlan> {
  const ref = parseReference(locked.ref);
  const repo = new RegistryRepository(client, ref.registry, ref.repository);
  const root: Descriptor = { mediaType: locked.mediaType, digest: parseDigest(locked.digest), size: locked.size };
  const extra = new Map<string, Buffer>(seen ?? []);
  if (locked.digest !== locked.upstreamDigest && !(await store.exists(root))) {
    const selection = await reselect(locked, client);
    if (selection.root.digest !== locked.digest) {
      throw new FerryError(
        'DIGEST_MISMATCH',
        `${locked.ref}: platform selection from upstream ${locked.upstreamDigest} gives ${selection.root.digest}, the lock says ${locked.digest}`,
        { ref: locked.ref, expected: locked.digest, actual: selection.root.digest },
      );
    }
    if (selection.syntheticBody) extra.set(selection.root.digest, selection.syntheticBody);
  }
  const source = new OverlaySource(repo, extra);
  const nodes = await walkGraph(new PreferLocal(store, source), [root]);
  return { locked, root, source, nodes };
}

async function reselect(locked: LockedImage, client: RegistryClient): Promise<Selection> {
  const ref = parseReference(locked.ref);
  const { descriptor, body } = await client.getManifest(ref.registry, ref.repository, locked.upstreamDigest);
  return selectPlatforms(locked.ref, descriptor, body, locked.platforms);
}

/** The URL an image's manifest is asked at (a mirror's, when one is configured), for the failure list. */
export function manifestUrl(client: RegistryClient, ref: string): string {
  try {
    const r = parseReference(ref);
    return `${client.baseUrl(r.registry)}/v2/${r.repository}/manifests/${referenceTarget(r)}`;
  } catch {
    return ref;
  }
}
