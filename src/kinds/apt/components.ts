import { aptMetaRefName } from '../../bundle/format.js';
import { Annotation } from '../../core/media-types.js';
import { formatPurl } from '../../core/purl.js';
import { type ArtifactComponent, type ComponentsHook, fromPin, matchEntries } from '../facets/components.js';
import { aptPins } from './pins.js';
import type { LockedAptSource } from './schema.js';

/**
 * The apt kind's SBOM components: each .deb as `pkg:deb/debian/<name>@<version>?arch=…&distro=<suite>` (purl-spec
 * types/deb-definition.json; the namespace is the vendor, and ferry carries Debian-format archives without recording
 * a Release's Origin, so it is `debian`), and each source's metadata artifact (keyring, signed Releases, Packages
 * indexes) as `data` with no purl: it is the chain that vouches for the debs, not a package.
 */
export const aptComponents: ComponentsHook<LockedAptSource> = (locked, entries) => {
  const debs = locked.flatMap((src) => {
    const pins = new Map(aptPins.pins(src).map((p) => [p.entryName, p]));
    return matchEntries(entries, Annotation.Title, new Map(src.debs.map((d) => [d.file, d]))).map(([entry, d]): ArtifactComponent => {
      const pin = pins.get(d.file)!;
      return {
        ...fromPin(pin, entry),
        type: 'application',
        purl: formatPurl({
          type: 'deb',
          namespace: 'debian',
          name: d.name.toLowerCase(),
          version: d.version,
          qualifiers: { arch: d.architecture, distro: d.suite, repository_url: src.url },
        }),
        distribution: d.url,
        properties: { 'ferry:file-name': d.file, 'ferry:packages-index': d.index },
      };
    });
  });
  const metas = matchEntries(entries, Annotation.RefName, new Map(locked.map((src, i) => [aptMetaRefName(i), src]))).map(
    ([entry, src]): ArtifactComponent => ({
      entry,
      type: 'data',
      name: `apt metadata of ${src.url}`,
      sha256: entry.digest.slice('sha256:'.length),
      distribution: src.url,
      vouchedBy: [
        `keyring ${src.keyring.path} (sha256 ${src.keyring.sha256}, keys ${src.keyring.fingerprints.join(', ')})`,
        ...src.releases.map((r) => `${r.file} of ${r.suite} (sha256 ${r.sha256}) signed by ${r.signedBy.join(', ')}`),
      ],
      properties: { 'ferry:suites': src.suites.join(','), 'ferry:components': src.components.join(',') },
    }),
  );
  return [...debs, ...metas];
};
