import { dirname, resolve as resolvePath } from 'node:path';
import { z } from 'zod';
import { hex64, size } from '../../lock/fields.js';
import { isRecord, isString, unionMessage } from '../../manifest/fields.js';
import type { NormaliseContext, SchemaFacet } from '../facets/schema.js';
import { ferryLockProblems } from './ferry-lock.js';
import { gateFerry } from './gate-lock.js';

/**
 * lock.ferry, from spec.ferry or `pull --with-ferry`: ferry's own single executable (docs/install.md "Carried in the
 * bundle"), read from a local path at pull time. Only the path's basename is kept (`source`): the
 * lock travels to the enclave and must not carry a path of the machine that pulled.
 */
export const lockedFerry = z
  .object({
    /** The release name `ferry-<version>-linux-<arch>`: the executable's name in the bundle and when staged. */
    name: z.string(),
    version: z.string().min(1),
    /** Where the version was read: the SBOM's metadata.component.version, else the file name. Nothing is run. */
    versionFrom: z.enum(['sbom', 'file-name']),
    /** Basename of the local file it was read from. */
    source: z.string().min(1),
    /** hex */
    sha256: hex64,
    size,
    /** The release's SHA256SUMS beside it listed it (that list's sha256 and line), or nothing did. */
    vouchedBy: z.discriminatedUnion('kind', [
      z.object({ kind: z.literal('sha256sums'), sha256: hex64, line: z.number().int().positive() }).strict(),
      z.object({ kind: z.literal('local') }).strict(),
    ]),
    /** The CycloneDX SBOM `<name>.cdx.json` found beside it. */
    sbom: z.object({ name: z.string(), sha256: hex64, size }).strict().optional(),
  })
  .strict();

export type LockedFerry = z.infer<typeof lockedFerry>;

/** spec.ferry: `true` (the single executable running the pull) or `{ path }` (relative to the manifest). */
export const ferryEntrySchema = z.union([z.literal(true), z.object({ path: z.string().min(1) }).strict()], {
  errorMap: unionMessage(
    'expected true (the ferry executable running the pull) or a mapping with path: (a ferry-<version>-linux-<arch> file, relative to the manifest)',
  ),
});

/** spec.ferry (docs/manifest.md, docs/install.md "Carried in the bundle"): carry ferry's own executable. */
export interface FerryEntry {
  /** Absolute; absent for "the executable running this pull". */
  path?: string;
}

/** `path` made absolute; absent for "the executable running this pull". */
function normaliseFerry(raw: unknown, { manifestPath }: NormaliseContext): FerryEntry[] {
  if (raw === true) return [{}];
  if (isRecord(raw) && isString(raw.path)) return [{ path: resolvePath(dirname(manifestPath), raw.path) }];
  return [];
}

/** The ferry kind's schema facet (kinds/kind.ts). */
export const ferrySchema = {
  lockedSchema: lockedFerry,
  entrySchema: ferryEntrySchema,
  normalise: normaliseFerry,
  // The executable may also come from `pull --with-ferry`, not only the manifest: pull compares the lock with the
  // executable actually given, once it has read it (match-ferry.ts), so the manifest alone shows no difference.
  differences: () => [],
  lockProblems: (locked: LockedFerry[]) => locked.flatMap(ferryLockProblems),
  gateLocked: gateFerry,
} as const satisfies SchemaFacet<LockedFerry, FerryEntry>;
