import { ferryRefName } from '../../bundle/format.js';
import { Annotation } from '../../core/media-types.js';
import type { LockedFerry } from './schema.js';
import type { PinsFacet } from '../facets/pins.js';
import { ferryChecksumSource } from './ferry-artifact.js';
import { checkFerryChain } from './ferry-check.js';

/** The ferry kind's pins facet (kinds/kind.ts): the executable, layer 0 of its artifact; its SBOM rides as layer 1. */
export const ferryPins: PinsFacet<LockedFerry> = {
  pinNoun: 'ferry',
  pinEntryKind: 'ferry',
  pinAnnotation: Annotation.Title,
  reportOrder: 5,
  pins: (f) => [
    {
      label: `ferry ${f.name}`,
      entryName: f.name,
      refName: ferryRefName(f.name),
      name: f.name,
      version: f.version,
      digest: `sha256:${f.sha256}`,
      isRoot: false,
      size: f.size,
      source: `local file ${f.source}`,
      vouchedBy: ferryChecksumSource(f),
      vouch: { ...f.vouchedBy, versionFrom: f.versionFrom, ...(f.sbom ? { sbom: f.sbom } : {}) },
    },
  ],
  checkChain: (locked, entries, read, intact) => checkFerryChain(locked[0], entries, read, intact),
  // The SBOM is no pin of its own (it is layer 1, not an artifact), but the enclave holds it too.
  addHeld: async (f, held) => {
    if (f.sbom) held.add(`sha256:${f.sbom.sha256}`);
  },
};
