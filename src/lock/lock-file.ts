import { promises as fs } from 'node:fs';
import { FerryError } from '../core/errors.js';
import { formatReference, parseReference } from '../core/reference.js';
import { fileNameProblem } from '../manifest/file-name.js';
import { normalisePlatform } from '../manifest/platform.js';
import { httpUrlProblem } from '../manifest/fields.js';
import { problemsFromZod } from '../manifest/zod-problems.js';
import { byKey, canonicalJson } from './canonical-json.js';
import { lockSchema } from './lock-schema.js';
import type { Lock, LockedChart, LockedFile, LockedImage } from './types.js';
import { ferryLockProblems } from '../kinds/ferry/ferry-lock.js';

export { canonicalJson } from './canonical-json.js';
export { checkLockMatchesManifest } from './match-manifest.js';
export type { Lock, LockedFile, LockedImage, VouchedBy } from './types.js';

/** The lock's text: canonical JSON with images sorted by ref and files by name. */
export function serializeLock(lock: Lock): string {
  return canonicalJson({
    ...lock,
    images: [...lock.images].sort(byKey((i: LockedImage) => i.ref)),
    files: [...lock.files].sort(byKey((f: LockedFile) => f.name)),
    ...(lock.rke2 ? { rke2: { ...lock.rke2, files: [...lock.rke2.files].sort(byKey((f: LockedFile) => f.name)) } } : {}),
    ...(lock.charts && lock.charts.length > 0 ? { charts: [...lock.charts].sort(byKey((c: LockedChart) => `${c.repo} ${c.name}`)) } : {}),
  });
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
    throw new FerryError('LOCK_INVALID', `${path}: not a valid ferry lock (version 1):\n  ${lines.join('\n  ')}`, { path, problems: lines });
  }
  return parsed.data;
}

function semanticProblems(lock: Lock): string[] {
  const out: string[] = [];
  const refs = new Set<string>();
  lock.images.forEach((img, i) => {
    const at = `images.${i}`;
    try {
      const ref = parseReference(img.ref);
      const normal = formatReference(ref);
      if (normal !== img.ref) out.push(`${at}.ref: "${img.ref}" is not in normalised form (${normal})`);
      if (ref.digest !== undefined && ref.digest !== img.upstreamDigest) {
        out.push(`${at}.upstreamDigest: the reference pins ${ref.digest} but the lock says it resolved to ${img.upstreamDigest}`);
      }
    } catch (err) {
      out.push(`${at}.ref: ${(err as Error).message}`);
    }
    if (refs.has(img.ref)) out.push(`${at}.ref: ${img.ref} is listed twice`);
    refs.add(img.ref);
    if (img.platforms !== 'all') {
      img.platforms.forEach((p, n) => {
        const norm = normalisePlatform(p);
        if ('error' in norm) out.push(`${at}.platforms.${n}: ${norm.error}`);
        else if (norm.platform !== p) out.push(`${at}.platforms.${n}: "${p}" is not in normalised form (${norm.platform})`);
      });
    }
  });
  // Plain files and RKE2 files are staged in different directories, so each list has its own names.
  const groups = [lock.files.map((f, i) => ({ f, at: `files.${i}` })), (lock.rke2?.files ?? []).map((f, i) => ({ f, at: `rke2.files.${i}` }))];
  for (const group of groups) checkFiles(group, out);
  if (lock.ferry) out.push(...ferryLockProblems(lock.ferry));
  return out;
}

function checkFiles(group: { f: LockedFile; at: string }[], out: string[]): void {
  const names = new Set<string>();
  group.forEach(({ f, at }) => {
    const why = fileNameProblem(f.name);
    if (why) out.push(`${at}.name: file name ${JSON.stringify(f.name)} ${why}`);
    if (names.has(f.name)) out.push(`${at}.name: ${f.name} is listed twice`);
    names.add(f.name);
    const urlWhy = httpUrlProblem(f.url);
    if (urlWhy) out.push(`${at}.url: ${urlWhy}`);
    if (f.vouchedBy.kind === 'checksums') {
      const listWhy = httpUrlProblem(f.vouchedBy.url);
      if (listWhy) out.push(`${at}.vouchedBy.url: ${listWhy}`);
    }
  });
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
