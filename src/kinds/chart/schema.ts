import { dirname, relative, resolve as resolvePath, sep } from 'node:path';
import { z } from 'zod';
import { byKey } from '../../lock/canonical-json.js';
import { formatReference, parseReference } from '../../core/reference.js';
import { comparableUrl } from '../../core/url-form.js';
import { digest, hex64, size } from '../../lock/fields.js';
import { httpUrlProblem, isRecord, isString, list, unionMessage } from '../../manifest/fields.js';
import type { NormaliseContext, SchemaFacet } from '../facets/schema.js';
import { gateCharts } from './gate-lock.js';
import { chartDifferences } from './match-charts.js';
import { kubeVersionSchema } from './render/helm-setting.js';

/** Who vouched for a chart's `.tgz`: the classic repository's index.yaml digest, or an OCI registry manifest. */
const chartVouchedBy = z.discriminatedUnion('kind', [
  z
    .object({
      kind: z.literal('index'),
      indexUrl: z.string(),
      /** hex sha256 of index.yaml as downloaded */
      indexSha256: hex64,
      url: z.string(),
    })
    .strict(),
  z.object({ kind: z.literal('oci'), ref: z.string(), manifestDigest: digest }).strict(),
]);
export type ChartVouchedBy = z.infer<typeof chartVouchedBy>;

/** An image a chart uses, with where discovery found it (or `extraImages`). */
const chartImage = z.object({ ref: z.string(), sources: z.array(z.string()) }).strict();
export type ChartImage = z.infer<typeof chartImage>;

/**
 * How a chart's images were found (docs/charts.md "Rendering"): rendered by `helm template` (Helm's version as it
 * says it, and the `--kube-version` given; none: Helm's default), or read statically, and why.
 */
const chartDiscovery = z.discriminatedUnion('method', [
  z.object({ method: z.literal('rendered'), helm: z.string(), kubeVersion: z.string().optional() }).strict(),
  z.object({ method: z.literal('static'), why: z.enum(['render: false', 'no helm']) }).strict(),
]);
export type ChartDiscovery = z.infer<typeof chartDiscovery>;

/**
 * The chart's Helm provenance file (docs/charts.md "Provenance"): its own sha256 and size, and whether its
 * signature was checked: `verified` against the manifest's keyring (path relative to the manifest) by `signer`
 * (fingerprint), or `not checked` (no keyring; the archive's sha256 listed in it still was).
 */
const chartProvenance = z.discriminatedUnion('signature', [
  z.object({ sha256: hex64, size, signature: z.literal('verified'), signer: z.string(), keyring: z.string() }).strict(),
  z.object({ sha256: hex64, size, signature: z.literal('not checked') }).strict(),
]);
export type ChartProvenance = z.infer<typeof chartProvenance>;

/** spec.charts entry, resolved (docs/charts.md). */
export const lockedChart = z
  .object({
    repo: z.string(),
    name: z.string(),
    /** What the manifest asked for: an exact version or a range. */
    requested: z.string(),
    version: z.string(),
    /** hex sha256 of the .tgz */
    sha256: hex64,
    size,
    vouchedBy: chartVouchedBy,
    /** The manifest's images / extraImages / excludeImages, kept to tell when the manifest changed. */
    imagesEnabled: z.boolean(),
    extraImages: z.array(z.string()),
    excludeImages: z.array(z.string()),
    /** Values files given in the manifest (paths relative to it), with their sha256 when resolved. */
    values: z.array(z.object({ path: z.string(), sha256: hex64 }).strict()),
    images: z.array(chartImage),
    /** Absent in locks written before charts were rendered, and when images is false. */
    discovery: chartDiscovery.optional(),
    /**
     * Images static discovery saw a template write but could not complete (a tag from the cluster's Kubernetes
     * version, say), as far as known: flagged for the user (extraImages), never guessed. Absent when none.
     */
    unresolvedImages: z.array(z.object({ image: z.string(), why: z.string(), source: z.string() }).strict()).optional(),
    /** Absent when the repository serves no .prov for the chart (and the manifest gives no keyring). */
    provenance: chartProvenance.optional(),
  })
  .strict();
export type LockedChart = z.infer<typeof lockedChart>;

/** A chart repository: a classic one (https://…, serving index.yaml) or an OCI registry path (oci://host/path). */
export function chartRepoProblem(value: string): string | undefined {
  if (value.startsWith('oci://'))
    return /^oci:\/\/[a-z0-9.-]+(:\d+)?(\/[a-z0-9._/-]+)?$/.test(value) ? undefined : `"${value}" is not an oci://host/path reference`;
  return httpUrlProblem(value);
}

