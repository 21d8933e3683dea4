import { z } from 'zod';

/** ferry.lock.json version 1, as read back (docs/manifest.md "The lock file"). Strict: unknown keys are errors. */
const hex64 = z.string().regex(/^[0-9a-f]{64}$/, 'expected 64 lower-case hex digits');
const digest = z.string().regex(/^sha256:[0-9a-f]{64}$/, 'expected sha256:<64 lower-case hex digits>');
const platforms = z.union([z.literal('all'), z.array(z.string()).min(1)], {
  errorMap: (issue, ctx) => ({ message: issue.code === 'invalid_union' ? 'expected "all" or a list of platforms' : ctx.defaultError }),
});
const size = z.number().int().nonnegative();

const lockedImage = z
  .object({
    ref: z.string(),
    platforms,
    digest,
    mediaType: z.string().min(1),
    size,
    upstreamDigest: digest,
    upstreamMediaType: z.string().min(1),
    upstreamPlatforms: z.array(z.string()).optional(),
  })
  .strict();

const vouchedBy = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('inline') }).strict(),
  z.object({ kind: z.literal('checksums'), url: z.string(), sha256: hex64, line: z.number().int().positive() }).strict(),
  z.object({ kind: z.literal('first-fetch') }).strict(),
]);

const fileFields = { name: z.string(), url: z.string(), sha256: hex64, size: size.optional(), vouchedBy };
const lockedFile = z.object(fileFields).strict();

const lockedRke2 = z
  .object({
    version: z.string(),
    arch: z.string(),
    imageSets: z.array(z.string()).optional(),
    installScript: z.boolean(),
    pushImages: z.boolean(),
    releaseUrl: z.string(),
    installScriptUrl: z.string(),
    files: z.array(
      z
        .object({
          ...fileFields,
          role: z.enum(['checksums', 'binary', 'images', 'image-list', 'install-script']),
          imageSet: z.string().optional(),
          images: z.array(z.string()).optional(),
        })
        .strict(),
    ),
  })
  .strict();

const lockedChart = z
  .object({
    repo: z.string(),
    name: z.string(),
    requested: z.string(),
    version: z.string(),
    sha256: hex64,
    size,
    vouchedBy: z.discriminatedUnion('kind', [
      z.object({ kind: z.literal('index'), indexUrl: z.string(), indexSha256: hex64, url: z.string() }).strict(),
      z.object({ kind: z.literal('oci'), ref: z.string(), manifestDigest: digest }).strict(),
    ]),
    imagesEnabled: z.boolean(),
    extraImages: z.array(z.string()),
    excludeImages: z.array(z.string()),
    values: z.array(z.object({ path: z.string(), sha256: hex64 }).strict()),
    images: z.array(z.object({ ref: z.string(), sources: z.array(z.string()) }).strict()),
  })
  .strict();

const lockedAptSource = z
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
    releases: z.array(
      z
        .object({
          suite: z.string(),
          file: z.enum(['InRelease', 'Release']),
          url: z.string(),
          sha256: hex64,
          signedBy: z.array(z.string()),
          validUntil: z.string().optional(),
          indexes: z.array(z.object({ path: z.string(), url: z.string(), sha256: hex64, size }).strict()),
        })
        .strict(),
    ),
    debs: z.array(
      z
        .object({ name: z.string(), version: z.string(), architecture: z.string(), url: z.string(), file: z.string(), sha256: hex64, size, suite: z.string(), index: z.string() })
        .strict(),
    ),
    conflicts: z.array(z.string()),
  })
  .strict();

const lockedFerry = z
  .object({
    name: z.string(),
    version: z.string().min(1),
    versionFrom: z.enum(['sbom', 'file-name']),
    source: z.string().min(1),
    sha256: hex64,
    size,
    vouchedBy: z.discriminatedUnion('kind', [
      z.object({ kind: z.literal('sha256sums'), sha256: hex64, line: z.number().int().positive() }).strict(),
      z.object({ kind: z.literal('local') }).strict(),
    ]),
    sbom: z.object({ name: z.string(), sha256: hex64, size }).strict().optional(),
  })
  .strict();

export const lockSchema = z
  .object({
    lockVersion: z.literal(1),
    bundle: z.object({ name: z.string().min(1) }).strict(),
    images: z.array(lockedImage),
    files: z.array(lockedFile),
    rke2: lockedRke2.optional(),
    charts: z.array(lockedChart).optional(),
    apt: z.array(lockedAptSource).optional(),
    ferry: lockedFerry.optional(),
  })
  .strict();
