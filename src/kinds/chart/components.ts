import { chartRefName } from '../../bundle/format.js';
import { Annotation } from '../../core/media-types.js';
import { formatPurl, ociPurl, ociSource } from '../../core/purl.js';
import { type ArtifactComponent, type ComponentsHook, fromPin, matchEntries } from '../facets/components.js';
import { chartPins } from './pins.js';
import type { LockedChart } from './schema.js';

/**
 * The chart kind's SBOM components. The purl spec has no Helm type (types/ lists none), so a chart from a classic
 * repository is `pkg:generic` with the `.tgz` URL its index.yaml gave and its checksum; a chart from an OCI registry
 * is what it is there, `pkg:oci` at the manifest digest the registry resolved, tagged with the chart version.
 */
export const chartComponents: ComponentsHook<LockedChart> = (locked, entries) =>
  matchEntries(entries, Annotation.RefName, new Map(locked.map((c) => [chartRefName(c.name, c.version), c]))).map(
    ([entry, c]): ArtifactComponent => {
      const v = c.vouchedBy;
      const base = { ...fromPin(chartPins.pins(c)[0]!, entry), type: 'file' as const };
      const provenance: Record<string, string> = c.provenance ? { 'ferry:provenance-sha256': c.provenance.sha256 } : {};
      if (v.kind === 'index')
        return {
          ...base,
          purl: formatPurl({
            type: 'generic',
            name: c.name,
            version: c.version,
            qualifiers: { download_url: v.url, checksum: `sha256:${c.sha256}` },
          }),
          distribution: v.url,
          properties: { 'ferry:chart-repository': c.repo, 'ferry:index-sha256': v.indexSha256, ...provenance },
        };
      return {
        ...base,
        purl: ociPurl(v.ref, v.manifestDigest),
        distribution: ociSource(v.ref, v.manifestDigest),
        properties: { 'ferry:chart-repository': c.repo, ...provenance },
      };
    },
  );
