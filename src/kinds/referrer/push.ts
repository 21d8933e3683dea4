import { isDigest } from '../../core/digest.js';
import { FerryError } from '../../core/errors.js';
import { Annotation, type Descriptor } from '../../core/media-types.js';
import { parseReference } from '../../core/reference.js';
import type { PushTarget } from '../../registry/push-target.js';
import { checkTargetName, targetRepository } from '../../registry/target-name.js';
import { quoteUntrusted } from '../../validate/untrusted-text.js';
import type { PushFacet, PushStep } from '../facets/push.js';
import { COSIGN_SUFFIXES } from './roles.js';
import { maintainTagIndexes } from './tag-index.js';

/** A cosign tag: `sha256-<hex>` and one of the suffixes of roles.ts (`.sig`, `.att`, `.sbom`). */
const COSIGN_TAG = new RegExp(`^sha256-([0-9a-f]{64})\\.(${COSIGN_SUFFIXES.map((c) => c.suffix).join('|')})$`);

/**
 * The referrer kind's push facet (kinds/kind.ts, docs/supply-chain.md "Pushing carried referrers"): each carried
 * signature, attestation or SBOM goes into its image's repository in the target — the repository push gives the
 * image, from the same upstream repository (`dev.ferry.source`) — by digest, children first like any graph:
 * - via `tag` (a cosign `sha256-<hex>.sig|.att|.sbom` tag), then tagged with that tag, which still names the image
 *   since push keeps every image at its upstream digest;
 * - via `referrers` (an OCI 1.1 manifest with a `subject`), by digest only; when the registry does not index it
 *   itself (no `OCI-Subject` answer), the tag-schema index `sha256-<hex of subject>` is kept up to date after the
 *   tag phase (finishPush, tag-index.ts).
 * The `upstream-index` of a platform-filtered image is carried for the signature policy alone and never pushed.
 * Every step refers to its subject, so its tag is set after the images' own tags.
 */
export const referrerPush: PushFacet<unknown> = {
  async pushPlan(desc, target) {
    const a = desc.annotations ?? {};
    const role = a[Annotation.ReferrerRole];
    if (role === 'upstream-index') return [];
    return [referrerStep(desc, target)];
  },
  finishPush: maintainTagIndexes,
};

function referrerStep(desc: Descriptor, target: PushTarget): PushStep {
  const a = desc.annotations ?? {};
  const name = a[Annotation.RefName] ?? desc.digest;
  const refuse = (why: string): never => {
    throw new FerryError('UNSAFE_VALUE', `referrer ${quoteUntrusted(name)}: ${why}: refused, nothing was pushed`, { digest: desc.digest });
  };
  const subject = a[Annotation.ReferrerSubject] ?? '';
  if (!isDigest(subject)) return refuse(`its subject ${quoteUntrusted(subject)} is not a sha256 digest`);
  const source = a[Annotation.Source] ?? '';
  let upstream: string;
  try {
    const ref = parseReference(source);
    if (ref.digest !== undefined || source.slice(source.lastIndexOf('/') + 1).includes(':')) throw new Error('tagged');
    upstream = ref.repository;
  } catch {
    return refuse(`its ${Annotation.Source} ${quoteUntrusted(source)} is not an upstream repository (no tag, no digest)`);
  }
  const repository = targetRepository(target, upstream);
  const via = a[Annotation.ReferrerVia];
  let tag: string | undefined;
  if (via === 'tag') {
    tag = a[Annotation.ReferrerTag] ?? '';
    // The tag is set in the subject's repository: only a cosign tag naming that subject, never an image's tag.
    if (COSIGN_TAG.exec(tag)?.[1] !== subject.slice(7))
      refuse(`its tag ${quoteUntrusted(tag)} is not sha256-<hex of its subject ${subject}>.sig, .att or .sbom`);
  } else if (via !== 'referrers') refuse(`${Annotation.ReferrerVia} ${quoteUntrusted(String(via))} is neither tag nor referrers`);
  checkTargetName(name, repository, tag);
  const root: Descriptor = { mediaType: desc.mediaType, digest: desc.digest, size: desc.size };
  return {
    item: { kind: 'referrer', source: name, repository, ...(tag !== undefined ? { tag } : {}), root, subject },
    from: 'the carried referrers',
    progress: 'referrer',
    how: { via: 'graph' },
    refersTo: subject,
  };
}
