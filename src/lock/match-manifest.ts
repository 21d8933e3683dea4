import { FerryError } from '../core/errors.js';
import { KINDS, lockedOf } from '../kinds/index.js';
import type { AnyKind } from '../kinds/kind.js';
import type { BundleManifest } from '../manifest/types.js';
import { wantedOf } from '../manifest/wanted.js';
import type { Lock } from './types.js';

/**
 * `--lock` fetches exactly what the lock says, so the lock must still describe the manifest: the same bundle name,
 * and for every kind the same entries asked for the same way (each kind's schema facet says what that means, e.g.
 * the same images with the same platform requests, the same files from the same URLs with the same pins). URLs
 * compare as URLs (core/url-form.ts), so a lock written before a URL's spelling changed (`https://get.rke2.io` →
 * `HTTPS://get.rke2.io/`) still matches; the lock keeps the URLs as they were written. Throws
 * FerryError('LOCK_MISMATCH') listing every difference, kind by kind: manifest entries in manifest order, then what
 * only the lock has, sorted.
 */
export function checkLockMatchesManifest(lock: Lock, manifest: BundleManifest): void {
  const diffs: string[] = [];
  if (lock.bundle.name !== manifest.name) diffs.push(`bundle name: the manifest says ${manifest.name}, the lock says ${lock.bundle.name}`);
  // Images a chart brought in are wanted too: the lock's chart entries say which (and why).
  const kinds: readonly AnyKind[] = KINDS;
  const broughtImages = new Set(kinds.flatMap((k) => k.broughtImages?.(lockedOf(lock, k)) ?? []));
  for (const k of kinds) diffs.push(...k.differences(lockedOf(lock, k), wantedOf(manifest, k), { broughtImages }));

  if (diffs.length > 0) {
    throw new FerryError('LOCK_MISMATCH', `the lock no longer matches the manifest ${manifest.path}:\n  ${diffs.join('\n  ')}`, {
      path: manifest.path,
      differences: diffs,
    });
  }
}
