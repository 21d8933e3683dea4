import { z } from 'zod';
import { hex64, size } from '../../lock/fields.js';
import { httpUrl } from '../../manifest/fields.js';
import type { SchemaFacet } from '../facets/schema.js';
import { gateApt } from './gate-lock.js';
import { aptDifferences } from './match-apt.js';
import { normaliseApt } from './normalise-apt.js';

/** A signed Release of one suite, and the Packages indexes taken from it. */
const lockedRelease = z
  .object({
    suite: z.string(),
    /** `InRelease`, or `Release` (with `Release.gpg`). */
    file: z.enum(['InRelease', 'Release']),
    url: z.string(),
    /** hex sha256 of the file as downloaded (InRelease, or Release). */
    sha256: hex64,
    /** Fingerprints of the keyring keys with a valid signature. */
    signedBy: z.array(z.string()),
    validUntil: z.string().optional(),
    /** Packages indexes used, as the signed Release lists them (path relative to dists/<suite>/). */
    indexes: z.array(z.object({ path: z.string(), url: z.string(), sha256: hex64, size }).strict()),
  })
  .strict();
export type LockedRelease = z.infer<typeof lockedRelease>;

/** One .deb of the closure, vouched for by the Packages index of a signed Release. */
const lockedDeb = z
  .object({
    name: z.string(),
    version: z.string(),
    architecture: z.string(),
    url: z.string(),
    /** File name in the bundle and the staged pool (the Filename's last segment). */
    file: z.string(),
    sha256: hex64,
    size,
    suite: z.string(),
    /** The Packages index (path relative to dists/<suite>/) whose stanza gave the sha256. */
    index: z.string(),
  })
  .strict();
export type LockedDeb = z.infer<typeof lockedDeb>;

/**
 * spec.apt source, resolved (docs/apt.md): one per entry, in manifest order. The entries make one package universe:
 * each deb is under the entry whose Packages index listed it (an entry may have none), and `dependencies`,
 * `recommends`, `installed` and `conflicts` are the universe's, the same on every entry.
 */
export const lockedAptSource = z
  .object({
    url: z.string(),
    suites: z.array(z.string()),
    components: z.array(z.string()),
    architectures: z.array(z.string()),
    packages: z.array(z.string()),
    dependencies: z.boolean(),
    recommends: z.boolean(),
    keyring: z.object({ path: z.string(), sha256: hex64, fingerprints: z.array(z.string()) }).strict(),
    installed: z.object({ path: z.string(), sha256: hex64 }).strict().optional(),
    releases: z.array(lockedRelease),
    debs: z.array(lockedDeb),
    /** Conflicts/Breaks found in the chosen set (apt would refuse or remove). */
    conflicts: z.array(z.string()),
  })
  .strict();
export type LockedAptSource = z.infer<typeof lockedAptSource>;

const aptName = z.string().regex(/^[a-z0-9][a-z0-9.+~_-]*$/, 'expected a suite, component or architecture name');

/** spec.apt item as written. */
export const aptEntrySchema = z
  .object({
    url: httpUrl,
    suites: z.array(aptName).min(1),
    components: z.array(aptName).min(1),
    architectures: z.array(aptName).min(1).optional(),
    keyring: z.string().min(1),
    /** May be empty or absent on an entry that only supplies candidates; the list as a whole names at least one. */
    packages: z.array(z.string().min(1)).optional(),
    dependencies: z.boolean().optional(),
    recommends: z.boolean().optional(),
    installed: z.string().min(1).optional(),
  })
  .strict();

/**
 * One spec.apt source with defaults applied (docs/apt.md, normalise-apt.ts). Paths are absolute. `dependencies`,
 * `recommends` and `installed` are universe-wide: every entry of a manifest carries the same values.
 */
export interface AptEntry {
  url: string;
  suites: string[];
  components: string[];
  architectures: string[];
  keyring: string;
  /** Relations as written: `nfs-common`, `jq (>= 1.6)`; possibly none on this entry. */
  packages: string[];
  dependencies: boolean;
  recommends: boolean;
  /** A node's dpkg status file: what it satisfies is left out. */
  installed?: string;
}

/** The apt kind's schema facet (kinds/kind.ts). */
export const aptSchema = {
  lockedSchema: lockedAptSource,
  entrySchema: aptEntrySchema,
  normalise: normaliseApt,
  differences: aptDifferences,
  lockProblems: () => [],
  gateLocked: gateApt,
} as const satisfies SchemaFacet<LockedAptSource, AptEntry>;
