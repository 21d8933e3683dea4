import { promises as fs } from 'node:fs';
import { dirname } from 'node:path';
import { FerryError, isFerryError } from './errors.js';

/**
 * One mapping from Node's file-system errors to FerryError, for every place ferry writes an output (the bundle
 * writer, atomic writes, stage, the cache): code IO_ERROR, the path, the errno (`details.errno`: ENOSPC, EROFS,
 * EACCES, …) and what to do about it, in one line.
 */
const ADVICE: Record<string, string> = {
  ENOSPC: 'no space left on the device: free space there or write somewhere else',
  EDQUOT: 'disk quota exceeded: free space there or write somewhere else',
  EROFS: 'the file system is read-only: write to a writable directory',
  EACCES: 'permission denied: check the owner and mode of the directory, or write somewhere else',
  EPERM: 'operation not permitted: check the owner and mode of the directory, or write somewhere else',
  ENOENT: 'no such file or directory',
  ENOTDIR: 'a part of the path is not a directory',
  EISDIR: 'it is a directory',
  EEXIST: 'it already exists',
};

export function errnoOf(err: unknown): string | undefined {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  return typeof code === 'string' && /^E[A-Z]+$/.test(code) ? code : undefined;
}

/** `doing path: advice (ERRNO)`; FerryErrors pass through unchanged. */
export function fsError(err: unknown, path: string, doing: string): FerryError {
  if (isFerryError(err)) return err;
  const errno = errnoOf(err);
  const advice = (errno && ADVICE[errno]) ?? (err as Error)?.message ?? String(err);
  const syscall = (err as NodeJS.ErrnoException | undefined)?.syscall;
  return new FerryError(
    'IO_ERROR',
    `${doing} ${path}: ${advice}${errno ? ` (${errno})` : ''}`,
    { path, ...(errno ? { errno } : {}), ...(syscall ? { syscall } : {}) },
    { cause: err },
  );
}

/** Errors of the local disk itself (never a network errno such as ECONNRESET, which streams also carry). */
const LOCAL = new Set(['ENOSPC', 'EDQUOT', 'EROFS', 'EACCES', 'EPERM', 'EIO']);

/** For code that also sees network errors (the cache): maps only errors of the disk, passes the rest unchanged. */
export function diskError(err: unknown, path: string, doing: string): unknown {
  const errno = errnoOf(err);
  return !isFerryError(err) && errno && LOCAL.has(errno) ? fsError(err, path, doing) : err;
}

/**
 * mkdir -p that reports the real reason: a recursive mkdir under a read-only or unwritable parent reports ENOENT
 * (libuv walks up on ENOENT and returns the first error), so on failure the first missing directory is created alone
 * to learn the errno that matters (EROFS, EACCES).
 */
export async function ensureDir(dir: string): Promise<void> {
  try {
    await fs.mkdir(dir, { recursive: true });
  } catch (err) {
    let missing = dir;
    for (;;) {
      const parent = dirname(missing);
      if (parent === missing) break;
      const exists = await fs.stat(parent).then(
        () => true,
        () => false,
      );
      if (exists) break;
      missing = parent;
    }
    try {
      await fs.mkdir(missing);
      await fs.mkdir(dir, { recursive: true });
    } catch (precise) {
      throw fsError(errnoOf(precise) === 'EEXIST' ? err : precise, missing, 'cannot create directory');
    }
  }
}
