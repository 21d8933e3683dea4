import { type Digest, parseDigest } from '../../core/digest.js';
import { FerryError } from '../../core/errors.js';
import { type Descriptor, type ImageIndex, type ImageManifest } from '../../core/media-types.js';
import { parseReference } from '../../core/reference.js';
import { listReferrers } from '../../registry/referrers-api.js';
import { artifactTypeOf } from '../artifact/artifact-type.js';
import type { SourceContext } from '../facets/source.js';
import type { ReferrerEntry } from './entry.js';
import { COSIGN_SUFFIXES, type ReferrerMode, keeps, roleOfType } from './roles.js';
import { referrersTag } from '../../registry/referrers-index.js';
import { type LockedReferrer, modeOf } from './schema.js';

/** Per pull (its caches object), per repository: whether it has the referrers API, and its tags, once asked. */
const perPull = new WeakMap<object, { api: Map<string, Promise<boolean>>; tags: Map<string, Promise<Set<string> | undefined>> }>();

function memo(ctx: SourceContext) {
  let m = perPull.get(ctx.caches);
  if (!m) perPull.set(ctx.caches, (m = { api: new Map(), tags: new Map() }));
  return m;
}

/**
 * The referrers of one subject that `spec.referrers` keeps (docs/supply-chain.md "Carrying signatures"):
 * - the cosign tags `sha256-<hex>.sig`, `.att` (and `.sbom` with `all`), one manifest GET each, 404 = none;
 * - the OCI 1.1 referrers: `GET /v2/<name>/referrers/<digest>`, and on a 404 (no referrers API, Debian's
 *   docker-registry 2.8) the tag-schema index `sha256-<hex>` (distribution-spec "Referrers Tag Schema"). Once a
 *   repository has answered 404 there, its other subjects go to the tag schema straight away.
 * A tag is only asked for when the repository's tag list (read once per repository, when the registry gives it whole
 * on one page) has it, so an image without referrers costs the tag list and the referrers API probe, shared by
 * every subject of its repository; without a whole tag list every tag is asked for (404 = none). Every manifest is
 * read through the client, which checks it against its digest (the tag's, the digest asked for). One request after
 * another: the pull's limit bounds the subjects resolved at once.
 */
export async function discoverReferrers(e: ReferrerEntry, ctx: SourceContext): Promise<LockedReferrer[]> {
  const mode = modeOf(ctx.manifest);
  if (mode === 'none') return [];
  const ref = parseReference(e.image);
  const subject = parseDigest(e.subject, `subject of ${e.image}`);
  const at = { ctx, registry: ref.registry, repo: ref.repository, e, subject };
  const out: LockedReferrer[] = [];
  for (const c of COSIGN_SUFFIXES.filter((s) => keeps(mode, s.role))) {
    const tag = `${referrersTag(subject)}.${c.suffix}`;
    const got = await manifestOrNone(at, tag);
    if (got) out.push(locked(e, c.role, 'tag', got.descriptor, { tag, ...typeOf(got.doc.artifactType) }));
  }
  const listed = new Set<string>();
  for (const d of await referrersOf(at)) {
    // A list may name a referrer twice (a tag-schema index is written by clients): it is carried once.
    if (listed.has(d.digest)) continue;
    listed.add(d.digest);
    const found = await keptReferrer(at, d, mode);
    if (found) out.push(found);
  }
  if (e.upstreamIndex && out.length > 0)
    out.push(locked(e, 'upstream-index', 'tag', { digest: subject, mediaType: e.upstreamIndex.mediaType, size: e.upstreamIndex.size }, {}));
  return out;
}

interface At {
  ctx: SourceContext;
  registry: string;
  repo: string;
  e: ReferrerEntry;
  subject: Digest;
}

function locked(
  e: ReferrerEntry,
  role: LockedReferrer['role'],
  via: LockedReferrer['via'],
  d: Pick<Descriptor, 'digest' | 'mediaType' | 'size'>,
  extra: { tag?: string; artifactType?: string },
): LockedReferrer {
  return {
    image: e.image,
    subject: e.subject,
    repository: e.repository,
    role,
    via,
    ...extra,
    digest: d.digest,
    mediaType: d.mediaType,
    size: d.size,
  };
}

