import { type Digest, sha256 } from '../../core/digest.js';
import { Annotation, type Descriptor, MediaType } from '../../core/media-types.js';
import type { ChartMeta } from './chart-archive.js';

/** Helm's OCI media types (helm pkg/registry/constants.go). */
export const HelmMediaType = {
  Config: 'application/vnd.cncf.helm.config.v1+json',
  Content: 'application/vnd.cncf.helm.chart.content.v1.tar+gzip',
  LegacyContent: 'application/tar+gzip',
  Provenance: 'application/vnd.cncf.helm.chart.provenance.v1.prov',
} as const;

/**
 * A chart as Helm stores it in an OCI registry: an image manifest whose config is the chart's Chart.yaml metadata
 * as JSON and whose first layer is the `.tgz`, byte for byte (and the second, when the chart is signed, its `.prov`). Built the same way for charts from classic repositories
 * and from OCI registries, with no timestamps, so the same chart gives the same digest; `helm pull oci://…` and any
 * OCI client read it.
 */
export function buildHelmArtifact(
  meta: ChartMeta,
  tgz: { digest: Digest; size: number },
  prov?: { digest: Digest; size: number },
): { config: Buffer; manifest: Buffer; descriptor: Descriptor } {
  const config = Buffer.from(JSON.stringify(meta));
  const manifest = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: MediaType.OciManifest,
      config: { mediaType: HelmMediaType.Config, digest: sha256(config), size: config.length },
      // helm push: the chart layer, then the .prov as a layer of its own (helm pkg/registry/client.go Push).
      layers: [
        { mediaType: HelmMediaType.Content, digest: tgz.digest, size: tgz.size },
        ...(prov ? [{ mediaType: HelmMediaType.Provenance, digest: prov.digest, size: prov.size }] : []),
      ],
      annotations: {
        [Annotation.Title]: meta.name,
        'org.opencontainers.image.version': meta.version,
        ...(meta.description ? { 'org.opencontainers.image.description': meta.description } : {}),
      },
    }),
  );
  return { config, manifest, descriptor: { mediaType: MediaType.OciManifest, digest: sha256(manifest), size: manifest.length } };
}
