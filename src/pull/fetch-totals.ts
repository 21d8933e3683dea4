import type { DeltaBase } from '../delta/delta-base.js';
import { heldAlone, isManifestLike } from '../graph/successors.js';
import type { GraphPlan } from '../kinds/facets/source.js';
import { lockedOf } from '../kinds/index.js';
import type { Lock } from '../lock/types.js';
import type { SourcedKind } from './resolve-all.js';

/**
 * What the fetch phase moves: every artifact the lock sizes, and every planned blob (not the manifests, read while
 * planning, except an upstream index held alone, which is copied as a blob) a delta does not leave out.
 */
export function fetchTotals(
  lock: Lock,
  kinds: SourcedKind[],
  plans: GraphPlan[],
  base?: DeltaBase,
): { totalBytes: number; totalItems: number } {
  const sizes = new Map<string, number>();
  for (const k of kinds)
    for (const l of lockedOf(lock, k.kind)) for (const { digest, size } of k.source.sizes?.(l) ?? []) sizes.set(digest, size);
  for (const plan of plans)
    for (const d of plan.nodes) if (heldAlone(d) || (!isManifestLike(d) && !base?.digests.has(d.digest))) sizes.set(d.digest, d.size);
  return { totalBytes: [...sizes.values()].reduce((a, b) => a + b, 0), totalItems: sizes.size };
}
