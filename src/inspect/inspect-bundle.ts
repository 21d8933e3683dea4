import type { Descriptor } from '../core/media-types.js';
import { FerryError } from '../core/errors.js';
import { SBOM_FILE } from '../bundle/format.js';
import { BundleReader } from '../bundle/reader.js';
import { walkGraph } from '../graph/walk.js';
import type { InspectedArtifact } from '../kinds/facets/view.js';
import { kindOfEntry } from '../kinds/index.js';
import { gateBundle } from '../validate/gate.js';
import { type BundleCounts, bundleCountsOf } from '../lock/counts.js';

export type { InspectedArtifact } from '../kinds/facets/view.js';

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
  /** The bundle's own SBOM member (docs/supply-chain.md "SBOM of the bundle"); absent in bundles written before it. */
  sbom?: { member: string; size: number };
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
    const sbom = reader.entry(SBOM_FILE);
    return {
      bundle: path,
      formatVersion: meta.formatVersion,
      name: meta.name,
      blobBytes: all.reduce((n, d) => n + d.size, 0),
      blobs: all.length,
      counts: await bundleCountsOf(reader),
      artifacts,
      ...(sbom ? { sbom: { member: SBOM_FILE, size: sbom.size } } : {}),
    };
  } finally {
    await reader.close();
  }
}

/** One entry, described by the kind it belongs to (the gate has refused an entry of no known kind). */
async function describe(reader: BundleReader, desc: Descriptor): Promise<InspectedArtifact> {
  const kind = kindOfEntry(desc);
  if (!kind) throw new FerryError('BUNDLE_INVALID', `index.json entry ${desc.digest} is of no known kind`, { digest: desc.digest });
  const nodes = await walkGraph(reader, [desc]);
  const size = nodes.reduce((n, d) => n + d.size, 0);
  return kind.describe(reader, desc, { digest: desc.digest, mediaType: desc.mediaType, size });
}
