import { parseDigest } from '../../core/digest.js';
import { FerryError } from '../../core/errors.js';
import { type Descriptor, type ImageIndex, type ImageManifest, isIndexType, isManifestType } from '../../core/media-types.js';
import { parseReference, referenceTarget } from '../../core/reference.js';
import { OverlaySource, PreferLocal } from '../../graph/overlay.js';
import { walkGraph } from '../../graph/walk.js';
import type { RegistryClient } from '../../registry/client.js';
import { RegistryRepository } from '../../registry/registry-repository.js';
import type { ContentStore } from '../../store/content-store.js';
import type { GraphPlan } from '../facets/source.js';
import { artifactTypeOf, isImageConfig } from './artifact-type.js';
import type { ArtifactEntry, LockedArtifact } from './schema.js';
import { artifactIndexEntry } from './index-entry.js';

/**
 * Pins an artifact: one manifest GET (by digest for a digest reference, which the client checks). No platform is
 * selected: what the reference names upstream is what the bundle stores. An image manifest (its config an image
 * config) is refused: images go in spec.images, where platforms are chosen and containerd can import them.
 */
export async function resolveArtifact(entry: ArtifactEntry, client: RegistryClient, seen?: Map<string, Buffer>): Promise<LockedArtifact> {
  const ref = parseReference(entry.ref);
  const { descriptor, body } = await client.getManifest(ref.registry, ref.repository, referenceTarget(ref));
  if (!isIndexType(descriptor.mediaType) && !isManifestType(descriptor.mediaType)) {
    throw new FerryError('REGISTRY_ERROR', `${entry.ref}: ${descriptor.mediaType} is neither an OCI manifest nor an index`, {
      ref: entry.ref,
    });
  }
  let doc: Partial<ImageIndex & ImageManifest>;
  try {
    doc = JSON.parse(body.toString('utf8')) as Partial<ImageIndex & ImageManifest>;
  } catch {
    throw new FerryError('REGISTRY_ERROR', `${entry.ref}: manifest is not JSON`, { ref: entry.ref });
  }
  const config = doc.config?.mediaType;
  if (isManifestType(descriptor.mediaType) && typeof config === 'string' && isImageConfig(config) && doc.artifactType === undefined) {
    throw new FerryError(
      'MANIFEST_INVALID',
      `${entry.ref}: is a container image (config ${config}), not an artifact: list it under spec.images`,
      { ref: entry.ref },
    );
  }
  seen?.set(descriptor.digest, body);
  const artifactType = artifactTypeOf(doc);
  return {
    ref: entry.ref,
    digest: descriptor.digest,
    mediaType: descriptor.mediaType,
    size: descriptor.size,
    ...(artifactType !== undefined ? { artifactType } : {}),
  };
}

/** The whole graph of a pinned artifact (every child of an index: nothing selected), from the cache or by digest. */
export async function planArtifact(
  locked: LockedArtifact,
  client: RegistryClient,
  store: ContentStore,
  seen?: ReadonlyMap<string, Buffer>,
): Promise<GraphPlan> {
  const ref = parseReference(locked.ref);
  const repo = new RegistryRepository(client, ref.registry, ref.repository);
  const root: Descriptor = { mediaType: locked.mediaType, digest: parseDigest(locked.digest), size: locked.size };
  const source = new OverlaySource(repo, new Map(seen ?? []));
  const nodes = await walkGraph(new PreferLocal(store, source), [root]);
  return { name: locked.ref, root, source, nodes, entries: [artifactIndexEntry(locked, root)] };
}
