import { promises as fs } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { fsError } from '../core/fs-errors.js';
import { partialPath, releasePartial } from '../core/partial-files.js';
import { partsFileFor } from './parts.js';

/*
 * The file operations of a bundle's output (placed-output.ts): temporary files beside the target, companions, and the
 * finishing step that swaps them in.
 */

/**
 * A file that belongs beside the bundle and must describe it: the lock (`<bundle>.lock.json`) and the detached
 * signature (`<bundle>.sig`). Written in the bundle's finishing step, never before; `body: undefined` removes a stale
 * one (an unsigned pull over a signed bundle must not leave the old signature beside the new bundle).
 */
export interface Companion {
  path: string;
  body: Uint8Array | undefined;
}

/** Writes all of `buf`, at `position` when given (a positional write, pwrite(2)), else at the file's end. */
export async function writeAll(handle: fs.FileHandle, buf: Uint8Array, path: string, position?: number): Promise<void> {
  let done = 0;
  while (done < buf.length) {
    let n: number;
    try {
      ({ bytesWritten: n } = await handle.write(buf, done, buf.length - done, position === undefined ? null : position + done));
    } catch (err) {
      throw fsError(err, path, 'cannot write');
    }
    done += n;
  }
}

/** Opens a temporary file; errors name the final file (`final`), which is what the user asked for. */
export async function create(path: string, final: string, flags = 'wx'): Promise<fs.FileHandle> {
  try {
    return await fs.open(path, flags, 0o644);
  } catch (err) {
    releasePartial(path);
    throw fsError(err, final, 'cannot create');
  }
}

export async function syncClose(handle: fs.FileHandle, path: string): Promise<void> {
  try {
    await handle.sync();
    await handle.close();
  } catch (err) {
    await handle.close().catch(() => {});
    throw fsError(err, path, 'cannot write');
  }
}

export async function rename(from: string, to: string): Promise<void> {
  try {
    await fs.rename(from, to);
  } catch (err) {
    throw fsError(err, to, `cannot rename ${from} to`);
  }
  releasePartial(from);
}

export async function remove(path: string): Promise<void> {
  try {
    await fs.rm(path, { force: true });
  } catch (err) {
    throw fsError(err, path, 'cannot remove');
  }
}

export async function removeTemp(path: string): Promise<void> {
  await fs.rm(path, { force: true }).catch(() => {});
  releasePartial(path);
}

/** Existing parts `<out>.000`, `<out>.001`, … at or beyond index `from` (left by an earlier split pull). */
export async function partsFrom(outPath: string, from: number): Promise<string[]> {
  const base = basename(outPath);
  const names = await fs.readdir(dirname(outPath)).catch(() => [] as string[]);
  return names
    .filter((n) => n.startsWith(`${base}.`) && /^\d{3}$/.test(n.slice(base.length + 1)) && Number(n.slice(base.length + 1)) >= from)
    .map((n) => join(dirname(outPath), n));
}

/** Companions to temporary files first (a full disk fails here, before anything in place is touched). */
export async function stageCompanions(companions: Companion[]): Promise<{ tmp: string; final: string }[]> {
  const staged: { tmp: string; final: string }[] = [];
  try {
    for (const c of companions) {
      if (!c.body) continue;
      const tmp = partialPath(c.path);
      staged.push({ tmp, final: c.path });
      const h = await create(tmp, c.path);
      try {
        await writeAll(h, c.body, c.path);
      } finally {
        await syncClose(h, c.path);
      }
    }
  } catch (err) {
    for (const s of staged) await removeTemp(s.tmp);
    throw err;
  }
  return staged;
}

/**
 * The finishing step shared by both outputs. Order matters, so that at no moment does a reader find a bundle and a
 * companion or parts list that disagree: (1) remove what could describe or shadow the old output — the parts list,
 * the old companions, a stale single file or parts of the other form; (2) put the new output in place; (3) put the
 * companions in place. A crash in between leaves at most a bundle without its lock beside it (the lock is also
 * inside the bundle), never an old lock beside a new bundle, a lock beside no bundle, or a list naming old parts.
 */
export async function swapIn(
  outPath: string,
  companions: Companion[],
  staged: { tmp: string; final: string }[],
  place: () => Promise<void>,
  stale: () => Promise<string[]>,
) {
  await remove(partsFileFor(outPath));
  for (const c of companions) await remove(c.path);
  for (const p of await stale()) await remove(p);
  await place();
  for (const s of staged) await rename(s.tmp, s.final);
}
