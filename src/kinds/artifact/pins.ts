import { Annotation } from '../../core/media-types.js';
import { parseReference } from '../../core/reference.js';
import { collectGraphDigests } from '../../registry/graph-digests.js';
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
    await collectGraphDigests(client, ref.registry, ref.repository, a.digest, held);
  },
};
