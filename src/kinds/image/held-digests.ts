import { type ImageIndex, type ImageManifest, isIndexType } from '../../core/media-types.js';
import { parseReference } from '../../core/reference.js';
import type { LockedImage } from './schema.js';
import type { RegistryClient } from '../../registry/client.js';

/**
 * The blobs an enclave that received a locked image holds: its upstream graph, found by reading its manifests
 * upstream (a lock names only the root). A child that can no longer be read is skipped; the root must be readable.
 */
export async function addImageHeld(img: LockedImage, held: Set<string>, client: RegistryClient): Promise<void> {
  const ref = parseReference(img.ref);
  await collect(client, ref.registry, ref.repository, img.upstreamDigest, held);
}

async function collect(client: RegistryClient, registry: string, repo: string, digest: string, out: Set<string>): Promise<void> {
  if (out.has(digest)) return;
  out.add(digest);
  const { descriptor, body } = await client.getManifest(registry, repo, digest);
  const doc = JSON.parse(body.toString('utf8')) as ImageIndex & ImageManifest;
  if (isIndexType(descriptor.mediaType) || Array.isArray(doc.manifests)) {
    for (const child of doc.manifests ?? []) await collect(client, registry, repo, child.digest, out).catch(() => undefined);
    return;
  }
  if (doc.config) out.add(doc.config.digest);
  for (const l of doc.layers ?? []) out.add(l.digest);
}
