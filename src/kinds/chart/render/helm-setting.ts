import { dirname, resolve as resolvePath } from 'node:path';
import { z } from 'zod';
import { isRecord, isString } from '../../../manifest/fields.js';

/**
 * A Kubernetes version as `helm template --kube-version` takes it: `1.31`, `v1.31.4`. A string: unquoted, YAML reads
 * `1.30` as the number 1.3.
 */
export const kubeVersionSchema = z
  .string()
  .regex(/^v?\d+\.\d+(\.\d+)?(-[0-9A-Za-z.-]+)?$/, 'expected a Kubernetes version such as "1.31" or "v1.31.4"');

/** spec.helm as written (docs/charts.md "Rendering"). */
export const helmSettingSchema = z
  .object({
    /** The Helm binary to render charts with, relative to the manifest. */
    path: z.string().min(1).optional(),
    /** `--kube-version` for every chart, when spec.rke2 does not say. */
    kubeVersion: kubeVersionSchema.optional(),
  })
  .strict();

/** spec.helm with its path made absolute. */
export interface HelmSetting {
  path?: string;
  kubeVersion?: string;
}

/** spec.helm normalised (the schema has already reported what is wrong with its shape); undefined when absent. */
export function normaliseHelmSetting(raw: unknown, manifestPath: string): HelmSetting | undefined {
  if (!isRecord(raw)) return undefined;
  return {
    ...(isString(raw.path) && raw.path !== '' ? { path: resolvePath(dirname(manifestPath), raw.path) } : {}),
    ...(isString(raw.kubeVersion) ? { kubeVersion: raw.kubeVersion } : {}),
  };
}

/**
 * The Kubernetes version a chart is rendered for: the bundle's RKE2 release when there is one (`v1.31.4+rke2r1` is
 * Kubernetes `v1.31.4`), else the chart entry's kubeVersion, else spec.helm's; undefined: Helm's default.
 */
export function kubeVersionFor(
  manifest: { rke2?: { version: string } | undefined; helm?: HelmSetting | undefined },
  entry: { kubeVersion?: string | undefined },
): string | undefined {
  if (manifest.rke2) return manifest.rke2.version.replace(/\+.*$/, '');
  return entry.kubeVersion ?? manifest.helm?.kubeVersion;
}
