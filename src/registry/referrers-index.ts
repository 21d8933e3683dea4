import { type Digest, digestHex } from '../core/digest.js';
import { type Descriptor, type ImageIndex, type ImageManifest, MediaType, isIndexType } from '../core/media-types.js';

/**
 * The referrers list of distribution-spec v1.1 ("Listing Referrers", "Referrers Tag Schema"), shared by push (the
 * tag-schema index it maintains in a registry without the referrers API) and serve (the API it answers itself).
 */

/**
 * The tag-schema tag of a subject: `<alg>-<ref>`, the algorithm cut to 32 characters and the encoded digest to 64
 * (distribution-spec "Referrers Tag Schema"); for sha256 that is `sha256-<hex>`, all within the tag grammar.
 */
export function referrersTag(subject: Digest): string {
  return `sha256-${digestHex(subject)}`;
}

/**
 * A referrer as a referrers list names it (distribution-spec "Listing Referrers"): its mediaType, digest and size,
 * its `artifactType` — the manifest's, else its config's mediaType (an index without one has none) — and the
 * manifest's own annotations. `body` is the manifest's bytes, already checked against `desc`.
 */
export function referrerDescriptor(desc: Descriptor, body: Buffer): Descriptor {
  const doc = JSON.parse(body.toString('utf8')) as Partial<ImageManifest & ImageIndex>;
  const artifactType = doc.artifactType || (isIndexType(desc.mediaType) ? undefined : doc.config?.mediaType);
  const annotations = doc.annotations && typeof doc.annotations === 'object' ? doc.annotations : undefined;
  return {
    mediaType: desc.mediaType,
    digest: desc.digest,
    size: desc.size,
    ...(artifactType ? { artifactType } : {}),
    ...(annotations && Object.keys(annotations).length > 0 ? { annotations } : {}),
  };
}

/** The `subject` digest a manifest names, if any (a manifest that is no referrer has none). */
export function subjectOf(body: Buffer): string | undefined {
  try {
    const d = (JSON.parse(body.toString('utf8')) as { subject?: { digest?: unknown } }).subject?.digest;
    return typeof d === 'string' ? d : undefined;
  } catch {
    return undefined;
  }
}

/** An OCI image index listing `manifests`, as the referrers API and the tag-schema tag hold them. */
export function referrersIndex(manifests: readonly Descriptor[], annotations?: Record<string, string>): Buffer {
  const index: ImageIndex = {
    schemaVersion: 2,
    mediaType: MediaType.OciIndex,
    manifests: [...manifests],
    ...(annotations ? { annotations } : {}),
  };
  return Buffer.from(JSON.stringify(index));
}

/**
 * The tag-schema index with `add` in it: the descriptors `existing` lists are kept as they are (other clients'
 * referrers), each of `add` whose digest it lacks is appended. `body` is undefined when nothing was missing.
 */
export function withReferrers(existing: ImageIndex | undefined, add: readonly Descriptor[]): { body?: Buffer; added: Descriptor[] } {
  const kept = existing?.manifests ?? [];
  const have = new Set(kept.map((d) => d.digest));
  const added = add.filter((d) => !have.has(d.digest) && (have.add(d.digest), true));
  if (added.length === 0) return { added };
  return { body: referrersIndex([...kept, ...added], existing?.annotations), added };
}
