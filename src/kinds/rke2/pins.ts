import { rke2RefName } from '../../bundle/format.js';
import { Annotation } from '../../core/media-types.js';
import type { LockedRke2 } from './schema.js';
import type { PinsFacet } from '../facets/pins.js';
import { lockedFilePin } from '../file/pins.js';
import { checkRke2Chain } from './rke2-check.js';

/** The rke2 kind's pins facet (kinds/kind.ts): each release file's content, and the checksum list vouching for them. */
export const rke2Pins: PinsFacet<LockedRke2> = {
  pinNoun: 'RKE2 file',
  pinEntryKind: 'rke2',
  pinAnnotation: Annotation.Title,
  reportOrder: 2,
  pins: (r) => r.files.map((f) => ({ ...lockedFilePin(f, `RKE2 file ${f.name}`, rke2RefName(f.name)), version: r.version })),
  checkChain: (locked, entries, read) => checkRke2Chain(locked[0], entries, read),
};
