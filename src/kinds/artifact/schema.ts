import { z } from 'zod';
import { formatReference, parseReference } from '../../core/reference.js';
import { byKey } from '../../lock/canonical-json.js';
import { digest, size } from '../../lock/fields.js';
import { isRecord, isString, list } from '../../manifest/fields.js';
import type { KeyPath } from '../../manifest/yaml-source.js';
import type { Check } from '../../validate/gate-check.js';
import { imageRefProblem } from '../../validate/gate-check.js';
import { mediaTypeProblem } from '../../validate/grammar.js';
import type { NormaliseContext, SchemaFacet } from '../facets/schema.js';

/** lock.artifacts entry: an OCI artifact, stored exactly at the digest its reference resolved to upstream. */
export const lockedArtifact = z
  .object({
    /** The manifest entry, normalised (formatReference): `registry.example/acme/thing:1.0` or `…@sha256:…`. */
    ref: z.string(),
    /** The upstream manifest or index, which the bundle stores whole. */
    digest,
    mediaType: z.string().min(1),
    size,
    /** What the artifact is (image-spec manifest.md `artifactType`, else its config's media type), when it says. */
    artifactType: z.string().min(1).optional(),
  })
  .strict();

export type LockedArtifact = z.infer<typeof lockedArtifact>;

const ENTRY_MESSAGE = 'expected an artifact reference, or a mapping with ref:';

/**
 * spec.artifacts item: a reference, or a mapping with ref:. An artifact is stored whole, at its upstream digest, so
 * it takes no platforms: (said as such, at the key, rather than as a failed union).
 */
export const artifactEntrySchema = z.union(
  [
    z.string(),
    z
      .object({ ref: z.string() })
      .passthrough()
      .superRefine((v, ctx) => {
        for (const key of Object.keys(v).filter((k) => k !== 'ref')) {
          const message =
            key === 'platforms'
              ? 'an artifact takes no platforms: it is stored whole, at its upstream digest'
              : `unknown key ${JSON.stringify(key)} (${ENTRY_MESSAGE})`;
          ctx.addIssue({ code: z.ZodIssueCode.custom, path: [key], message });
        }
      }),
  ],
  { errorMap: (issue, ctx) => ({ message: issue.code === 'invalid_union' ? ENTRY_MESSAGE : ctx.defaultError }) },
);

export interface ArtifactEntry {
  /** Full normalised reference (formatReference). */
  ref: string;
}

function normaliseArtifacts(raw: unknown, { at: key, problems }: NormaliseContext): ArtifactEntry[] {
  const out: ArtifactEntry[] = [];
  const seen = new Map<string, number>();
  list(raw).forEach((item, i) => {
    const input = isString(item) ? item : isRecord(item) && isString(item.ref) ? item.ref : undefined;
    if (input === undefined) return;
    const at: KeyPath = isString(item) ? [...key, i] : [...key, i, 'ref'];
    let ref: string;
    try {
      ref = formatReference(parseReference(input));
    } catch (err) {
      problems.push({ path: at, message: (err as Error).message });
      return;
    }
    const first = seen.get(ref);
    if (first !== undefined) {
      problems.push({ path: at, message: `duplicate artifact ${ref} (same as spec.artifacts.${first} after normalisation)` });
      return;
    }
    seen.set(ref, i);
    out.push({ ref });
  });
  return out;
}

/** The same references: added ones in manifest order, then the ones only the lock has. */
function artifactDifferences(locked: LockedArtifact[], wanted: ArtifactEntry[]): string[] {
  const lockedRefs = new Set(locked.map((a) => a.ref));
  const wantedRefs = new Set(wanted.map((a) => a.ref));
  return [
    ...wanted.filter((a) => !lockedRefs.has(a.ref)).map((a) => `artifact ${a.ref}: in the manifest, not in the lock`),
    ...[...locked]
      .sort(byKey((a) => a.ref))
      .filter((a) => !wantedRefs.has(a.ref))
      .map((a) => `artifact ${a.ref}: in the lock, not in the manifest`),
  ];
}

/** References in normalised form, a digest-pinned reference resolved to that digest, none listed twice. */
function artifactLockProblems(locked: LockedArtifact[]): string[] {
  const out: string[] = [];
  const refs = new Set<string>();
  locked.forEach((a, i) => {
    const at = `artifacts.${i}`;
    try {
      const ref = parseReference(a.ref);
      const normal = formatReference(ref);
      if (normal !== a.ref) out.push(`${at}.ref: "${a.ref}" is not in normalised form (${normal})`);
      if (ref.digest !== undefined && ref.digest !== a.digest)
        out.push(`${at}.digest: the reference pins ${ref.digest} but the lock says it resolved to ${a.digest}`);
    } catch (err) {
      out.push(`${at}.ref: ${(err as Error).message}`);
    }
    if (refs.has(a.ref)) out.push(`${at}.ref: ${a.ref} is listed twice`);
    refs.add(a.ref);
  });
  return out;
}

/** lock.artifacts values that push, serve or a report use, against their grammar (validate/gate-lock.ts). */
function gateArtifacts(locked: LockedArtifact[], check: Check): void {
  for (const a of locked) {
    const what = `artifact ${a.ref}`;
    check(what, 'ref', a.ref, imageRefProblem);
    check(what, 'mediaType', a.mediaType, mediaTypeProblem);
    if (a.artifactType !== undefined) check(what, 'artifactType', a.artifactType, mediaTypeProblem);
  }
}

/** The artifact kind's schema facet (kinds/kind.ts). */
export const artifactSchema = {
  lockedSchema: lockedArtifact,
  entrySchema: artifactEntrySchema,
  normalise: normaliseArtifacts,
  differences: artifactDifferences,
  lockProblems: artifactLockProblems,
  lockOrder: (locked: LockedArtifact[]) => [...locked].sort(byKey((a) => a.ref)),
  gateLocked: gateArtifacts,
} as const satisfies SchemaFacet<LockedArtifact, ArtifactEntry>;
