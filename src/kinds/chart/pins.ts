import { chartRefName } from '../../bundle/format.js';
import { Annotation } from '../../core/media-types.js';
import type { LockedChart } from './schema.js';
import { provenanceLine } from './provenance-line.js';
import type { PinsFacet } from '../facets/pins.js';

/** The chart kind's pins facet (kinds/kind.ts): each chart's .tgz, layer 0 of its Helm artifact. */
export const chartPins: PinsFacet<LockedChart> = {
  pinNoun: 'chart',
  pinEntryKind: 'chart',
  pinAnnotation: Annotation.RefName,
  reportOrder: 1,
  pins: (c) => {
    const v = c.vouchedBy;
    return [
      {
        label: `chart ${c.name} ${c.version}`,
        entryName: chartRefName(c.name, c.version),
        refName: chartRefName(c.name, c.version),
        name: c.name,
        version: c.version,
        digest: `sha256:${c.sha256}`,
        isRoot: false,
        size: c.size,
        source: v.kind === 'index' ? v.url : `oci://${v.ref}`,
        vouchedBy:
          v.kind === 'index' ? `digest in ${v.indexUrl} (index sha256 ${v.indexSha256})` : `OCI manifest ${v.manifestDigest} of ${v.ref}`,
        vouch: v,
        provenance: provenanceLine(c),
      },
    ];
  },
};
