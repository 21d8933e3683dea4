import type { PullTally } from '../kinds/facets/source.js';
import type { AnyKind } from '../kinds/kind.js';
import type { Lock } from '../lock/types.js';
import type { BundleManifest } from '../manifest/types.js';

/**
 * A kind's entries in the bundle manifest, `spec.<key>`, as a list whatever its cardinality (an absent key is an
 * empty list). The one place pull reads the manifest by kind, so a change of the manifest's types lands here.
 */
export function manifestEntries(manifest: BundleManifest, kind: AnyKind): unknown[] {
  const v = (manifest as unknown as Record<string, unknown>)[kind.key];
  return v === undefined ? [] : Array.isArray(v) ? v : [v];
}

/** Sets a kind's locked entries on the lock: a list (left out when empty, unless the lock `always` has it), or its single value. */
export function setLocked(lock: Lock, kind: AnyKind, locked: unknown[]): void {
  const out = lock as unknown as Record<string, unknown>;
  if (kind.cardinality === 'single' && !kind.lockList) {
    if (locked[0] !== undefined) out[kind.key] = locked[0];
  } else if (locked.length > 0 || kind.always) out[kind.key] = locked;
}

/** Every kind's part of pull's result, together: counts added up, lists joined, the rest as its kind gave it. */
export function mergeTallies(tallies: PullTally[]): PullTally {
  const out: Record<string, unknown> = {};
  for (const t of tallies) {
    for (const [field, v] of Object.entries(t)) {
      const had = out[field];
      out[field] =
        typeof v === 'number'
          ? ((had as number | undefined) ?? 0) + v
          : Array.isArray(v)
            ? [...((had as unknown[] | undefined) ?? []), ...v]
            : v;
    }
  }
  return out as PullTally;
}
