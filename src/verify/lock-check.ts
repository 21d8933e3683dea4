import { LOCK_FILE } from '../bundle/format.js';
import { Annotation, type ImageIndex } from '../core/media-types.js';
import type { Intact, Read, ReadStream } from '../kinds/facets/pins.js';
import { KINDS, lockedOf } from '../kinds/index.js';
import type { AnyKind } from '../kinds/kind.js';
import { parseLock } from '../lock/lock-file.js';
import { checkPins } from './pin-check.js';
import type { Problem } from './problem.js';

/**
 * The lock is the bundle's statement of what it carries; index.json is what it actually names. They must agree
 * exactly: each pin of each kind (an image under its reference with the pinned digest, a file as an artifact whose
 * content digest is the pinned sha256, …) and nothing else; then each kind's own chain, re-checked offline.
 */
export async function checkLockAgainstIndex(
  lockBody: Buffer,
  index: ImageIndex | undefined,
  read: Read,
  /** Whether the bundle holds the blob with bytes that hash to it (to name the artifact a damaged blob belongs to). */
  intact: Intact = () => true,
  /** Blobs read through rather than held (kinds/facets/pins.ts ReadStream); without it, chains read them whole. */
  stream?: ReadStream,
): Promise<Problem[]> {
  let lock;
  try {
    lock = parseLock(lockBody.toString('utf8'), LOCK_FILE);
  } catch (err) {
    return [{ path: LOCK_FILE, code: 'MALFORMED', message: (err as Error).message }];
  }
  if (!index) return []; // an unreadable index.json is reported on its own
  const problems: Problem[] = [];
  for (const kind of KINDS as readonly AnyKind[]) {
    const locked = lockedOf(lock, kind);
    problems.push(...(await checkPins(kind, locked, index.manifests, read)));
    if (!kind.checkChain) continue;
    const entries = index.manifests.filter((d) => kind.entryKinds.includes(d.annotations?.[Annotation.Kind] ?? ''));
    problems.push(...(await kind.checkChain(locked, entries, read, intact, stream)));
  }
  return problems;
}
