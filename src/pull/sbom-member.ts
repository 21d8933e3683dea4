import { LOCK_FILE } from '../bundle/format.js';
import type { ImageIndex } from '../core/media-types.js';
import { buffer } from 'node:stream/consumers';
import type { GraphPlan } from '../kinds/facets/source.js';
import { parseLock } from '../lock/lock-file.js';
import { buildSbom } from '../sbom/build-sbom.js';
import { indexChildren } from '../sbom/referrers.js';
import { TOOL_VERSION } from '../version.js';

/**
 * The SBOM pull writes into the bundle (sbom.cdx.json), made from the members exactly as the bundle stores them (the
 * lock's bytes read back, index.json as its JSON reads), so that `bundle verify` makes the same bytes again. The
 * image indexes it may read (to tie a platform's referrers to its image) are the planned graphs' manifests, in memory.
 */
export async function sbomMember(
  name: string,
  index: ImageIndex,
  lockBytes: Buffer,
  plans: readonly { plan: GraphPlan }[],
): Promise<(sums: Buffer) => Buffer> {
  const tool = `ferry ${TOOL_VERSION}`;
  const stored = JSON.parse(JSON.stringify(index)) as ImageIndex;
  const lock = parseLock(lockBytes.toString('utf8'), LOCK_FILE);
  const children = await indexChildren(stored, async (digest) => {
    for (const { plan } of plans) {
      const desc = plan.nodes.find((d) => d.digest === digest);
      if (desc) return buffer(await plan.source.fetch(desc));
    }
    return undefined;
  });
  return (sums) => buildSbom({ name, tool, sums, index: stored, lock, children });
}
