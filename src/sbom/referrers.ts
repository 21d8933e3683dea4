import { blobPath } from '../bundle/format.js';
import { Annotation, type Descriptor, type ImageIndex, isIndexType } from '../core/media-types.js';
import type { ArtifactComponent } from '../kinds/facets/components.js';
import type { CdxComponent, CdxExternalReference } from './cyclonedx.js';

/** The referrer kind's entries (docs/supply-chain.md, the carried-referrers contract): `dev.ferry.kind: referrer`. */
const REFERRER_KIND = 'referrer';

/** How a carried referrer's role is said as a CycloneDX external reference of its subject. */
const ROLE_REFERENCE: Record<string, CdxExternalReference['type']> = {
  sbom: 'bom',
  attestation: 'attestation',
  signature: 'other',
  other: 'other',
};

export function isReferrer(entry: Descriptor): boolean {
  return entry.annotations?.[Annotation.Kind] === REFERRER_KIND;
}

/**
 * The child manifests of every index-type root of the bundle, when it carries referrers (a signature or SBOM made for
 * one platform names that platform's manifest): digest → its children's digests. `read` gives a manifest's bytes.
 */
export async function indexChildren(
  index: ImageIndex,
  read: (digest: string) => Promise<Buffer | undefined>,
): Promise<Map<string, string[]>> {
  const out = new Map<string, string[]>();
  if (!index.manifests.some(isReferrer)) return out;
  for (const e of index.manifests) {
    if (isReferrer(e) || !isIndexType(e.mediaType) || out.has(e.digest)) continue;
    const body = await read(e.digest);
    if (!body) continue;
    const parsed = JSON.parse(body.toString('utf8')) as Partial<ImageIndex>;
    out.set(
      e.digest,
      (parsed.manifests ?? []).map((m) => m.digest),
    );
  }
  return out;
}

/**
 * Ties each carried referrer to the component of its subject (the image whose upstream digest, kept root or platform
 * child it names): the subject gets an external reference to the referrer (`bom` for an SBOM, `attestation`, `other`
 * for a signature), by the referrer's purl and with its digest; the referrer gets `ferry:subject-ref`, the subject's
 * bom-ref. A referrer whose subject is not in the bundle keeps its subject digest only (`dev.ferry.referrer.subject`).
 */
export function linkReferrers(described: ArtifactComponent[], cdx: CdxComponent[], children: ReadonlyMap<string, readonly string[]>): void {
  const owner = new Map<string, number>();
  described.forEach((c, i) => {
    if (isReferrer(c.entry)) return;
    for (const d of [c.entry.digest, ...(c.alsoKnownAs ?? []), ...(children.get(c.entry.digest) ?? [])]) if (!owner.has(d)) owner.set(d, i);
  });
  described.forEach((c, i) => {
    const a = c.entry.annotations ?? {};
    const type = ROLE_REFERENCE[a[Annotation.ReferrerRole] ?? ''];
    const at = owner.get(a[Annotation.ReferrerSubject] ?? '');
    if (!isReferrer(c.entry) || !type || at === undefined) return;
    const subject = cdx[at] as CdxComponent;
    const referrer = cdx[i] as CdxComponent;
    const ref: CdxExternalReference = {
      url: referrer.purl ?? blobPath(c.sha256),
      comment: `${a[Annotation.ReferrerRole]} carried with it (${a[Annotation.ReferrerVia] === 'tag' ? `cosign tag ${a[Annotation.ReferrerTag] ?? ''}` : 'OCI referrer'}), bom-ref ${referrer['bom-ref']}`,
      type,
      hashes: [{ alg: 'SHA-256', content: c.sha256 }],
    };
    subject.externalReferences = [...(subject.externalReferences ?? []), ref];
    referrer.properties = [...(referrer.properties ?? []), { name: 'ferry:subject-ref', value: subject['bom-ref'] as string }];
  });
}
