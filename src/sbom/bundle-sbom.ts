import { LOCK_FILE, SUMS_FILE, blobPath } from '../bundle/format.js';
import { BundleReader } from '../bundle/reader.js';
import { parseLock } from '../lock/lock-file.js';
import { gateBundle } from '../validate/gate.js';
import { buildSbom } from './build-sbom.js';
import { indexChildren } from './referrers.js';
import { sumsWithoutSbom } from './sums.js';

/**
 * The SBOM of a bundle made from what it holds (index.json, the lock, SHA256SUMS, ferry-bundle.json, and the
 * platform indexes of its images when it carries referrers): `ferry bundle sbom`, and what `bundle verify` compares
 * the bundle's own `sbom.cdx.json` with. Read through the bundle reader, not verified: `bundle verify` is that.
 */
export async function sbomOfReader(reader: BundleReader): Promise<Buffer> {
  const index = reader.index();
  return buildSbom({
    name: reader.meta.name,
    tool: reader.meta.tool,
    sums: sumsWithoutSbom(await reader.readSmall(SUMS_FILE)),
    index,
    lock: parseLock((await reader.lockBytes()).toString('utf8'), LOCK_FILE),
    children: await indexChildren(index, async (digest) => {
      const path = blobPath(digest.slice('sha256:'.length));
      return reader.entry(path) ? reader.readSmall(path) : undefined;
    }),
  });
}

/** `ferry bundle sbom BUNDLE`: the bundle's CycloneDX 1.5 JSON SBOM, the same bytes as its sbom.cdx.json when intact. */
export async function bundleSbom(path: string): Promise<Buffer> {
  const reader = await BundleReader.open(path);
  try {
    // What it writes comes from the bundle: refused, as inspect refuses it, when a name breaks its grammar.
    await gateBundle(reader);
    return await sbomOfReader(reader);
  } finally {
    await reader.close();
  }
}
