import { FerryError } from '../../core/errors.js';
import type { LockedFerry } from './schema.js';

/**
 * `--lock` carries exactly what the lock pins: the ferry executable given now (spec.ferry or --with-ferry) must be
 * the one the lock names, byte for byte; one without the other is a difference too. Throws LOCK_MISMATCH.
 */
export function checkFerryLock(locked: LockedFerry | undefined, now: LockedFerry | undefined, manifestPath: string): void {
  let diff: string | undefined;
  if (locked && !now) diff = `ferry ${locked.name}: in the lock, but neither spec.ferry nor --with-ferry gives an executable`;
  else if (!locked && now) diff = `ferry ${now.name}: given (spec.ferry or --with-ferry), not in the lock`;
  else if (locked && now && (locked.name !== now.name || locked.sha256 !== now.sha256)) {
    diff = `ferry: the lock pins ${locked.name} sha256 ${locked.sha256}, the executable given is ${now.name} sha256 ${now.sha256}`;
  }
  if (diff)
    throw new FerryError('LOCK_MISMATCH', `the lock no longer matches the manifest ${manifestPath}:\n  ${diff}`, {
      path: manifestPath,
      differences: [diff],
    });
}
