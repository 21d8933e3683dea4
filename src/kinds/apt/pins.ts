import { aptRefName } from '../../bundle/format.js';
import { Annotation } from '../../core/media-types.js';
import type { LockedAptSource } from './schema.js';
import type { PinsFacet } from '../facets/pins.js';

/**
 * The apt kind's pins facet (kinds/kind.ts): each .deb, layer 0 of its artifact. Its `apt-meta` entries (keyring,
 * signed Releases, Packages indexes of each source) pin nothing themselves: they are the chain vouching for the debs.
 */
export const aptPins: PinsFacet<LockedAptSource> = {
  pinNoun: 'apt package',
  pinEntryKind: 'apt',
  pinAnnotation: Annotation.Title,
  pinCode: 'APT_CHAIN',
  reportOrder: 4,
  pins: (src) =>
    src.debs.map((d) => {
      const rel = src.releases.find((r) => r.suite === d.suite);
      return {
        label: `apt package ${d.file}`,
        entryName: d.file,
        refName: aptRefName(d.file),
        name: d.name,
        version: d.version,
        digest: `sha256:${d.sha256}`,
        isRoot: false,
        size: d.size,
        source: d.url,
        vouchedBy: `${rel?.file ?? 'Release'} of ${d.suite} signed by ${(rel?.signedBy ?? []).join(', ')} → ${d.index} → SHA256 of ${d.name} ${d.version}`,
        vouch: {
          kind: 'apt',
          release: rel?.url,
          releaseSha256: rel?.sha256,
          signedBy: rel?.signedBy,
          index: d.index,
          keyring: src.keyring,
        },
      };
    }),
  checkChain: async (sources, entries, read, _intact, stream) => {
    if (sources.length === 0) return [];
    // Loaded only when there is apt content: it brings openpgp.
    const { checkAptChain } = await import('./apt-chain.js');
    return checkAptChain(sources, entries, read, stream);
  },
};
