import { z } from 'zod';

/**
 * The manifest's shape (docs/manifest.md). Objects are strict: an unknown key is an error, so a typo such as
 * `checksum:` cannot silently drop a pin. Meaning (references, platforms, file names, duplicates) is checked
 * after this, in load.ts, where every problem still gets a position.
 */
const unionMessage = (message: string): z.ZodErrorMap => (issue, ctx) => ({ message: issue.code === 'invalid_union' ? message : ctx.defaultError });

export const platformsSchema = z.union([z.string(), z.array(z.string()).min(1)], {
  errorMap: unionMessage('expected the word all or a list of platforms such as [linux/amd64]'),
});

/** Why a URL string is unacceptable, or undefined. */
export function httpUrlProblem(value: string): string | undefined {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return `"${value}" is not a URL`;
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return `only http:// and https:// URLs are supported, not ${url.protocol}//`;
  // URLs are written to the lock and the bundle; a password in one would travel with them.
  if (url.username !== '' || url.password !== '') return 'URLs must not carry credentials (user:password@)';
  return undefined;
}

const httpUrl = z.string().superRefine((v, ctx) => {
  const why = httpUrlProblem(v);
  if (why) ctx.addIssue({ code: z.ZodIssueCode.custom, message: why });
});

const sha256Hex = z.string().regex(/^[0-9a-fA-F]{64}$/, 'expected 64 hex digits (a sha256)');

const imageObject = z.object({ ref: z.string(), platforms: platformsSchema.optional() }).strict();

const fileEntry = z
  .object({
    url: httpUrl,
    sha256: sha256Hex.optional(),
    checksums: httpUrl.optional(),
    name: z.string().optional(),
  })
  .strict()
  .refine((f) => (f.sha256 === undefined) !== (f.checksums === undefined), {
    message: 'give exactly one of sha256 (an inline pin) or checksums (the URL of a checksum list)',
  });

/** An exact RKE2 release tag (rancher/rke2 scripts/version.sh): `v1.30.4+rke2r1`. Channels are not accepted: a bundle pins. */
export const RKE2_VERSION_RE = /^v\d+\.\d+\.\d+(-[0-9A-Za-z.]+)?\+rke2r\d+$/;

const rke2Entry = z
  .object({
    version: z.string().regex(RKE2_VERSION_RE, 'expected an exact RKE2 release tag such as v1.30.4+rke2r1'),
    arch: z.enum(['amd64', 'arm64', 's390x']).optional(),
    imageSets: z.array(z.string().regex(/^[a-z0-9][a-z0-9-]*$/, 'expected an image set name such as core or calico')).min(1).optional(),
    installScript: z.boolean().optional(),
    pushImages: z.boolean().optional(),
    releaseUrl: httpUrl.optional(),
    installScriptUrl: httpUrl.optional(),
  })
  .strict();

/** A chart repository: a classic one (https://…, serving index.yaml) or an OCI registry path (oci://host/path). */
export function chartRepoProblem(value: string): string | undefined {
  if (value.startsWith('oci://')) return /^oci:\/\/[a-z0-9.-]+(:\d+)?(\/[a-z0-9._/-]+)?$/.test(value) ? undefined : `"${value}" is not an oci://host/path reference`;
  return httpUrlProblem(value);
}

const chartEntry = z
  .object({
    repo: z.string().superRefine((v, ctx) => {
      const why = chartRepoProblem(v);
      if (why) ctx.addIssue({ code: z.ZodIssueCode.custom, message: why });
    }),
    name: z.string().regex(/^[a-z0-9]([a-z0-9._-]*[a-z0-9])?$/, 'expected a chart name (lower-case letters, digits, ., _ and -)'),
    version: z.union([z.string().min(1), z.number()], { errorMap: unionMessage('expected a chart version or a semver range such as ^61.0.0') }),
    images: z.boolean().optional(),
    values: z.array(z.string().min(1)).optional(),
    extraImages: z.array(z.string()).optional(),
    excludeImages: z.array(z.string().min(1)).optional(),
  })
  .strict();

const aptName = z.string().regex(/^[a-z0-9][a-z0-9.+~_-]*$/, 'expected a suite, component or architecture name');
const aptSource = z
  .object({
    url: httpUrl,
    suites: z.array(aptName).min(1),
    components: z.array(aptName).min(1),
    architectures: z.array(aptName).min(1).optional(),
    keyring: z.string().min(1),
    packages: z.array(z.string().min(1)).min(1),
    dependencies: z.boolean().optional(),
    recommends: z.boolean().optional(),
    installed: z.string().min(1).optional(),
  })
  .strict();

/** spec.ferry: `true` (the single executable running the pull) or `{ path }` (relative to the manifest). */
const ferryEntry = z.union([z.literal(true), z.object({ path: z.string().min(1) }).strict()], {
  errorMap: unionMessage('expected true (the ferry executable running the pull) or a mapping with path: (a ferry-<version>-linux-<arch> file, relative to the manifest)'),
});

export const manifestSchema = z
  .object({
    apiVersion: z.literal('ferry.dev/v1alpha1'),
    kind: z.literal('Bundle'),
    metadata: z
      .object({
        name: z.string().regex(/^[a-z0-9]([a-z0-9-]*[a-z0-9])?$/, 'expected lower-case letters, digits and -, starting and ending with a letter or digit'),
      })
      .strict(),
    spec: z
      .object({
        platforms: platformsSchema.optional(),
        images: z
          .array(z.union([z.string(), imageObject], { errorMap: unionMessage('expected an image reference, or a mapping with ref: and optional platforms:') }))
          .optional(),
        files: z.array(fileEntry).optional(),
        rke2: rke2Entry.optional(),
        charts: z.array(chartEntry).optional(),
        apt: z.array(aptSource).optional(),
        ferry: ferryEntry.optional(),
      })
      .strict(),
  })
  .strict();

export type RawManifest = z.infer<typeof manifestSchema>;
