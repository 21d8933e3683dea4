import { Annotation, type Descriptor, type ImageIndex, MediaType } from '../core/media-types.js';
import { aptMetaRefName, aptRefName, chartRefName, fileRefName, ferryRefName, rke2RefName } from '../bundle/format.js';
import type { LockedAptSource, LockedChart, LockedDeb, LockedImage } from '../lock/types.js';

export interface IndexedImage {
  locked: LockedImage;
  root: Descriptor;
}

export interface IndexedFile {
  name: string;
  root: Descriptor;
  /** Extra index.json annotations (RKE2 files: kind, role, version). */
  annotations?: Record<string, string>;
}

/**
 * index.json of the bundle (image-spec image-layout.md): one descriptor per image, named for containerd import
 * (`io.containerd.image.name`, containerd client/import.go) and OCI tools (`org.opencontainers.image.ref.name`),
 * each with its full normalised reference; then one per file artifact. Sorted, so the same lock gives the same bytes.
 */
export interface IndexedChart {
  chart: LockedChart;
  root: Descriptor;
}

export interface IndexedApt {
  debs: { deb: LockedDeb; root: Descriptor }[];
  meta: { source: LockedAptSource; index: number; root: Descriptor }[];
}

export function buildBundleIndex(
  images: IndexedImage[],
  files: IndexedFile[],
  rke2: IndexedFile[] = [],
  charts: IndexedChart[] = [],
  apt: IndexedApt = { debs: [], meta: [] },
  ferry: (IndexedFile & { version: string })[] = [],
): ImageIndex {
  const imageDescs = [...images]
    .sort((a, b) => cmp(a.locked.ref, b.locked.ref))
    .map(({ locked, root }): Descriptor => {
      const annotations: Record<string, string> = {
        [Annotation.ContainerdName]: locked.ref,
        [Annotation.RefName]: locked.ref,
        [Annotation.Kind]: 'image',
      };
      if (locked.upstreamDigest !== locked.digest) annotations[Annotation.UpstreamDigest] = locked.upstreamDigest;
      annotations[Annotation.Platforms] = locked.platforms === 'all' ? 'all' : locked.platforms.join(',');
      return { mediaType: root.mediaType, digest: root.digest, size: root.size, annotations };
    });
  const fileDescs = [...files]
    .sort((a, b) => cmp(a.name, b.name))
    .map(({ name, root }): Descriptor => ({
      mediaType: root.mediaType,
      digest: root.digest,
      size: root.size,
      ...(root.artifactType ? { artifactType: root.artifactType } : {}),
      annotations: { [Annotation.RefName]: fileRefName(name), [Annotation.Kind]: 'file', [Annotation.Title]: name },
    }));
  const rke2Descs = [...rke2]
    .sort((a, b) => cmp(a.name, b.name))
    .map(({ name, root, annotations }): Descriptor => ({
      mediaType: root.mediaType,
      digest: root.digest,
      size: root.size,
      ...(root.artifactType ? { artifactType: root.artifactType } : {}),
      annotations: { [Annotation.RefName]: rke2RefName(name), ...annotations, [Annotation.Kind]: 'rke2', [Annotation.Title]: name },
    }));
  const chartDescs = [...charts]
    .sort((a, b) => cmp(chartRefName(a.chart.name, a.chart.version), chartRefName(b.chart.name, b.chart.version)))
    .map(({ chart, root }): Descriptor => ({
      mediaType: root.mediaType,
      digest: root.digest,
      size: root.size,
      annotations: {
        [Annotation.RefName]: chartRefName(chart.name, chart.version),
        [Annotation.Kind]: 'chart',
        [Annotation.Title]: chart.name,
        [Annotation.ChartVersion]: chart.version,
      },
    }));
  const debDescs = [...apt.debs]
    .sort((a, b) => cmp(a.deb.file, b.deb.file))
    .map(({ deb, root }): Descriptor => ({
      mediaType: root.mediaType,
      digest: root.digest,
      size: root.size,
      ...(root.artifactType ? { artifactType: root.artifactType } : {}),
      annotations: { [Annotation.RefName]: aptRefName(deb.file), [Annotation.Kind]: 'apt', [Annotation.Title]: deb.file },
    }));
  const metaDescs = apt.meta.map(({ source, index, root }): Descriptor => ({
    mediaType: root.mediaType,
    digest: root.digest,
    size: root.size,
    ...(root.artifactType ? { artifactType: root.artifactType } : {}),
    annotations: { [Annotation.RefName]: aptMetaRefName(index), [Annotation.Kind]: 'apt-meta', [Annotation.Source]: source.url },
  }));
  const ferryDescs = ferry.map(({ name, root, version }): Descriptor => ({
    mediaType: root.mediaType,
    digest: root.digest,
    size: root.size,
    ...(root.artifactType ? { artifactType: root.artifactType } : {}),
    annotations: { [Annotation.RefName]: ferryRefName(name), [Annotation.Kind]: 'ferry', [Annotation.Title]: name, [Annotation.FerryVersion]: version },
  }));
  return { schemaVersion: 2, mediaType: MediaType.OciIndex, manifests: [...imageDescs, ...fileDescs, ...ferryDescs, ...rke2Descs, ...chartDescs, ...debDescs, ...metaDescs] };
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
