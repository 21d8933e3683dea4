import { Annotation } from '../../core/media-types.js';
import { parseReference } from '../../core/reference.js';
import { collectGraphDigests } from '../../registry/graph-digests.js';
import type { Pin, PinsFacet } from '../facets/pins.js';
import { type LockedReferrer, referrerRefName } from './schema.js';

/** What vouched for a carried referrer's digest, in the audit report's words. */
function vouchedBy(r: LockedReferrer): string {
  const registry = r.repository.split('/')[0];
  if (r.role === 'upstream-index') return `registry ${registry} resolved ${r.image} to the index ${r.digest}, which ferry filtered`;
  if (r.via === 'tag') return `registry ${registry} served cosign tag ${r.tag ?? ''} of ${r.subject} as ${r.digest}`;
  return `registry ${registry} listed ${r.digest} as a referrer of ${r.subject}`;
}

/**
 * The referrer kind's pins facet (kinds/kind.ts): each carried referrer's manifest (or the upstream index) as the
 * root of its index.json entry, named by its ref name; verify checks every blob of its graph like any other's.
 */
export const referrerPins: PinsFacet<LockedReferrer> = {
  pinNoun: 'referrer',
  pinEntryKind: 'referrer',
  pinAnnotation: Annotation.RefName,
  reportOrder: 7,
  pins: (r): Pin[] => {
    const name = referrerRefName(r);
    return [
      {
        label: `${r.role} ${name} (of ${r.image})`,
        entryName: name,
        refName: name,
        name,
        digest: r.digest,
        isRoot: true,
        size: r.size,
        source: r.repository,
        vouchedBy: vouchedBy(r),
        vouch: { kind: 'registry', subject: r.subject, role: r.role, via: r.via, ...(r.tag !== undefined ? { tag: r.tag } : {}) },
      },
    ];
  },
  // An enclave that received it holds its graph, as pushed; never the upstream index, which push leaves out.
  async addHeld(r, held, client) {
    if (r.role === 'upstream-index') return;
    const ref = parseReference(r.image);
    await collectGraphDigests(client, ref.registry, ref.repository, r.digest, held);
  },
};
