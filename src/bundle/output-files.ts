import { type Hash, createHash, randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import { basename } from 'node:path';
import { FerryError, isFerryError } from '../core/errors.js';
import { type PartsFile, partName, partsFileFor } from './parts.js';

/** Where the bundle writer's bytes go: one file, or parts of a fixed size. Nothing final exists before finish(). */
export interface BundleOutput {
  write(buf: Uint8Array): Promise<void>;
  /** fsync, close and rename into place. */
  finish(): Promise<void>;
  /** Remove everything written. */
  abort(): Promise<void>;
}

async function writeAll(handle: fs.FileHandle, buf: Uint8Array, path: string): Promise<void> {
  let done = 0;
  while (done < buf.length) {
    let n: number;
    try {
      ({ bytesWritten: n } = await handle.write(buf, done, buf.length - done));
    } catch (err) {
      throw ioError(`cannot write ${path}`, path, err);
    }
    done += n;
  }
}

async function create(path: string): Promise<fs.FileHandle> {
  try {
    return await fs.open(path, 'wx', 0o644);
  } catch (err) {
    throw ioError(`cannot create ${path}`, path, err);
  }
}

/** One file, written as `<out>.partial-<random>` and renamed when complete. */
export async function singleOutput(outPath: string): Promise<BundleOutput> {
  const tmp = `${outPath}.partial-${randomBytes(6).toString('hex')}`;
  const handle = await create(tmp);
  return {
    write: (buf) => writeAll(handle, buf, tmp),
    async finish() {
      await handle.sync();
      await handle.close();
      await fs.rename(tmp, outPath).catch((err) => {
        throw ioError(`cannot rename ${tmp} to ${outPath}`, outPath, err);
      });
    },
    async abort() {
      await handle.close().catch(() => {});
      await fs.rm(tmp, { force: true });
    },
  };
}

/**
 * Parts of `partSize` bytes (`<out>.000`, `.001`, …) for size-limited media, each hashed as it is written. The parts
 * are renamed into place when all are complete and the parts list is written last, so an interrupted pull never
 * leaves a list that points at an incomplete set.
 */
export async function partedOutput(outPath: string, partSize: number): Promise<BundleOutput> {
  const tag = randomBytes(6).toString('hex');
  const done: { tmp: string; final: string; size: number; sha256: string }[] = [];
  let current: { handle: fs.FileHandle; tmp: string; final: string; size: number; hash: Hash } | undefined;
  const open = async () => {
    const final = partName(outPath, done.length);
    const tmp = `${final}.partial-${tag}`;
    current = { handle: await create(tmp), tmp, final, size: 0, hash: createHash('sha256') };
  };
  const close = async () => {
    if (!current) return;
    await current.handle.sync();
    await current.handle.close();
    done.push({ tmp: current.tmp, final: current.final, size: current.size, sha256: current.hash.digest('hex') });
    current = undefined;
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
        await writeAll(c.handle, piece, c.tmp);
        c.hash.update(piece);
        c.size += n;
        off += n;
      }
    },
    async finish() {
      await close();
      for (const p of done) await fs.rename(p.tmp, p.final);
      const list: PartsFile = {
        partsVersion: 1,
        bundle: basename(outPath),
        size: done.reduce((n, p) => n + p.size, 0),
        parts: done.map((p) => ({ name: basename(p.final), size: p.size, sha256: p.sha256 })),
      };
      const path = partsFileFor(outPath);
      const tmp = `${path}.partial-${tag}`;
      await fs.writeFile(tmp, `${JSON.stringify(list, null, 2)}\n`);
      await fs.rename(tmp, path);
    },
    async abort() {
      await current?.handle.close().catch(() => {});
      for (const p of [...done.map((d) => d.tmp), ...(current ? [current.tmp] : [])]) await fs.rm(p, { force: true });
    },
  };
}

function ioError(msg: string, path: string, err: unknown): FerryError {
  if (isFerryError(err)) return err;
  return new FerryError('IO_ERROR', `${msg}: ${(err as Error).message}`, { path }, { cause: err });
}
