import type { AnyKind } from '../kinds/kind.js';
import type { BundleManifest } from './types.js';

/** A kind's normalised manifest entries as a list whatever its cardinality (an absent key is an empty list). */
export function wantedOf(manifest: BundleManifest, kind: AnyKind): unknown[] {
  const v = (manifest as unknown as Record<string, unknown>)[kind.key];
  return v === undefined ? [] : Array.isArray(v) ? v : [v];
}
