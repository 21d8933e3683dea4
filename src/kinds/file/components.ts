import { Annotation } from '../../core/media-types.js';
import { formatPurl } from '../../core/purl.js';
import type { LockedFile } from '../../lock/types.js';
import { type ArtifactComponent, type ComponentsHook, fromPin, matchEntries } from '../facets/components.js';
import type { Pin } from '../facets/pins.js';
import { filePins } from './pins.js';

/**
 * A downloaded file as an SBOM component (a file, an RKE2 release file): `pkg:generic` (purl-spec
 * types/generic-definition.json: no type of its own fits a plain download) with its `download_url` and `checksum`.
 */
export function downloadComponent(f: LockedFile, pin: Pin, entry: ArtifactComponent['entry']): ArtifactComponent {
  return {
    ...fromPin(pin, entry),
    type: 'file',
    purl: formatPurl({
      type: 'generic',
      name: f.name,
      ...(pin.version !== undefined ? { version: pin.version } : {}),
      qualifiers: { download_url: f.url, checksum: `sha256:${f.sha256}` },
    }),
    distribution: f.url,
  };
}

/** The file kind's SBOM components. */
export const fileComponents: ComponentsHook<LockedFile> = (locked, entries) =>
  matchEntries(entries, Annotation.Title, new Map(locked.map((f) => [f.name, f]))).map(([entry, f]) =>
    downloadComponent(f, filePins.pins(f)[0]!, entry),
  );
