import { randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import { HOST_TAG, processGone } from '../core/writer-identity.js';
import { join } from 'node:path';

/**
 * Who is writing what in a cache that several ferry processes share (the default cache is per user, not per run).
 * Every writer's scratch file is its own: `<hex>.<host>.<pid>.<random>`, so no two writers ever append to, hash
 * or rename the same file. A writer that died (kill -9, a dropped laptop) leaves its file behind; the next writer
 * of the same blob *claims* it with one rename(2), which is atomic, so of several claimants exactly one wins and
 * the others start fresh. A file whose writer is alive is never read, claimed or removed.
 */

/** This process's host tag (tests name other writers' files with it). */
export const hostTag = (): string => HOST_TAG;

/** Files of dead writers on another host are taken as abandoned only after this long (their pids cannot be checked). */
const FOREIGN_STALE_MS = 24 * 3600_000;

const NAME = /^([0-9a-f]{64})\.([0-9a-f]{8})\.(\d+)\.[0-9a-f]+$/;

/** Scratch files this process is writing now; its others were left by a failed attempt and may be taken over. */
const active = new Set<string>();

/** A fresh scratch name for one writer of blob `hex`; `release` it when the writer is done, whatever the outcome. */
export function writerName(hex: string): { name: string; release: () => void } {
  const name = `${hex}.${HOST_TAG}.${process.pid}.${randomBytes(6).toString('hex')}`;
  active.add(name);
  return { name, release: () => active.delete(name) };
}

/**
 * Whether a scratch file may be taken over: its writer is a dead process on this host, or on another host and the
 * file is untouched for a day. A bare `<hex>` is the shared partial name of ferry releases before this scheme.
 */
async function abandoned(dir: string, name: string, hex: string): Promise<boolean> {
  if (name === hex) return true;
  const m = NAME.exec(name);
  if (!m || m[1] !== hex) return false;
  if (m[2] === HOST_TAG) return Number(m[3]) === process.pid ? !active.has(name) : processGone(Number(m[3]));
  try {
    return Date.now() - (await fs.stat(join(dir, name))).mtimeMs > FOREIGN_STALE_MS;
  } catch {
    return false;
  }
}

/**
 * Takes over the largest abandoned partial download of blob `hex` in `dir` by renaming it to `mine`; removes the
 * other abandoned ones. Returns whether `mine` now holds a claimed prefix (it still has to be re-hashed).
 */
export async function claimAbandoned(dir: string, hex: string, mine: string): Promise<boolean> {
  let names: string[];
  try {
    names = (await fs.readdir(dir)).filter((n) => n.startsWith(hex));
  } catch {
    return false;
  }
  const candidates: { name: string; size: number }[] = [];
  for (const name of names) {
    if (!(await abandoned(dir, name, hex))) continue;
    const size = await fs.stat(join(dir, name)).then(
      (s) => s.size,
      () => -1,
    );
    if (size >= 0) candidates.push({ name, size });
  }
  candidates.sort((a, b) => b.size - a.size);
  let claimed = false;
  for (const c of candidates) {
    if (!claimed) {
      try {
        await fs.rename(join(dir, c.name), mine);
        claimed = true;
        continue;
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
        continue; // another writer claimed it first
      }
    }
    await fs.rm(join(dir, c.name), { force: true });
  }
  return claimed;
}

/** Removes scratch files of dead writers from `dir` (temp files of interrupted stores). Best effort. */
export async function sweepAbandoned(dir: string): Promise<void> {
  let names: string[];
  try {
    names = await fs.readdir(dir);
  } catch {
    return;
  }
  for (const name of names) {
    const hex = NAME.exec(name)?.[1];
    if (hex && (await abandoned(dir, name, hex))) await fs.rm(join(dir, name), { force: true });
  }
}
