import type { Descriptor } from '../core/media-types.js';
import { readVerified } from './copy.js';
import type { ReadOnlyStorage } from './storage.js';
import { heldAlone, isManifestLike, malformedReporter, successors } from './successors.js';

/**
 * Every node reachable from the roots, each once, parents before children (a manifest is read to find its
 * children; an upstream index carried alone is not, successors.ts heldAlone). Used to list what a bundle must contain and what a push must move.
 */
export async function walkGraph(src: ReadOnlyStorage, roots: Descriptor[]): Promise<Descriptor[]> {
  const seen = new Map<string, Descriptor>();
  const queue = [...roots];
  while (queue.length > 0) {
    const desc = queue.shift() as Descriptor;
    if (seen.has(desc.digest)) continue;
    seen.set(desc.digest, desc);
    if (isManifestLike(desc) && !heldAlone(desc)) {
      const body = await readVerified(src, desc, `manifest ${desc.digest}`);
      queue.push(...successors(desc, body, malformedReporter(src)));
    }
  }
  return [...seen.values()];
}
