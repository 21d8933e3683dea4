import { z } from 'zod';
import { formatReference, parseReference } from '../../core/reference.js';
import { digest, size } from '../../lock/fields.js';
import type { NormaliseContext, SchemaFacet } from '../facets/schema.js';
import { gateReferrers } from './gate-lock.js';
import { COSIGN_SUFFIXES, DEFAULT_MODE, MODES, ROLES, type ReferrerMode, type ReferrerRole, keeps } from './roles.js';
import type { Digest } from '../../core/digest.js';
import { referrersTag } from '../../registry/referrers-index.js';

/** lock.referrers entry: one carried signature, attestation, SBOM, other referrer or upstream index (the contract). */
export const lockedReferrer = z
  .object({
    /** The image (lock.images ref) it was found for. */
    image: z.string(),
    /** The digest it refers to: the image's upstream root, or a kept platform child. */
    subject: digest,
    /** The upstream repository it was read from (`docker.io/library/x`, no tag): the subject image's. */
    repository: z.string(),
    role: z.enum(ROLES as [string, ...string[]]),
    via: z.enum(['tag', 'referrers']),
    /** The cosign tag it was found under, when via `tag` (`sha256-<hex>.sig`). */
    tag: z.string().optional(),
    digest,
    mediaType: z.string().min(1),
    size,
    artifactType: z.string().min(1).optional(),
  })
  .strict();

export type LockedReferrer = z.infer<typeof lockedReferrer>;

/** spec.referrers: which referrers of the images are carried. */
export const referrersEntrySchema = z.enum(MODES as [string, ...string[]], {
  errorMap: () => ({ message: 'expected all, signatures or none' }),
});

function normaliseReferrers(raw: unknown): ReferrerMode[] {
  return typeof raw === 'string' && (MODES as readonly string[]).includes(raw) ? [raw as ReferrerMode] : [];
}

/** The mode a manifest asks for: spec.referrers, else the default. */
export function modeOf(manifest: { referrers?: ReferrerMode }): ReferrerMode {
  return manifest.referrers ?? DEFAULT_MODE;
}

/** The index.json ref name of a carried referrer: `<repo>:<tag>` when via a tag, `<repo>@<digest>` otherwise. */
export function referrerRefName(r: Pick<LockedReferrer, 'repository' | 'tag' | 'digest'>): string {
  return r.tag !== undefined ? `${r.repository}:${r.tag}` : `${r.repository}@${r.digest}`;
}

/** The order the lock lists them: by image, subject, role, via, tag, digest (what it pins, not when it resolved). */
export const referrerOrderKey = (r: LockedReferrer): string => [r.image, r.subject, r.role, r.via, r.tag ?? '', r.digest].join('\u0000');

/**
 * For `pull --lock`: a lock carrying roles the manifest's mode leaves out no longer describes it. A lock with fewer
 * referrers than the mode would carry is not a difference (an image with none upstream is the common case), so a
 * lock pulled with `signatures` still matches `all` when upstream has no SBOM; pull without --lock to look again.
 */
function referrerDifferences(locked: LockedReferrer[], wanted: ReferrerMode[]): string[] {
  const mode = wanted[0] ?? DEFAULT_MODE;
  const extra = new Map<string, number>();
  for (const r of locked) if (!keeps(mode, r.role as ReferrerRole)) extra.set(r.role, (extra.get(r.role) ?? 0) + 1);
  if (extra.size === 0) return [];
  const counts = [...extra].sort(([a], [b]) => (a < b ? -1 : 1)).map(([role, n]) => `${n} ${role}`);
  return [`referrers: the manifest asks for ${mode} (spec.referrers), the lock carries ${counts.join(', ')} referrers it leaves out`];
}

/**
 * What later steps rely on: references in normalised form, the repository the image's own, a via-tag entry's tag
 * the cosign tag of its subject and role, an upstream index its own subject, and no referrer listed twice.
 */
function referrerLockProblems(locked: LockedReferrer[]): string[] {
  const out: string[] = [];
  const seen = new Set<string>();
  locked.forEach((r, i) => {
    const at = `referrers.${i}`;
    try {
      const image = parseReference(r.image);
      if (formatReference(image) !== r.image) out.push(`${at}.image: "${r.image}" is not in normalised form (${formatReference(image)})`);
      if (`${image.registry}/${image.repository}` !== r.repository)
        out.push(`${at}.repository: ${r.repository} is not the repository of its image ${r.image}`);
    } catch (err) {
      out.push(`${at}.image: ${(err as Error).message}`);
    }
    if (r.role === 'upstream-index') {
      if (r.via !== 'tag' || r.tag !== undefined || r.subject !== r.digest)
        out.push(`${at}: an upstream index is via tag, without a tag, and its own subject`);
    } else if (r.via === 'tag') {
      const suffix = COSIGN_SUFFIXES.find((c) => c.role === r.role)?.suffix;
      const want = suffix ? `${referrersTag(r.subject as Digest)}.${suffix}` : undefined;
      if (r.tag !== want)
        out.push(`${at}.tag: ${r.tag ?? '(none)'} is not the cosign tag of a ${r.role} of ${r.subject}${want ? ` (${want})` : ''}`);
    } else if (r.tag !== undefined) out.push(`${at}.tag: a referrer found by the referrers API has no tag`);
    const name = referrerRefName(r);
    if (seen.has(name)) out.push(`${at}: ${name} is listed twice`);
    seen.add(name);
  });
  return out;
}

/** The referrer kind's schema facet (kinds/kind.ts). */
export const referrerSchema = {
  lockedSchema: lockedReferrer,
  entrySchema: referrersEntrySchema,
  normalise: (raw: unknown, _ctx: NormaliseContext) => normaliseReferrers(raw),
  differences: referrerDifferences,
  lockProblems: referrerLockProblems,
  lockOrder: (locked: LockedReferrer[]) => [...locked].sort((a, b) => (referrerOrderKey(a) < referrerOrderKey(b) ? -1 : 1)),
  gateLocked: gateReferrers,
} as const satisfies SchemaFacet<LockedReferrer, ReferrerMode>;
