import { z } from 'zod';

/**
 * The manifest's shape. Strict objects: an unknown key is an error (a typo such as `checksum:` must not silently
 * drop a pin). Semantic checks (references, duplicates) run after this, in validate.ts.
 */
const platform = z.string().regex(/^[a-z0-9_.-]+\/[a-z0-9_.-]+(\/[a-z0-9_.-]+)?$/, 'expected os/arch[/variant], e.g. linux/amd64');
export const platformsSchema = z.union([z.literal('all'), z.array(z.union([z.literal('all'), platform])).min(1, 'list at least one platform')]);

const sha256Hex = z.string().regex(/^[0-9a-fA-F]{64}$/, 'expected 64 hex digits');
const httpUrl = z
  .string()
  .url('expected a URL')
  .refine((u) => /^https?:\/\//.test(u), 'only http:// and https:// URLs are supported');

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
    message: 'give exactly one of sha256 (an inline pin) or checksums (a checksum list URL)',
  });

const notYet = (what: string) =>
  z.unknown().superRefine((_v, ctx) => ctx.addIssue({ code: z.ZodIssueCode.custom, message: `${what} are not supported yet by this version of ferry` }));

export const manifestSchema = z
  .object({
    apiVersion: z.literal('ferry.dev/v1alpha1'),
    kind: z.literal('Bundle'),
    metadata: z.object({ name: z.string().regex(/^[a-z0-9]([a-z0-9-]*[a-z0-9])?$/, 'expected lower-case letters, digits and -') }).strict(),
    spec: z
      .object({
        platforms: platformsSchema.optional(),
        images: z.array(z.union([z.string(), imageObject])).optional(),
        files: z.array(fileEntry).optional(),
        rke2: notYet('RKE2 releases (spec.rke2)').optional(),
        charts: notYet('Helm charts (spec.charts)').optional(),
        apt: notYet('apt packages (spec.apt)').optional(),
      })
      .strict(),
  })
  .strict();

export type RawManifest = z.infer<typeof manifestSchema>;
