/** The sequential outputs the old writer appended to (see sequential-writer.ts). */
import { type Hash, createHash } from 'node:crypto';
import { promises as fs } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { fsError } from '../../src/core/fs-errors.js';
import { partialPath, releasePartial } from '../../src/core/partial-files.js';
import { type PartsFile, partName, partsFileFor } from '../../src/bundle/parts.js';

/** Where the bundle writer's bytes go: one file, or parts of a fixed size. Nothing final exists before finish(). */
export interface BundleOutput {
  write(buf: Uint8Array): Promise<void>;
  /** fsync, close and rename into place, with the companions. */
  finish(): Promise<void>;
  /** Remove everything written. */
  abort(): Promise<void>;
}

/**
 * A file that belongs beside the bundle and must describe it: the lock (`<bundle>.lock.json`) and the detached
 * signature (`<bundle>.sig`). Written in the bundle's finishing step, never before; `body: undefined` removes a stale
 * one (an unsigned pull over a signed bundle must not leave the old signature beside the new bundle).
 */
export interface Companion {
  path: string;
  body: Uint8Array | undefined;
}

async function writeAll(handle: fs.FileHandle, buf: Uint8Array, path: string): Promise<void> {
  let done = 0;
  while (done < buf.length) {
    let n: number;
    try {
      ({ bytesWritten: n } = await handle.write(buf, done, buf.length - done));
    } catch (err) {
      throw fsError(err, path, 'cannot write');
    }
    done += n;
  }
}

/** Opens a temporary file; errors name the final file (`final`), which is what the user asked for. */
async function create(path: string, final: string): Promise<fs.FileHandle> {
  try {
    return await fs.open(path, 'wx', 0o644);
  } catch (err) {
    releasePartial(path);
    throw fsError(err, final, 'cannot create');
  }
}

async function syncClose(handle: fs.FileHandle, path: string): Promise<void> {
  try {
    await handle.sync();
    await handle.close();
  } catch (err) {
    await handle.close().catch(() => {});
    throw fsError(err, path, 'cannot write');
  }
}

async function rename(from: string, to: string): Promise<void> {
  try {
    await fs.rename(from, to);
  } catch (err) {
    throw fsError(err, to, `cannot rename ${from} to`);
  }
  releasePartial(from);
}

async function remove(path: string): Promise<void> {
  try {
    await fs.rm(path, { force: true });
  } catch (err) {
    throw fsError(err, path, 'cannot remove');
  }
}

async function removeTemp(path: string): Promise<void> {
  await fs.rm(path, { force: true }).catch(() => {});
  releasePartial(path);
}

/** Existing parts `<out>.000`, `<out>.001`, … at or beyond index `from` (left by an earlier split pull). */
async function partsFrom(outPath: string, from: number): Promise<string[]> {
  const base = basename(outPath);
  const names = await fs.readdir(dirname(outPath)).catch(() => [] as string[]);
  return names
    .filter((n) => n.startsWith(`${base}.`) && /^\d{3}$/.test(n.slice(base.length + 1)) && Number(n.slice(base.length + 1)) >= from)
    .map((n) => join(dirname(outPath), n));
}

/** Companions to temporary files first (a full disk fails here, before anything in place is touched). */
async function stageCompanions(companions: Companion[]): Promise<{ tmp: string; final: string }[]> {
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
async function swapIn(
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

/** One file, written as `<out>.partial-…` and renamed when complete. */
export async function singleOutput(outPath: string, companions: Companion[] = []): Promise<BundleOutput> {
  const tmp = partialPath(outPath);
  const handle = await create(tmp, outPath);
  let staged: { tmp: string; final: string }[] = [];
  return {
    write: (buf) => writeAll(handle, buf, outPath),
    async finish() {
      await syncClose(handle, outPath);
      staged = await stageCompanions(companions);
      await swapIn(
        outPath,
        companions,
        staged,
        () => rename(tmp, outPath),
        () => partsFrom(outPath, 0),
      );
    },
    async abort() {
      await handle.close().catch(() => {});
      for (const p of [tmp, ...staged.map((s) => s.tmp)]) await removeTemp(p);
    },
  };
}

/**
 * Parts of `partSize` bytes (`<out>.000`, `.001`, …) for size-limited media, each hashed as it is written. The parts
 * are renamed into place when all are complete and the parts list is written last, so an interrupted pull never
 * leaves a list that points at an incomplete set.
 */
export async function partedOutput(outPath: string, partSize: number, companions: Companion[] = []): Promise<BundleOutput> {
  const done: { tmp: string; final: string; size: number; sha256: string }[] = [];
  let current: { handle: fs.FileHandle; tmp: string; final: string; size: number; hash: Hash } | undefined;
  let staged: { tmp: string; final: string }[] = [];
  let listTmp: string | undefined;
  const open = async () => {
    const final = partName(outPath, done.length);
    const tmp = partialPath(final);
    current = { handle: await create(tmp, final), tmp, final, size: 0, hash: createHash('sha256') };
  };
  const close = async () => {
    if (!current) return;
    const c = current;
    current = undefined;
    await syncClose(c.handle, c.final);
    done.push({ tmp: c.tmp, final: c.final, size: c.size, sha256: c.hash.digest('hex') });
  };
  return {
    async write(buf) {
      let off = 0;
      while (off < buf.length) {
        if (!current || current.size === partSize) {
          await close();
          await open();
        }
        const c = current as NonNullable<typeof current>;
        const n = Math.min(partSize - c.size, buf.length - off);
        const piece = buf.subarray(off, off + n);
        await writeAll(c.handle, piece, c.final);
        c.hash.update(piece);
        c.size += n;
        off += n;
      }
    },
    async finish() {
      await close();
      const list: PartsFile = {
        partsVersion: 1,
        bundle: basename(outPath),
        size: done.reduce((n, p) => n + p.size, 0),
        parts: done.map((p) => ({ name: basename(p.final), size: p.size, sha256: p.sha256 })),
      };
      const listPath = partsFileFor(outPath);
      listTmp = partialPath(listPath);
      const h = await create(listTmp, listPath);
      try {
        await writeAll(h, Buffer.from(`${JSON.stringify(list, null, 2)}\n`), listPath);
      } finally {
        await syncClose(h, listPath);
      }
      staged = await stageCompanions(companions);
      const place = async () => {
        for (const p of done) await rename(p.tmp, p.final);
        // Parts an earlier, longer split left beyond the new last one.
        for (const p of await partsFrom(outPath, done.length)) await remove(p);
        await rename(listTmp as string, listPath);
      };
      await swapIn(outPath, companions, staged, place, async () => [outPath]);
    },
    async abort() {
      await current?.handle.close().catch(() => {});
      for (const p of [
        ...done.map((d) => d.tmp),
        ...(current ? [current.tmp] : []),
        ...(listTmp ? [listTmp] : []),
        ...staged.map((s) => s.tmp),
      ])
        await removeTemp(p);
    },
  };
}
