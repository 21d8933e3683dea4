import type { BundleReader } from '../bundle/reader.js';
import { type Digest, isDigest, sha256 } from '../core/digest.js';
import { type Descriptor, MediaType, isManifestType } from '../core/media-types.js';
import { readVerified } from '../graph/copy.js';
import { referrerDescriptor, referrersIndex, referrersTag, subjectOf } from '../registry/referrers-index.js';
import type { ServedRepository } from './routes.js';

/**
 * The OCI 1.1 referrers a bundle serves (distribution-spec v1.1 "Listing Referrers"): every served root manifest with
 * a `subject` is a referrer of that digest in its repository. Each subject gets its list for
 * `GET /v2/<name>/referrers/<digest>` and, for clients that look for the tag-schema instead, the same index under
 * the tag `sha256-<hex of subject>` (unless the bundle itself tags that name), made here: it is in no bundle.
 */
export async function addReferrers(reader: BundleReader, repo: ServedRepository, roots: readonly Descriptor[]): Promise<void> {
  for (const root of roots) {
    if (!isManifestType(root.mediaType)) continue;
    const body = await readVerified(reader, root, `manifest ${root.digest}`);
    const subject = subjectOf(body);
    if (subject === undefined || !isDigest(subject)) continue;
    const list = repo.referrers.get(subject) ?? [];
    repo.referrers.set(subject, list);
    if (!list.some((d) => d.digest === root.digest)) list.push(referrerDescriptor(root, body));
  }
  for (const [subject, list] of repo.referrers) {
    const tag = referrersTag(subject as Digest);
    if (repo.tags.has(tag)) continue;
    const body = referrersIndex(list);
    const desc: Descriptor = { mediaType: MediaType.OciIndex, digest: sha256(body), size: body.length };
    repo.made.set(desc.digest, body);
    repo.manifests.set(desc.digest, desc);
    repo.tags.set(tag, desc);
  }
}

/**
 * The referrers of `subject` as an OCI image index; with `?artifactType=`, only those of that type, and the answer
 * says it filtered (`OCI-Filters-Applied: artifactType`). A subject with no referrers (or not in the repository)
 * gets an empty list, never a 404: a 404 would tell the client this registry has no referrers API.
 */
export function referrersAnswer(repo: ServedRepository, subject: string, url: URL): { body: Buffer; headers: Record<string, string> } {
  const type = url.searchParams.get('artifactType');
  const all = repo.referrers.get(subject) ?? [];
  const body = referrersIndex(type !== null ? all.filter((d) => d.artifactType === type) : all);
  return {
    body,
    headers: { 'Content-Type': MediaType.OciIndex, ...(type !== null ? { 'OCI-Filters-Applied': 'artifactType' } : {}) },
  };
}
