import { KINDS, lockedOf } from '../kinds/index.js';
import type { AnyKind } from '../kinds/kind.js';
import type { Lock } from '../lock/types.js';
import { checker, type Report } from './gate-check.js';
import { bundleNameProblem } from './grammar.js';

/**
 * Every value of the lock that stage, push, serve or a report uses, against its grammar (each kind's own fields
 * in its schema facet's `gateLocked`, kinds/<kind>/gate-lock.ts). The lock travels inside the bundle and is
 * covered only by SHA256SUMS, which anyone can recompute: without a signature it is as untrusted as the rest of the
 * bundle.
 */
export function checkLockValues(lock: Lock, report: Report): void {
  const check = checker(report);
  check('bundle', 'bundle.name', lock.bundle.name, bundleNameProblem);
  for (const k of KINDS as readonly AnyKind[]) k.gateLocked(lockedOf(lock, k), check, report);
}
