import { parseReference } from '../../core/reference.js';
import type { LockedImage } from './schema.js';
import type { RegistryClient } from '../../registry/client.js';
import { collectGraphDigests } from '../../registry/graph-digests.js';

/**
 * The blobs an enclave that received a locked image holds: its upstream graph, found by reading its manifests
 * upstream (a lock names only the root). A child that can no longer be read is skipped; the root must be readable.
 */
export async function addImageHeld(img: LockedImage, held: Set<string>, client: RegistryClient): Promise<void> {
  const ref = parseReference(img.ref);
  await collectGraphDigests(client, ref.registry, ref.repository, img.upstreamDigest, held);
}
