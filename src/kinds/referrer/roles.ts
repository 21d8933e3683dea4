/**
 * What a carried referrer is, and which roles `spec.referrers` keeps (docs/supply-chain.md "Carrying signatures").
 * Shared by the schema (lock checks), the source (discovery) and the view.
 */
export type ReferrerRole = 'signature' | 'attestation' | 'sbom' | 'other' | 'upstream-index';
export type ReferrerMode = 'all' | 'signatures' | 'none';

export const ROLES: readonly ReferrerRole[] = ['signature', 'attestation', 'sbom', 'other', 'upstream-index'];
export const MODES: readonly ReferrerMode[] = ['all', 'signatures', 'none'];
export const DEFAULT_MODE: ReferrerMode = 'signatures';

/** The cosign tag suffixes (sigstore/cosign pkg/oci/remote: `.sig`, `.att`, `.sbom`) and the role each carries. */
export const COSIGN_SUFFIXES = [
  { suffix: 'sig', role: 'signature' },
  { suffix: 'att', role: 'attestation' },
  { suffix: 'sbom', role: 'sbom' },
] as const satisfies readonly { suffix: string; role: ReferrerRole }[];

/**
 * Whether `mode` keeps a referrer of `role`. `signatures` keeps what a signature policy reads (signatures and
 * attestations) and the upstream index a filtered image is tied to its signature by; `all` adds SBOMs and others.
 */
export function keeps(mode: ReferrerMode, role: ReferrerRole): boolean {
  if (mode === 'none') return false;
  if (mode === 'all') return true;
  return role === 'signature' || role === 'attestation' || role === 'upstream-index';
}

/**
 * The role of an OCI 1.1 referrer (image-spec manifest.md `artifactType`, else its config's media type): cosign's
 * signature type; DSSE, in-toto and Sigstore bundles as attestations; SPDX, CycloneDX and Syft documents as SBOMs.
 */
export function roleOfType(artifactType: string | undefined): ReferrerRole {
  const t = (artifactType ?? '').toLowerCase();
  if (t === 'application/vnd.dev.cosign.artifact.sig.v1+json') return 'signature';
  if (
    t === 'application/vnd.dsse.envelope.v1+json' ||
    t === 'application/vnd.in-toto+json' ||
    t.startsWith('application/vnd.dev.sigstore.bundle')
  )
    return 'attestation';
  if (t === 'application/spdx+json' || t === 'text/spdx' || t.startsWith('application/vnd.cyclonedx') || t === 'application/vnd.syft+json')
    return 'sbom';
  return 'other';
}
