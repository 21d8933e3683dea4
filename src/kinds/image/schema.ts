import { z } from 'zod';
import { formatReference, parseReference } from '../../core/reference.js';
import { byKey } from '../../lock/canonical-json.js';
import { digest, size } from '../../lock/fields.js';
import { isRecord, isString, list, platformsSchema, unionMessage, type PlatformSpec } from '../../manifest/fields.js';
import { normalisePlatform, platformsAt } from '../../manifest/platform.js';
import type { KeyPath } from '../../manifest/yaml-source.js';
import type { MatchContext, NormaliseContext, SchemaFacet } from '../facets/schema.js';
import { gateImages } from './gate-lock.js';

const lockedPlatforms = z.union([z.literal('all'), z.array(z.string()).min(1)], {
  errorMap: (issue, ctx) => ({ message: issue.code === 'invalid_union' ? 'expected "all" or a list of platforms' : ctx.defaultError }),
});

/** lock.images entry. */
export const lockedImage = z
  .object({
    /** The manifest entry, normalised: `docker.io/velero/velero:v1.9.1` or `…@sha256:…`. */
    ref: z.string(),
    /** Effective platform request of the entry. */
    platforms: lockedPlatforms,
    /** What the bundle stores and tags for this ref (sha256:…). */
    digest,
    mediaType: z.string().min(1),
    size,
    /** What the ref resolved to upstream (an index or a manifest). */
    upstreamDigest: digest,
    upstreamMediaType: z.string().min(1),
    /** Platforms the upstream index offers (informational). */
    upstreamPlatforms: z.array(z.string()).optional(),
  })
  .strict();

export type LockedImage = z.infer<typeof lockedImage>;

/** spec.images item: a reference, or a mapping with its own platforms. */
export const imageEntrySchema = z.union([z.string(), z.object({ ref: z.string(), platforms: platformsSchema.optional() }).strict()], {
  errorMap: unionMessage('expected an image reference, or a mapping with ref: and optional platforms:'),
});

export interface ImageEntry {
  /** Full normalised reference (formatReference): `docker.io/library/busybox:1.36`. */
  ref: string;
  /** Effective platforms: the entry's override, else the manifest's. */
  platforms: PlatformSpec;
}

function normaliseImages(raw: unknown, { at: key, platforms, problems }: NormaliseContext): ImageEntry[] {
  const out: ImageEntry[] = [];
  const seen = new Map<string, number>();
  list(raw).forEach((item, i) => {
    const input = isString(item) ? item : isRecord(item) && isString(item.ref) ? item.ref : undefined;
    if (input === undefined) return;
    const at: KeyPath = isString(item) ? [...key, i] : [...key, i, 'ref'];
    const own = isRecord(item) ? platformsAt(item.platforms, [...key, i, 'platforms'], problems) : undefined;
    let ref: string;
    try {
      ref = formatReference(parseReference(input));
    } catch (err) {
      problems.push({ path: at, message: (err as Error).message });
      return;
    }
    const first = seen.get(ref);
    if (first !== undefined) {
      problems.push({ path: at, message: `duplicate image ${ref} (same as spec.images.${first} after normalisation)` });
      return;
    }
    seen.set(ref, i);
    out.push({ ref, platforms: own ?? platforms });
  });
  return out;
}

/** Platform requests compare as sets: the fetcher keeps upstream order whatever order they are written in. */
const platformsText = (p: PlatformSpec): string => (p === 'all' ? 'all' : [...p].sort().join(','));

/** The same images with the same platform requests; images another kind brought in (a chart's) are wanted too. */
function imageDifferences(locked: LockedImage[], wanted: ImageEntry[], ctx: MatchContext): string[] {
  const out: string[] = [];
  const lockedImages = new Map(locked.map((i) => [i.ref, i]));
  for (const img of wanted) {
    const l = lockedImages.get(img.ref);
    if (!l) out.push(`image ${img.ref} [${platformsText(img.platforms)}]: in the manifest, not in the lock`);
    else if (platformsText(l.platforms) !== platformsText(img.platforms)) {
      out.push(
        `image ${img.ref}: platforms changed: the manifest asks for [${platformsText(img.platforms)}], the lock has [${platformsText(l.platforms)}]`,
      );
    }
  }
  const wantedRefs = new Set([...wanted.map((i) => i.ref), ...ctx.broughtImages]);
  for (const l of [...locked].sort(byKey((i) => i.ref))) {
    if (!wantedRefs.has(l.ref)) out.push(`image ${l.ref} [${platformsText(l.platforms)}]: in the lock, not in the manifest`);
  }
  return out;
}

/**
 * References are in normalised form, a digest-pinned reference resolved to that digest, platforms are normalised,
 * and no reference is listed twice.
 */
function imageLockProblems(locked: LockedImage[]): string[] {
  const out: string[] = [];
  const refs = new Set<string>();
  locked.forEach((img, i) => {
    const at = `images.${i}`;
    try {
      const ref = parseReference(img.ref);
      const normal = formatReference(ref);
      if (normal !== img.ref) out.push(`${at}.ref: "${img.ref}" is not in normalised form (${normal})`);
      if (ref.digest !== undefined && ref.digest !== img.upstreamDigest) {
        out.push(`${at}.upstreamDigest: the reference pins ${ref.digest} but the lock says it resolved to ${img.upstreamDigest}`);
      }
    } catch (err) {
      out.push(`${at}.ref: ${(err as Error).message}`);
    }
    if (refs.has(img.ref)) out.push(`${at}.ref: ${img.ref} is listed twice`);
    refs.add(img.ref);
    if (img.platforms !== 'all') {
      img.platforms.forEach((p, n) => {
        const norm = normalisePlatform(p);
        if ('error' in norm) out.push(`${at}.platforms.${n}: ${norm.error}`);
        else if (norm.platform !== p) out.push(`${at}.platforms.${n}: "${p}" is not in normalised form (${norm.platform})`);
      });
    }
  });
  return out;
}

/** The image kind's schema facet (kinds/kind.ts). */
export const imageSchema = {
  lockedSchema: lockedImage,
  entrySchema: imageEntrySchema,
  always: true,
  normalise: normaliseImages,
  differences: imageDifferences,
  lockProblems: imageLockProblems,
  withPlatforms: (wanted: ImageEntry[], platforms: PlatformSpec) => wanted.map((i) => ({ ...i, platforms })),
  lockOrder: (locked: LockedImage[]) => [...locked].sort(byKey((i) => i.ref)),
  gateLocked: gateImages,
} as const satisfies SchemaFacet<LockedImage, ImageEntry>;
