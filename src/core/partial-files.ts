import { randomBytes } from 'node:crypto';
import { rmSync, promises as fs } from 'node:fs';
import { HOST_TAG, processGone } from './writer-identity.js';
import { join, relative } from 'node:path';

/**
 * Temporary files beside an output (`<final>.partial-<host>-<pid>-<random>`), renamed over the final name when
 * complete. The name records which process on which host wrote it, so a later run can tell the leftovers of a
 * killed process (remove) from the work of one still running (keep), even in a directory several hosts share.
 */
const PARTIAL = /\.partial-([0-9a-f]{8})-(\d+)-[0-9a-f]+$/;
const own = new Set<string>();

/** A fresh temporary name for `final`, remembered until released so an abrupt exit can still remove it. */
export function partialPath(final: string): string {
  const path = `${final}.partial-${HOST_TAG}-${process.pid}-${randomBytes(4).toString('hex')}`;
  own.add(path);
  return path;
}

/** The temporary file was renamed into place or removed: nothing to clean up for it any more. */
export function releasePartial(path: string): void {
  own.delete(path);
}

/** Whether this process is still writing `path` (a temporary name it made and has not released). */
export function isOwnPartial(path: string): boolean {
  return own.has(path);
}

/** For an exit that cannot wait (a second Ctrl-C): removes this process's temporary files, synchronously. */
export function removeOwnPartialsSync(): void {
  for (const path of own) rmSync(path, { force: true });
  own.clear();
}

const alive = (pid: number): boolean => pid === process.pid || !processGone(pid);

/**
 * Removes temporary files in `dir` whose names start with `prefix` and that a process of this host no longer running
 * left behind (a kill -9, a power cut). Returns the names removed. Files of live processes and of other hosts stay.
 */
export async function removeStalePartials(dir: string, prefix: string): Promise<string[]> {
  let names: string[];
  try {
    names = await fs.readdir(dir);
  } catch {
    return [];
  }
  const removed: string[] = [];
  for (const name of names) {
    if (!name.startsWith(prefix)) continue;
    const m = PARTIAL.exec(name);
    if (!m || m[1] !== HOST_TAG || alive(Number(m[2]))) continue;
    await fs.rm(join(dir, name), { force: true });
    removed.push(name);
  }
  return removed;
}

/**
 * removeStalePartials for a whole tree (a stage directory: files/, rke2/, apt/dists/…): every directory under
 * `root` is swept; symbolic links are not followed, so nothing outside `root` is touched. Returns the paths removed,
 * relative to `root`.
 */
export async function removeStalePartialsUnder(root: string): Promise<string[]> {
  const removed: string[] = [];
  const visit = async (dir: string): Promise<void> => {
    let entries;
    try {
      entries = await fs.readdir(dir, { withFileTypes: true });
    } catch {
      return;
    }
    for (const name of await removeStalePartials(dir, '')) removed.push(relative(root, join(dir, name)));
    for (const e of entries) if (e.isDirectory()) await visit(join(dir, e.name));
  };
  await visit(root);
  return removed;
}
