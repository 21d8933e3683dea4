import { Annotation, type ImageIndex, type ImageManifest, isIndexType } from '../../core/media-types.js';
import { parseReference } from '../../core/reference.js';
import type { RegistryClient } from '../../registry/client.js';
import type { PinsFacet } from '../facets/pins.js';
import type { LockedArtifact } from './schema.js';

/** The artifact kind's pins facet (kinds/kind.ts): the upstream root the bundle stores under its reference. */
export const artifactPins: PinsFacet<LockedArtifact> = {
  pinNoun: 'artifact',
  pinEntryKind: 'artifact',
  pinAnnotation: Annotation.RefName,
  reportOrder: 6,
  pins: (a) => [
    {
      label: `artifact ${a.ref}`,
      entryName: a.ref,
      refName: a.ref,
      name: a.ref,
      digest: a.digest,
      isRoot: true,
      size: a.size,
      source: a.ref,
      vouchedBy: `registry ${a.ref.split('/')[0]} resolved ${a.ref} to ${a.digest}`,
      vouch: { kind: 'registry', upstreamDigest: a.digest, ...(a.artifactType !== undefined ? { artifactType: a.artifactType } : {}) },
    },
  ],
  // The enclave holds the whole upstream graph (nothing is selected out of it), read back from the registry.
  async addHeld(a, held, client) {
    const ref = parseReference(a.ref);
    await collect(client, ref.registry, ref.repository, a.digest, held);
  },
};

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
