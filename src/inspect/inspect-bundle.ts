import { Annotation, type Descriptor, type ImageIndex, type ImageManifest, formatPlatform, isIndexType } from '../core/media-types.js';
import { BundleReader } from '../bundle/reader.js';
import { readVerified } from '../graph/copy.js';
import { walkGraph } from '../graph/walk.js';
import { IMAGE_TOC_MEDIA_TYPE, parseArchiveToc } from '../docker-archive/image-toc.js';
import { readMemberJson } from '../bundle/member-json.js';
import { gateBundle } from '../validate/gate.js';
import { type BundleCounts, bundleCountsOf } from '../lock/counts.js';

export interface InspectedArtifact {
  kind: 'image' | 'file' | 'rke2' | 'chart' | 'apt' | 'apt-meta' | 'ferry';
  /** Images: full reference. */
  ref?: string;
  /** Files: file name. */
  name?: string;
  digest: string;
  mediaType: string;
  /** Bytes of every blob the artifact uses (shared blobs count for each artifact). */
  size: number;
  platforms?: string[];
  upstreamDigest?: string;
  source?: string;
  /** RKE2 files: what the file is for (binary, images, image-list, checksums, install-script). */
  role?: string;
  /** Charts: the chart version. */
  version?: string;
  /** RKE2 image tarballs: the images inside. */
  images?: string[];
  /** ferry: the executable's sha256 (`sha256:<hex>`). */
  sha256?: string;
}

export interface InspectResult {
  bundle: string;
  formatVersion: number;
  name: string;
  /** Bytes of unique blobs in the bundle. */
  blobBytes: number;
  blobs: number;
  /** What the bundle holds, by kind (the vocabulary every command's summary uses). */
  counts: BundleCounts;
  artifacts: InspectedArtifact[];
}

/** `ferry bundle inspect`: what is inside, read from index.json and the manifests (no blob is read). */
export async function inspectBundle(path: string): Promise<InspectResult> {
  const reader = await BundleReader.open(path);
  try {
    // What inspect prints comes from the bundle: refused when a name could carry escapes or lines of its own.
    await gateBundle(reader);
    const index = reader.index();
    const meta = reader.meta; // parsed and checked when the bundle was opened
    const artifacts: InspectedArtifact[] = [];
    for (const desc of index.manifests) artifacts.push(await describe(reader, desc));
    const all = await walkGraph(reader, index.manifests);
    return {
      bundle: path,
      formatVersion: meta.formatVersion,
      name: meta.name,
      blobBytes: all.reduce((n, d) => n + d.size, 0),
      blobs: all.length,
      counts: await bundleCountsOf(reader),
      artifacts,
    };
  } finally {
    await reader.close();
  }
}

async function describe(reader: BundleReader, desc: Descriptor): Promise<InspectedArtifact> {
  const a = desc.annotations ?? {};
  const nodes = await walkGraph(reader, [desc]);
  const size = nodes.reduce((n, d) => n + d.size, 0);
  const base = { digest: desc.digest, mediaType: desc.mediaType, size };
  if (a[Annotation.Kind] === 'apt-meta') return { kind: 'apt-meta', name: a[Annotation.Source] ?? '', ...base };
  if (a[Annotation.Kind] === 'apt') return { kind: 'apt', name: a[Annotation.Title] ?? '', ...base };
  if (a[Annotation.Kind] === 'chart') return { kind: 'chart', name: a[Annotation.Title] ?? '', version: a[Annotation.ChartVersion] ?? '', ...base };
  if (a[Annotation.Kind] === 'ferry') {
    const m = await readMemberJson<ImageManifest>(reader, desc, desc.digest);
    const exe = m.layers[0]?.digest ?? '';
    return { kind: 'ferry', name: a[Annotation.Title] ?? '', version: a[Annotation.FerryVersion] ?? '', ...base, sha256: exe, source: m.annotations?.[Annotation.Source] ?? '' };
  }
  if (a[Annotation.Kind] === 'file' || a[Annotation.Kind] === 'rke2') {
    const m = await readMemberJson<ImageManifest>(reader, desc, desc.digest);
    const source = m.annotations?.[Annotation.Source] ? { source: m.annotations[Annotation.Source] } : {};
    if (a[Annotation.Kind] === 'file') return { kind: 'file', name: a[Annotation.Title] ?? '', ...base, ...source };
    const toc = m.layers[1]?.mediaType === IMAGE_TOC_MEDIA_TYPE ? parseArchiveToc(await readVerified(reader, m.layers[1], `${desc.digest} table of contents`)) : undefined;
    return {
      kind: 'rke2',
      name: a[Annotation.Title] ?? '',
      ...base,
      ...source,
      role: a[Annotation.Rke2Role] ?? '',
      ...(toc ? { images: toc.images.flatMap((i) => i.refs) } : {}),
    };
  }
  return {
    kind: 'image',
    ref: a[Annotation.RefName] ?? '',
    ...base,
    platforms: await platformsOf(reader, desc),
    ...(a[Annotation.UpstreamDigest] ? { upstreamDigest: a[Annotation.UpstreamDigest] } : {}),
  };
}

async function platformsOf(reader: BundleReader, desc: Descriptor): Promise<string[]> {
  const body = await readMemberJson<ImageIndex & ImageManifest>(reader, desc, desc.digest);
  if (isIndexType(desc.mediaType)) {
    return body.manifests.filter((m) => m.platform && m.platform.os !== 'unknown').map((m) => formatPlatform(m.platform!));
  }
  const config = await readMemberJson<{ os?: string; architecture?: string; variant?: string }>(reader, body.config, body.config.digest);
  if (!config.os || !config.architecture) return [];
  return [formatPlatform({ os: config.os, architecture: config.architecture, ...(config.variant ? { variant: config.variant } : {}) })];
}
