import { type ImageIndex, type ImageManifest, isIndexType } from '../core/media-types.js';
import type { RegistryClient } from './client.js';

/**
 * Every digest of the graph under `digest` in a repository, read upstream manifest by manifest: the manifests,
 * configs and layers an enclave holds once it received that graph (delta bundles, docs/transfer.md). A child that can
 * no longer be read is skipped; the root must be readable.
 */
export async function collectGraphDigests(
  client: RegistryClient,
  registry: string,
  repo: string,
  digest: string,
  out: Set<string>,
): Promise<void> {
  if (out.has(digest)) return;
  out.add(digest);
  const { descriptor, body } = await client.getManifest(registry, repo, digest);
  const doc = JSON.parse(body.toString('utf8')) as ImageIndex & ImageManifest;
  if (isIndexType(descriptor.mediaType) || Array.isArray(doc.manifests)) {
    for (const child of doc.manifests ?? []) await collectGraphDigests(client, registry, repo, child.digest, out).catch(() => undefined);
    return;
  }
  if (doc.config) out.add(doc.config.digest);
  for (const l of doc.layers ?? []) out.add(l.digest);
}
