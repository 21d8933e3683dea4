import { Annotation, type Descriptor } from '../core/media-types.js';
import { ociPurl, ociSource } from '../core/purl.js';
import type { ArtifactComponent } from '../kinds/facets/components.js';

/**
 * The component of an index.json entry no kind describes (a kind without a `components` hook, such as carried
 * referrers, or an entry its kind's lock does not name): what the entry itself says. An OCI artifact stored at its
 * digest, so `pkg:oci` when its ref name is an image reference (`<repository>:<tag>` or `<repository>@<digest>`);
 * its `dev.ferry.*` annotations become properties of the same name.
 */
export function entryComponent(entry: Descriptor): ArtifactComponent {
  const a = entry.annotations ?? {};
  const ref = a[Annotation.RefName];
  const source = ref !== undefined ? oci(ref, entry.digest) : undefined;
  const properties = Object.fromEntries(
    Object.entries(a).filter(([k]) => k.startsWith('dev.ferry.') && k !== Annotation.Kind && k !== Annotation.Source),
  );
  return {
    entry,
    type: 'data',
    name: ref ?? entry.digest,
    sha256: entry.digest.slice('sha256:'.length),
    ...(source?.purl ? { purl: source.purl } : {}),
    ...(a[Annotation.Source] ? { distribution: source?.distribution ?? a[Annotation.Source] } : {}),
    vouchedBy: [],
    ...(entry.artifactType ? { properties: { 'ferry:artifact-type': entry.artifactType, ...properties } } : { properties }),
  };
}

function oci(ref: string, digest: string): { purl: string; distribution: string } | undefined {
  try {
    return { purl: ociPurl(ref, digest), distribution: ociSource(ref, digest) };
  } catch {
    return undefined; // not an image reference (`file/<name>`): no purl rather than a wrong one
  }
}
