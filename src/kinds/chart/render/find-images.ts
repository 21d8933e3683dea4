import { FerryError } from '../../../core/errors.js';
import type { Chart } from '../chart-archive.js';
import { type DiscoveredImage, type UnresolvedImage, type UserValues, discoverImages } from '../discover-images.js';
import type { ChartDiscovery, ChartEntry } from '../schema.js';
import { type Helm, helmTemplate } from './helm-template.js';
import { RenderedYamlError, renderedImages } from './rendered-images.js';

/** How a run finds charts' images: the Helm to render with, and the Kubernetes version each chart is rendered for. */
export interface ImageFinding {
  /** The run's Helm (found once), or undefined: none, so static discovery. */
  helm(): Promise<Helm | undefined>;
  /** `--kube-version` for this entry; undefined: Helm's default. */
  kubeVersion(entry: ChartEntry): string | undefined;
  signal?: AbortSignal | undefined;
}

/** A run that never renders (static discovery only). */
export const staticOnly: ImageFinding = { helm: async () => undefined, kubeVersion: () => undefined };

export interface FoundImages {
  images: DiscoveredImage[];
  discovery: ChartDiscovery;
  /** Static discovery only: images it could not complete. */
  unresolved?: UnresolvedImage[];
}

/**
 * The chart's images, rendered by Helm when the run has one and the entry does not say `render: false`, else read
 * statically (discover-images.ts). `entry.values` are the user's values files (in manifest order) and `userValues`
 * the same read, for static discovery.
 */
export async function findChartImages(
  chart: Chart,
  got: { version: string; tgz: Buffer },
  entry: ChartEntry,
  userValues: UserValues[],
  how: ImageFinding,
): Promise<FoundImages> {
  const kubeVersion = how.kubeVersion(entry);
  const statically = (why: 'render: false' | 'no helm'): FoundImages => {
    const { images, unresolved } = discoverImages(chart, userValues, { kubeVersion });
    return { images, unresolved, discovery: { method: 'static', why } };
  };
  if (!entry.render) return statically('render: false');
  const helm = await how.helm();
  if (!helm) return statically('no helm');
  const output = await helmTemplate(helm, {
    name: entry.name,
    version: got.version,
    tgz: got.tgz,
    values: entry.values.map((v) => v.file),
    kubeVersion,
    signal: how.signal,
  });
  let images: DiscoveredImage[];
  try {
    images = renderedImages(output);
  } catch (err) {
    if (!(err instanceof RenderedYamlError)) throw err;
    throw new FerryError(
      'CHART_RENDER_FAILED',
      `chart ${entry.name} ${got.version}: what helm template (Helm ${helm.version}) printed is not YAML: ${err.message}`,
      { chart: entry.name, version: got.version },
    );
  }
  return { images, discovery: { method: 'rendered', helm: helm.version, ...(kubeVersion ? { kubeVersion } : {}) } };
}

/** ` rendered by Helm v4.1.4 for Kubernetes v1.31.4`, ` found statically (no helm)`. */
export function howFound(c: { discovery?: ChartDiscovery | undefined }): string {
  const d = c.discovery;
  if (!d) return '';
  if (d.method === 'static') return ` found statically (${d.why})`;
  return ` rendered by Helm ${d.helm} for ${d.kubeVersion ? `Kubernetes ${d.kubeVersion}` : "Helm's default Kubernetes version"}`;
}
