import { Annotation } from '../../core/media-types.js';
import { formatPurl } from '../../core/purl.js';
import { type ComponentsHook, fromPin, matchEntries } from '../facets/components.js';
import { ferryPins } from './pins.js';
import type { LockedFerry } from './schema.js';

/**
 * The ferry kind's SBOM component: ferry's own executable, `pkg:generic/ferry@<version>` (no purl type for a release
 * binary of its own), read from a local file (so no download URL); its release SBOM, carried as layer 1, is linked.
 */
export const ferryComponents: ComponentsHook<LockedFerry> = (locked, entries) =>
  matchEntries(entries, Annotation.Title, new Map(locked.map((f) => [f.name, f]))).map(([entry, f]) => ({
    ...fromPin(ferryPins.pins(f)[0]!, entry),
    type: 'application',
    name: 'ferry',
    purl: formatPurl({
      type: 'generic',
      name: 'ferry',
      version: f.version,
      qualifiers: { file_name: f.name, checksum: `sha256:${f.sha256}` },
    }),
    properties: { 'ferry:file-name': f.name, 'ferry:source': `local file ${f.source}`, 'ferry:version-from': f.versionFrom },
    ...(f.sbom ? { boms: [{ sha256: f.sbom.sha256, title: f.sbom.name }] } : {}),
  }));