const typeOf = (t: unknown): { artifactType?: string } => (typeof t === 'string' && t !== '' ? { artifactType: t } : {});

/**
 * The repository's tags, when the registry lists them all on one page (distribution-spec "Listing Tags"); undefined
 * when it does not (paginated, refused, too large): then each tag is asked for.
 */
function tagsOf({ ctx, registry, repo }: At): Promise<Set<string> | undefined> {
  const tags = memo(ctx).tags;
  const key = `${registry}/${repo}`;
  let p = tags.get(key);
  if (!p) {
    p = ctx.client.firstPage(registry, `/v2/${repo}/tags/list`, [`repository:${repo}:pull`], `${key} tags`).then(
      (page) => {
        const list = (page?.json as { tags?: unknown } | undefined)?.tags;
        return page && !page.more && Array.isArray(list) ? new Set(list.filter((t): t is string => typeof t === 'string')) : undefined;
      },
      () => undefined,
    );
    tags.set(key, p);
  }
  return p;
}

/** A manifest by tag or digest (checked against it by the client), kept for the plan; undefined on 404. */
async function manifestOrNone(at: At, reference: string) {
  const { ctx, registry, repo } = at;
  if (!reference.startsWith('sha256:')) {
    const tags = await tagsOf(at);
    if (tags && !tags.has(reference)) return undefined;
  }
  try {
    const { descriptor, body } = await ctx.client.getManifest(registry, repo, reference);
    ctx.caches.manifests.set(descriptor.digest, body);
    return { descriptor, doc: JSON.parse(body.toString('utf8')) as Partial<ImageManifest & ImageIndex> };
  } catch (err) {
    if (err instanceof FerryError && err.code === 'NOT_FOUND') return undefined;
    throw err;
  }
}

/** The subject's OCI 1.1 referrers as listed: by the referrers API, else by the tag-schema index. */
async function referrersOf(at: At): Promise<Descriptor[]> {
  const { ctx, registry, repo, subject } = at;
  const known = memo(ctx).api;
  const key = `${registry}/${repo}`;
  const has = known.get(key);
  if (has === undefined || (await has)) {
    const listed = listReferrers(ctx.client, registry, repo, subject);
    // A failed probe says nothing of the API: the next subject asks again.
    if (has === undefined)
      known.set(
        key,
        listed.then(
          (l) => l !== undefined,
          () => true,
        ),
      );
    const list = await listed;
    if (list !== undefined) return list;
  }
  const index = await manifestOrNone(at, referrersTag(subject));
  return Array.isArray(index?.doc.manifests) ? index.doc.manifests : [];
}

/**
 * One listed referrer, when its role is kept: read by digest (checked), and only carried when its manifest names
 * this subject (a tag-schema index is written by clients, and could list anything).
 */
async function keptReferrer(at: At, d: Descriptor, mode: ReferrerMode): Promise<LockedReferrer | undefined> {
  if (typeof d.digest !== 'string' || typeof d.mediaType !== 'string') return undefined;
  const listedType = typeof d.artifactType === 'string' && d.artifactType !== '' ? d.artifactType : undefined;
  if (listedType && !keeps(mode, roleOfType(listedType))) return undefined;
  const got = await manifestOrNone(at, parseDigest(d.digest, `referrer of ${at.subject}`));
  if (!got) return undefined;
  const artifactType = artifactTypeOf(got.doc);
  const role = roleOfType(artifactType);
  if (!keeps(mode, role)) return undefined;
  if (got.doc.subject?.digest !== at.subject) {
    at.ctx.events({
      type: 'warning',
      message: `${at.e.image}: ${at.registry}/${at.repo}@${d.digest} is listed as a referrer of ${at.subject} but names ${got.doc.subject?.digest ?? 'no subject'}: left out`,
    });
    return undefined;
  }
  return locked(at.e, role, 'referrers', got.descriptor, typeOf(artifactType));
}
