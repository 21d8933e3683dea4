import type { Descriptor, ImageIndex } from '../../core/media-types.js';
import { isIndexType } from '../../core/media-types.js';
import { parseReference } from '../../core/reference.js';
import type { ImpliedEntry } from '../facets/source.js';
import type { LockedImage } from '../image/schema.js';
import { selectPlatforms } from '../image/select-platforms.js';
import type { ReferrerEntry } from './entry.js';
import type { ReferrerMode } from './roles.js';

/**
 * The referrer entries a resolved image implies (docs/supply-chain.md "Carrying signatures"): one per subject, the
 * upstream root (what `cosign sign` of the reference signs) and each platform manifest the bundle keeps (what a
 * per-platform signature or SBOM names). Buildx attestation manifests are not platforms and are left out. A filtered
 * image's root subject carries its upstream index, kept as the `upstream-index` entry when the index has a referrer.
 * `upstream` is the upstream root's bytes, read by the image's resolve; none with `spec.referrers: none`.
 */
export function impliedReferrers(img: LockedImage, upstream: Buffer | undefined, mode: ReferrerMode): ImpliedEntry[] {
  if (mode === 'none') return [];
  const ref = parseReference(img.ref);
  const repository = `${ref.registry}/${ref.repository}`;
  const filtered = img.digest !== img.upstreamDigest;
  const subjects: ReferrerEntry[] = [
    {
      image: img.ref,
      repository,
      subject: img.upstreamDigest,
      ...(filtered && upstream ? { upstreamIndex: { mediaType: img.upstreamMediaType, size: upstream.length } } : {}),
    },
  ];
  for (const child of keptChildren(img, upstream))
    if (child !== img.upstreamDigest) subjects.push({ image: img.ref, repository, subject: child });
  return subjects.map((entry) => ({
    kind: 'referrer',
    entry,
    origin: `image ${img.ref}`,
    hint: 'spec.referrers: none pulls images without looking for their signatures',
  }));
}

/** The digests of the platform manifests the bundle keeps of the image. */
function keptChildren(img: LockedImage, upstream: Buffer | undefined): string[] {
  if (!isIndexType(img.upstreamMediaType) || !upstream) return [];
  if (!isIndexType(img.mediaType)) return [img.digest];
  const up: Descriptor = { mediaType: img.upstreamMediaType, digest: img.upstreamDigest as Descriptor['digest'], size: upstream.length };
  const selection = selectPlatforms(img.ref, up, upstream, img.platforms);
  const index = JSON.parse((selection.syntheticBody ?? upstream).toString('utf8')) as ImageIndex;
  return index.manifests.filter((m) => m.platform && m.platform.os !== 'unknown').map((m) => m.digest);
}
