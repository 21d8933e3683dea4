import { sha256 } from '../../src/core/digest.js';
import type { Descriptor } from '../../src/core/media-types.js';
import { type Blob, blob, signatureManifest } from './cosign-sign.js';

/**
 * index.json entries of carried referrers, written exactly as the shared contract of issue 19 describes them
 * (docs/supply-chain.md "Enforcement"), for tests of what reads them before the carrier itself exists in a test.
 */
export type Role = 'signature' | 'attestation' | 'sbom' | 'other' | 'upstream-index';

export interface Carried {
  entry: Descriptor;
  /** The manifest, its config and its layers (or the upstream index's bytes). */
  blobs: Blob[];
}

export function referrerAnnotations(opts: { subject: string; role: Role; repo: string; digest: string; tag?: string }) {
  const via = opts.tag ? 'tag' : opts.role === 'upstream-index' ? 'tag' : 'referrers';
  return {
    'dev.ferry.kind': 'referrer',
    'dev.ferry.referrer.subject': opts.subject,
    'dev.ferry.referrer.role': opts.role,
    'dev.ferry.referrer.via': via,
    ...(opts.tag ? { 'dev.ferry.referrer.tag': opts.tag } : {}),
    'dev.ferry.source': opts.repo,
    'org.opencontainers.image.ref.name': opts.tag ? `${opts.repo}:${opts.tag}` : `${opts.repo}@${opts.digest}`,
  };
}

/** A cosign `.sig`/`.att` tag's manifest (or, with `via: 'referrers'`, an OCI 1.1 referrer) over `layers`. */
export function carried(
  subject: string,
  repo: string,
  role: 'signature' | 'attestation' | 'sbom',
  layers: Blob[],
  via: 'tag' | 'referrers' = 'tag',
): Carried {
  const m = signatureManifest(layers);
  const suffix = role === 'signature' ? 'sig' : role === 'attestation' ? 'att' : 'sbom';
  const tag = via === 'tag' ? `sha256-${subject.slice(7)}.${suffix}` : undefined;
  const entry: Descriptor = {
    mediaType: 'application/vnd.oci.image.manifest.v1+json',
    digest: m.digest,
    size: m.bytes.length,
    annotations: referrerAnnotations({ subject, role, repo, digest: m.digest, ...(tag ? { tag } : {}) }),
  };
  return { entry, blobs: [{ descriptor: entry, bytes: m.bytes }, m.config, ...layers] };
}

/** The upstream index a platform-filtered image was cut from, carried as its `upstream-index` entry. */
export function upstreamIndex(repo: string, children: Descriptor[]): Carried & { digest: string } {
  const bytes = Buffer.from(
    JSON.stringify({ schemaVersion: 2, mediaType: 'application/vnd.oci.image.index.v1+json', manifests: children }),
  );
  const digest = sha256(bytes);
  const b = blob('application/vnd.oci.image.index.v1+json', bytes);
  const entry: Descriptor = {
    ...b.descriptor,
    annotations: referrerAnnotations({ subject: digest, role: 'upstream-index', repo, digest }),
  };
  return { entry, blobs: [{ descriptor: entry, bytes }], digest };
}

/** The lock.referrers entry that pins a carried referrer found for `image` (docs/manifest.md "The lock file"). */
export function lockEntry(c: Carried, image: string): Record<string, unknown> {
  const a = c.entry.annotations ?? {};
  return {
    image,
    subject: a['dev.ferry.referrer.subject'],
    repository: a['dev.ferry.source'],
    role: a['dev.ferry.referrer.role'],
    via: a['dev.ferry.referrer.via'],
    ...(a['dev.ferry.referrer.tag'] ? { tag: a['dev.ferry.referrer.tag'] } : {}),
    digest: c.entry.digest,
    mediaType: c.entry.mediaType,
    size: c.entry.size,
    ...(c.entry.artifactType ? { artifactType: c.entry.artifactType } : {}),
  };
}
