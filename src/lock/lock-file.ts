import { promises as fs } from 'node:fs';
import { FerryError } from '../core/errors.js';
import { KINDS, lockedOf } from '../kinds/index.js';
import type { AnyKind } from '../kinds/kind.js';
import { problemsFromZod } from '../manifest/zod-problems.js';
import { canonicalJson } from './canonical-json.js';
import { lockSchema } from './lock-schema.js';
import type { Lock } from './types.js';

export { canonicalJson } from './canonical-json.js';
export { checkLockMatchesManifest } from './match-manifest.js';
export type { Lock, LockedFile, LockedImage, VouchedBy } from './types.js';

/** The lock's text: canonical JSON, each kind's entries in the order its schema facet gives (images by ref, …). */
export function serializeLock(lock: Lock): string {
  const out: Record<string, unknown> = { ...lock };
  for (const k of KINDS as readonly AnyKind[]) {
    if (!k.lockOrder || out[k.key] === undefined) continue;
    const sorted: unknown[] = k.lockOrder(lockedOf(lock, k));
    out[k.key] = k.cardinality === 'single' && !k.lockList ? sorted[0] : sorted;
  }
  return canonicalJson(out);
}

/**
 * Reads a lock's text. Besides the shape, it checks what later steps rely on: references are in normalised form,
 * a digest-pinned reference resolved to that digest, platforms are normalised, file names are safe to stage, and
 * nothing is listed twice. Every problem is listed; throws FerryError('LOCK_INVALID').
 */
export function parseLock(text: string, path: string): Lock {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    throw new FerryError('LOCK_INVALID', `${path}: not valid JSON: ${(err as Error).message}`, { path });
  }
  const version = (raw as { lockVersion?: unknown } | null)?.lockVersion;
  if (typeof version === 'number' && version !== 1) {
    throw new FerryError('LOCK_INVALID', `${path}: lockVersion ${version} is not supported (this ferry reads lockVersion 1)`, { path });
  }
  const parsed = lockSchema().safeParse(raw);
  const lines = parsed.success
    ? semanticProblems(parsed.data)
    : problemsFromZod(parsed.error.issues).map((p) => `${p.path.join('.') || '(root)'}: ${p.message}`);
  if (lines.length > 0 || !parsed.success) {
    throw new FerryError('LOCK_INVALID', `${path}: not a valid ferry lock (version 1):\n  ${lines.join('\n  ')}`, {
      path,
      problems: lines,
    });
  }
  return parsed.data;
}

/** What later steps rely on beyond the shape, kind by kind (each kind's schema facet `lockProblems`). */
function semanticProblems(lock: Lock): string[] {
  return (KINDS as readonly AnyKind[]).flatMap((k) => k.lockProblems(lockedOf(lock, k)));
}

export async function readLock(path: string): Promise<Lock> {
  let text: string;
  try {
    text = await fs.readFile(path, 'utf8');
  } catch (err) {
    throw new FerryError('LOCK_INVALID', `cannot read lock ${path}: ${(err as Error).message}`, { path }, { cause: err });
  }
  return parseLock(text, path);
}