/** spec.charts item as written. */
export const chartEntrySchema = z
  .object({
    repo: z.string().superRefine((v, ctx) => {
      const why = chartRepoProblem(v);
      if (why) ctx.addIssue({ code: z.ZodIssueCode.custom, message: why });
    }),
    name: z.string().regex(/^[a-z0-9]([a-z0-9._-]*[a-z0-9])?$/, 'expected a chart name (lower-case letters, digits, ., _ and -)'),
    version: z.union([z.string().min(1), z.number()], {
      errorMap: unionMessage('expected a chart version or a semver range such as ^61.0.0'),
    }),
    images: z.boolean().optional(),
    values: z.array(z.string().min(1)).optional(),
    extraImages: z.array(z.string()).optional(),
    excludeImages: z.array(z.string().min(1)).optional(),
    render: z.boolean().optional(),
    kubeVersion: kubeVersionSchema.optional(),
    keyring: z.string().min(1).optional(),
  })
  .strict();

/** One spec.charts entry with defaults applied (docs/charts.md). */
export interface ChartEntry {
  /** `https://…` (classic repository) or `oci://host/path`. */
  repo: string;
  name: string;
  /** An exact version or a semver range. */
  version: string;
  /** Add the images the chart uses to the bundle (default true). */
  images: boolean;
  /**
   * Values files: `file` absolute, `path` as the lock records it, relative to the manifest's directory (so a lock
   * means the same on another machine or in another checkout).
   */
  values: { path: string; file: string }[];
  /** Normalised references added to what discovery finds. */
  extraImages: string[];
  /** Patterns of images to drop: a reference or prefix, `*` matching any run of characters. */
  excludeImages: string[];
  /** Render with Helm when there is one (default true); false: static discovery. */
  render: boolean;
  /** `--kube-version` for this chart when spec.rke2 does not say (over spec.helm.kubeVersion). */
  kubeVersion?: string;
  /** Keyring the chart's .prov must be signed by (docs/charts.md "Provenance"): paths as for `values`. */
  keyring?: { path: string; file: string };
}

/** A file the manifest names: absolute, and relative to the manifest's directory as the lock records it. */
function besideManifest(manifestPath: string, given: string): { path: string; file: string } {
  const file = resolvePath(dirname(manifestPath), given);
  return {
    path: relative(dirname(resolvePath(manifestPath)), file)
      .split(sep)
      .join('/'),
    file,
  };
}

function normaliseCharts(raw: unknown, { at: key, manifestPath, problems }: NormaliseContext): ChartEntry[] {
  const out: ChartEntry[] = [];
  const seen = new Map<string, number>();
  list(raw).forEach((c, i) => {
    if (!isRecord(c) || !isString(c.repo) || !isString(c.name) || (!isString(c.version) && typeof c.version !== 'number')) return;
    // The same repository written two ways (`HTTPS://Charts.Example`, `https://charts.example/`) is one repository.
    const dup = `${comparableUrl(c.repo.replace(/\/+$/, ''))} ${c.name}`;
    const first = seen.get(dup);
    if (first !== undefined) {
      problems.push({ path: [...key, i, 'name'], message: `chart ${c.name} from ${c.repo} is listed twice (also spec.charts.${first})` });
      return;
    }
    seen.set(dup, i);
    const refs = (field: 'extraImages', v: unknown): string[] =>
      list(v).flatMap((r, n) => {
        if (!isString(r)) return [];
        try {
          return [formatReference(parseReference(r))];
        } catch (err) {
          problems.push({ path: [...key, i, field, n], message: (err as Error).message });
          return [];
        }
      });
    out.push({
      repo: c.repo.replace(/\/+$/, ''),
      name: c.name,
      version: String(c.version),
      images: c.images !== false,
      values: list(c.values)
        .filter(isString)
        .map((v) => besideManifest(manifestPath, v)),
      extraImages: refs('extraImages', c.extraImages),
      excludeImages: list(c.excludeImages).filter(isString),
      render: c.render !== false,
      ...(isString(c.kubeVersion) ? { kubeVersion: c.kubeVersion } : {}),
      ...(isString(c.keyring) ? { keyring: besideManifest(manifestPath, c.keyring) } : {}),
    });
  });
  return out;
}

/** The chart kind's schema facet (kinds/kind.ts). */
export const chartSchema = {
  lockedSchema: lockedChart,
  entrySchema: chartEntrySchema,
  normalise: normaliseCharts,
  differences: chartDifferences,
  // The images a chart's lock entry lists are in lock.images because of it: the manifest wants them too.
  broughtImages: (locked: LockedChart[]) => locked.flatMap((c) => c.images.map((i) => i.ref)),
  lockProblems: () => [],
  lockOrder: (locked: LockedChart[]) => [...locked].sort(byKey((c) => `${c.repo} ${c.name}`)),
  gateLocked: gateCharts,
} as const satisfies SchemaFacet<LockedChart, ChartEntry>;
