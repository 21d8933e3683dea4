import { z } from 'zod';
import { byKey } from '../../lock/canonical-json.js';
import { fileFields } from '../../lock/fields.js';
import { httpUrl, isRecord, isString } from '../../manifest/fields.js';
import type { SchemaFacet } from '../facets/schema.js';
import { lockedFilesProblems } from '../../lock/file-problems.js';
import { gateRke2 } from './gate-lock.js';
import { rke2Differences } from './match-rke2.js';

/** What an RKE2 release file is for (docs/rke2.md). */
const rke2Role = z.enum(['checksums', 'binary', 'images', 'image-list', 'install-script']);
export type Rke2Role = z.infer<typeof rke2Role>;

const lockedRke2File = z
  .object({
    ...fileFields,
    role: rke2Role,
    /** Image set of an `images` or `image-list` file; absent for the all-in-one `rke2-images.linux-<arch>` files. */
    imageSet: z.string().optional(),
    /** For an `images` tarball: the images its `.txt` list names, fully qualified and sorted. */
    images: z.array(z.string()).optional(),
  })
  .strict();
export type LockedRke2File = z.infer<typeof lockedRke2File>;

/** spec.rke2, resolved: every release file with the sha256 that `sha256sum-<arch>.txt` gives for it. */
export const lockedRke2 = z
  .object({
    version: z.string(),
    arch: z.string(),
    imageSets: z.array(z.string()).optional(),
    installScript: z.boolean(),
    pushImages: z.boolean(),
    releaseUrl: z.string(),
    installScriptUrl: z.string(),
    files: z.array(lockedRke2File),
  })
  .strict();
export type LockedRke2 = z.infer<typeof lockedRke2>;

/** An exact RKE2 release tag (rancher/rke2 scripts/version.sh): `v1.30.4+rke2r1`. Channels are not accepted: a bundle pins. */
export const RKE2_VERSION_RE = /^v\d+\.\d+\.\d+(-[0-9A-Za-z.]+)?\+rke2r\d+$/;

/** spec.rke2 as written. */
export const rke2EntrySchema = z
  .object({
    version: z.string().regex(RKE2_VERSION_RE, 'expected an exact RKE2 release tag such as v1.30.4+rke2r1'),
    arch: z.enum(['amd64', 'arm64', 's390x']).optional(),
    imageSets: z
      .array(z.string().regex(/^[a-z0-9][a-z0-9-]*$/, 'expected an image set name such as core or calico'))
      .min(1)
      .optional(),
    installScript: z.boolean().optional(),
    pushImages: z.boolean().optional(),
    releaseUrl: httpUrl.optional(),
    installScriptUrl: httpUrl.optional(),
  })
  .strict();

/** spec.rke2 with defaults applied (docs/rke2.md). */
export interface Rke2Entry {
  version: string;
  arch: string;
  /** Per-set tarballs to carry; undefined = the all-in-one `rke2-images.linux-<arch>` tarball. */
  imageSets?: string[];
  installScript: boolean;
  pushImages: boolean;
  /** Base of the release downloads, without the version. */
  releaseUrl: string;
  installScriptUrl: string;
}

export const RKE2_RELEASE_URL = 'https://github.com/rancher/rke2/releases/download';
export const RKE2_INSTALL_SCRIPT_URL = 'https://get.rke2.io';

/** Defaults for spec.rke2 (the schema has already reported what is wrong with it). */
function normaliseRke2(raw: unknown): Rke2Entry[] {
  if (!isRecord(raw) || !isString(raw.version)) return [];
  const sets = Array.isArray(raw.imageSets) && raw.imageSets.every(isString) ? [...new Set(raw.imageSets)] : undefined;
  return [
    {
      version: raw.version,
      arch: isString(raw.arch) ? raw.arch : 'amd64',
      ...(sets ? { imageSets: sets } : {}),
      installScript: raw.installScript !== false,
      pushImages: raw.pushImages !== false,
      releaseUrl: (isString(raw.releaseUrl) ? raw.releaseUrl : RKE2_RELEASE_URL).replace(/\/+$/, ''),
      installScriptUrl: isString(raw.installScriptUrl) ? raw.installScriptUrl : RKE2_INSTALL_SCRIPT_URL,
    },
  ];
}

/** The rke2 kind's schema facet (kinds/kind.ts). */
export const rke2Schema = {
  lockedSchema: lockedRke2,
  entrySchema: rke2EntrySchema,
  normalise: normaliseRke2,
  differences: (locked: LockedRke2[], wanted: Rke2Entry[]) => rke2Differences(locked[0], wanted[0]),
  lockProblems: (locked: LockedRke2[]) => locked.flatMap((r) => lockedFilesProblems(r.files, 'rke2.files')),
  lockOrder: (locked: LockedRke2[]) => locked.map((r) => ({ ...r, files: [...r.files].sort(byKey((f) => f.name)) })),
  gateLocked: gateRke2,
} as const satisfies SchemaFacet<LockedRke2, Rke2Entry>;
