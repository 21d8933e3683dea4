import { Annotation, type Descriptor } from '../../core/media-types.js';
import { chartRefName } from '../../bundle/format.js';
import type { LockedChart, ChartEntry } from './schema.js';
import type { IndexEntry, KindSource, SourceContext } from '../facets/source.js';
import { resolveChart } from './chart-fetcher.js';
import { fetchChart } from './fetch-chart.js';
import { provenanceLine } from './provenance-line.js';
import { helmOfRun } from './render/find-helm.js';
import { kubeVersionFor } from './render/helm-setting.js';
import { type ImageFinding, howFound } from './render/find-images.js';

/** The chart kind's connected side (kinds/facets/source.ts): loaded lazily, by pull only. */
export const source: KindSource<LockedChart, ChartEntry> = {
  // Before the images: a chart's images go through the normal image pull, counted with the manifest's own.
  stage: 'implying',
  describe: (entry) => ({ what: `chart ${entry.name}`, url: entry.repo }),
  async resolve(entry, ctx) {
    const { locked, tgz, prov } = await resolveChart(entry, ctx.http, ctx.client, imageFinding(ctx));
    // The archive was read to find its images; the fetch stores it instead of downloading it again.
    ctx.caches.chartArchives.set(locked.sha256, tgz);
    if (prov && locked.provenance) ctx.caches.chartArchives.set(provKey(locked.provenance.sha256), prov);
    // An image the manifest names itself keeps its own platforms (pull skips the ones it names).
    const implies = locked.images.map((img) => ({
      kind: 'image',
      entry: { ref: img.ref, platforms: ctx.manifest.platforms },
      origin: `chart ${locked.name} ${locked.version} (${img.sources.join('; ')})`,
      hint: 'fix it with extraImages or drop it with excludeImages',
    }));
    return { locked, implies };
  },
  tally: (locked) => ({
    charts: locked.map((c) => ({ name: c.name, version: c.version, images: c.images, provenance: provenanceLine(c) })),
  }),
  report: (c) => [
    `  resolved chart ${c.name} ${c.requested} → ${c.version} (sha256 ${c.sha256}), ${c.images.length} images${howFound(c)}:`,
    ...c.images.map((img) => `    ${img.ref}  ← ${img.sources.join('; ')}`),
    `    ${provenanceLine(c)}`,
    ...(c.unresolvedImages ?? []).map(
      (u) =>
        `    not resolved: ${u.image} (${u.why}) ← ${u.source}; add it to extraImages, or set kubeVersion (on the chart or in spec.helm)`,
    ),
  ],
  sizes: (c) => [{ digest: `sha256:${c.sha256}`, size: c.size }],
  async fetch(c, ctx) {
    const name = `${c.name} ${c.version}`;
    ctx.events({ type: 'artifact-start', kind: 'chart', name });
    const have = {
      tgz: ctx.caches.chartArchives.get(c.sha256),
      prov: c.provenance ? ctx.caches.chartArchives.get(provKey(c.provenance.sha256)) : undefined,
    };
    const root = await fetchChart(c, have, ctx.http, ctx.client, ctx.store, ctx.events);
    ctx.events({ type: 'artifact-done', kind: 'chart', name, digest: root.digest });
    return [chartIndexEntry(c, root)];
  },
};

/** The .prov beside the archives in the pull's cache: keyed apart from any archive's sha256. */
const provKey = (sha: string) => `${sha}.prov`;

/** The pull's Helm (looked up once per pull: keyed by its caches) and each chart's Kubernetes version. */
function imageFinding(ctx: SourceContext): ImageFinding {
  return {
    helm: () => helmOfRun(ctx.caches, { flag: ctx.helm, setting: ctx.manifest.helm, events: ctx.events, signal: ctx.signal }),
    kubeVersion: (entry) => kubeVersionFor(ctx.manifest, entry),
    signal: ctx.signal,
  };
}

/** index.json entry of a chart's Helm artifact (its artifactType is not carried here, as before). */
export function chartIndexEntry(c: LockedChart, root: Descriptor): IndexEntry {
  const ref = chartRefName(c.name, c.version);
  return {
    descriptor: {
      mediaType: root.mediaType,
      digest: root.digest,
      size: root.size,
      annotations: {
        [Annotation.RefName]: ref,
        [Annotation.Kind]: 'chart',
        [Annotation.Title]: c.name,
        [Annotation.ChartVersion]: c.version,
      },
    },
    sortKey: ref,
  };
}
