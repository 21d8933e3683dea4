import { randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import { z } from 'zod';
import { FerryError } from '../core/errors.js';
import type { BundleManifest } from '../manifest/types.js';
import type { Lock, LockedFile, LockedImage } from './types.js';

const hex64 = z.string().regex(/^[0-9a-f]{64}$/);
const digest = z.string().regex(/^sha256:[0-9a-f]{64}$/);
const platforms = z.union([z.literal('all'), z.array(z.string())]);

const lockSchema = z
  .object({
    lockVersion: z.literal(1),
    bundle: z.object({ name: z.string() }).strict(),
    images: z.array(
      z
        .object({
          ref: z.string(),
          platforms,
          digest,
          mediaType: z.string(),
          size: z.number().int().nonnegative(),
          upstreamDigest: digest,
          upstreamMediaType: z.string(),
          upstreamPlatforms: z.array(z.string()).optional(),
        })
        .strict(),
    ),
    files: z.array(
      z
        .object({
          name: z.string(),
          url: z.string(),
          sha256: hex64,
          size: z.number().int().nonnegative().optional(),
          vouchedBy: z.union([
            z.object({ kind: z.literal('inline') }).strict(),
            z.object({ kind: z.literal('checksums'), url: z.string(), sha256: hex64, line: z.number().int().positive() }).strict(),
          ]),
        })
        .strict(),
    ),
  })
  .strict();

/** JSON with object keys sorted at every depth, 2-space indented, newline-terminated: one value, one text. */
export function canonicalJson(value: unknown): string {
  return `${JSON.stringify(sortKeys(value), null, 2)}\n`;
}

function sortKeys(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(sortKeys);
  if (v && typeof v === 'object') {
    return Object.fromEntries(
      Object.keys(v as object)
        .sort()
        .filter((k) => (v as Record<string, unknown>)[k] !== undefined)
        .map((k) => [k, sortKeys((v as Record<string, unknown>)[k])]),
    );
  }
  return v;
}

const byKey = <T>(key: (x: T) => string) => (a: T, b: T) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0);

/** The lock's text: canonical JSON with images sorted by ref and files by name. */
export function serializeLock(lock: Lock): string {
  return canonicalJson({
    ...lock,
    images: [...lock.images].sort(byKey((i: LockedImage) => i.ref)),
    files: [...lock.files].sort(byKey((f: LockedFile) => f.name)),
  });
}

export function parseLock(text: string, path: string): Lock {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    throw new FerryError('LOCK_INVALID', `${path}: not valid JSON: ${(err as Error).message}`, { path });
  }
  const parsed = lockSchema.safeParse(raw);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`);
    throw new FerryError('LOCK_INVALID', `${path}: not a ferry lock (version 1):\n  ${lines.join('\n  ')}`, { path, problems: lines });
  }
  return parsed.data as Lock;
}

export async function readLock(path: string): Promise<Lock> {
  let text: string;
  try {
    text = await fs.readFile(path, 'utf8');
  } catch (err) {
    throw new FerryError('LOCK_INVALID', `cannot read lock ${path}: ${(err as Error).message}`, { path });
  }
  return parseLock(text, path);
}

/** Temp file + rename, so a reader never sees half a lock. */
export async function writeLockAtomic(path: string, lock: Lock): Promise<void> {
  const tmp = `${path}.partial-${randomBytes(4).toString('hex')}`;
  try {
    await fs.writeFile(tmp, serializeLock(lock));
    await fs.rename(tmp, path);
  } catch (err) {
    await fs.rm(tmp, { force: true });
    throw err;
  }
}

const imageKey = (ref: string, p: 'all' | string[]) => `${ref} [${p === 'all' ? 'all' : [...p].sort().join(',')}]`;
const fileKey = (name: string, url: string, pin: string) => `${name} from ${url} (${pin})`;

/**
 * `--lock` fetches exactly what the lock says, so the lock must still describe the manifest: same bundle name,
 * same images with the same platform requests, same files with the same pins. Every difference is listed.
 */
export function checkLockMatchesManifest(lock: Lock, manifest: BundleManifest): void {
  const diffs: string[] = [];
  if (lock.bundle.name !== manifest.name) diffs.push(`bundle name: manifest says ${manifest.name}, lock says ${lock.bundle.name}`);
  compare(
    manifest.images.map((i) => imageKey(i.ref, i.platforms)),
    lock.images.map((i) => imageKey(i.ref, i.platforms)),
    'image',
    diffs,
  );
  compare(
    manifest.files.map((f) => fileKey(f.name, f.url, f.sha256 ? `sha256 ${f.sha256}` : `checksums ${f.checksums}`)),
    lock.files.map((f) => fileKey(f.name, f.url, f.vouchedBy.kind === 'inline' ? `sha256 ${f.sha256}` : `checksums ${f.vouchedBy.url}`)),
    'file',
    diffs,
  );
  if (diffs.length > 0) {
    throw new FerryError('LOCK_MISMATCH', `the lock no longer matches the manifest ${manifest.path}:\n  ${diffs.join('\n  ')}`, { differences: diffs });
  }
}

function compare(inManifest: string[], inLock: string[], what: string, diffs: string[]): void {
  const m = new Set(inManifest);
  const l = new Set(inLock);
  for (const k of m) if (!l.has(k)) diffs.push(`${what} ${k}: in the manifest, not in the lock`);
  for (const k of l) if (!m.has(k)) diffs.push(`${what} ${k}: in the lock, not in the manifest`);
}
