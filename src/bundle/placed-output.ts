import { type Hash, createHash } from 'node:crypto';
import { createReadStream, promises as fs } from 'node:fs';
import { basename } from 'node:path';
import { fsError } from '../core/fs-errors.js';
import { partialPath, releasePartial } from '../core/partial-files.js';
import { piecesOf } from './layout.js';
import {
  type Companion,
  create,
  partsFrom,
  remove,
  removeTemp,
  rename,
  stageCompanions,
  swapIn,
  syncClose,
  writeAll,
} from './output-files.js';
import { type PartsFile, partName, partsFileFor } from './parts.js';

/**
 * Where a planned bundle's bytes go (writer.ts): one file, or parts of a fixed size (docs/transfer.md), each a
 * temporary file beside its final name, created at its final size so that every member can be written at its planned
 * offset in any order. Nothing final exists before finish().
 */
export interface BundleOutput {
  readonly size: number;
  /** The temporary files, in part order: a partial bundle's resume state (src/pull/journal.ts). */
  readonly files: readonly string[];
  /** Writes `buf` at `offset` of the whole bundle (across part boundaries when split). */
  writeAt(offset: number, buf: Uint8Array): Promise<void>;
  /** Reads `length` bytes at `offset` of the whole bundle (a kept prefix, re-hashed before resuming). */
  readAt(offset: number, length: number): Promise<Buffer>;
  /** fdatasync(2) every file written since the last sync. */
  sync(): Promise<void>;
  /** Sync, close and rename into place with the companions; `wholeHash` also hashes the whole tar (one read). */
  finish(wholeHash: boolean): Promise<{ sha256?: string }>;
  /** Remove everything written. */
  abort(): Promise<void>;
  /** Close and keep the temporary files (an interrupted pull's resume state). */
  keep(): Promise<void>;
}

interface PartFile {
  handle: fs.FileHandle;
  tmp: string;
  final: string;
  size: number;
  dirty: boolean;
}

/**
 * Opens the output for a bundle of `size` bytes: fresh temporary files, or `adopt`ed ones (an earlier run's, already
 * renamed to this process's names) when their sizes match. `partSize` splits it into parts.
 */
export async function openOutput(
  outPath: string,
  size: number,
  opts: { partSize?: number; companions?: Companion[]; adopt?: readonly string[] } = {},
): Promise<BundleOutput> {
  const partSize = opts.partSize ?? size;
  const count = Math.max(1, Math.ceil(size / partSize));
  const parts: PartFile[] = [];
  try {
    for (let i = 0; i < count; i++) {
      const final = opts.partSize ? partName(outPath, i) : outPath;
      const length = Math.min(partSize, size - i * partSize);
      const adopted = opts.adopt?.[i];
      const tmp = adopted ?? partialPath(final);
      const handle = adopted
        ? await fs.open(adopted, 'r+').catch((err: unknown) => Promise.reject(fsError(err, final, 'cannot open')))
        : await create(tmp, final, 'wx+'); // read too: a kept prefix is re-hashed
      parts.push({ handle, tmp, final, size: length, dirty: false });
      // ftruncate(2) to the final size: the file reads as zeros until written (the tar's padding and end blocks
      // are zeros already), and on most file systems takes no space for the holes.
      if ((await handle.stat()).size !== length) await handle.truncate(length);
    }
  } catch (err) {
    for (const p of parts) await p.handle.close().catch(() => {});
    throw err;
  }
  return new Placed(outPath, size, partSize, parts, opts.partSize !== undefined, opts.companions ?? []);
}

class Placed implements BundleOutput {
  private staged: { tmp: string; final: string }[] = [];
  private listTmp: string | undefined;
  private closed = false;

  constructor(
    private readonly outPath: string,
    readonly size: number,
    private readonly partSize: number,
    private readonly parts: PartFile[],
    private readonly split: boolean,
    private readonly companions: Companion[],
  ) {}

  get files(): string[] {
    return this.parts.map((p) => p.tmp);
  }

  async writeAt(offset: number, buf: Uint8Array): Promise<void> {
    if (offset < 0 || offset + buf.length > this.size) throw new RangeError(`write of ${buf.length} at ${offset} outside ${this.size}`);
    for (const piece of piecesOf(offset, buf.length, this.partSize)) {
      const p = this.parts[piece.part] as PartFile;
      p.dirty = true;
      await writeAll(p.handle, buf.subarray(piece.from, piece.from + piece.length), p.final, piece.at);
    }
  }

  async readAt(offset: number, length: number): Promise<Buffer> {
    const out = Buffer.alloc(length);
    for (const piece of piecesOf(offset, length, this.partSize)) {
      const p = this.parts[piece.part] as PartFile;
      let done = 0;
      while (done < piece.length) {
        const { bytesRead } = await p.handle.read(out, piece.from + done, piece.length - done, piece.at + done);
        if (bytesRead === 0) break;
        done += bytesRead;
      }
    }
    return out;
  }

  async sync(): Promise<void> {
    for (const p of this.parts) {
      if (!p.dirty) continue;
      p.dirty = false;
      try {
        await p.handle.datasync();
      } catch (err) {
        throw fsError(err, p.final, 'cannot write');
      }
    }
  }

  async finish(wholeHash: boolean): Promise<{ sha256?: string }> {
    await this.sync();
    this.closed = true;
    for (const p of this.parts) await syncClose(p.handle, p.final);
    // Parts are written out of order, so their sha256 (and the whole tar's) is read back once the bundle is complete:
    // a read of what the page cache mostly still holds.
    const whole = wholeHash ? createHash('sha256') : undefined;
    const sums: string[] = [];
    if (this.split || whole)
      for (const p of this.parts) {
        const h = this.split ? createHash('sha256') : undefined;
        await hashFile(p.tmp, p.final, [h, whole]);
        if (h) sums.push(h.digest('hex'));
      }
    this.staged = await stageCompanions(this.companions);
    if (this.split) await this.placeParts(sums);
    else {
      const only = this.parts[0] as PartFile;
      await swapIn(
        this.outPath,
        this.companions,
        this.staged,
        () => rename(only.tmp, this.outPath),
        () => partsFrom(this.outPath, 0),
      );
    }
    return whole ? { sha256: whole.digest('hex') } : {};
  }

  /** The parts list is written last, so an interrupted pull never leaves a list that points at an incomplete set. */
  private async placeParts(sums: string[]): Promise<void> {
    const list: PartsFile = {
      partsVersion: 1,
      bundle: basename(this.outPath),
      size: this.size,
      parts: this.parts.map((p, i) => ({ name: basename(p.final), size: p.size, sha256: sums[i] as string })),
    };
    const listPath = partsFileFor(this.outPath);
    this.listTmp = partialPath(listPath);
    const h = await create(this.listTmp, listPath);
    try {
      await writeAll(h, Buffer.from(`${JSON.stringify(list, null, 2)}\n`), listPath);
    } finally {
      await syncClose(h, listPath);
    }
    const place = async () => {
      for (const p of this.parts) await rename(p.tmp, p.final);
      // Parts an earlier, longer split left beyond the new last one.
      for (const p of await partsFrom(this.outPath, this.parts.length)) await remove(p);
      await rename(this.listTmp as string, listPath);
    };
    await swapIn(this.outPath, this.companions, this.staged, place, async () => [this.outPath]);
  }

  async abort(): Promise<void> {
    await this.close();
    for (const p of [...this.files, ...(this.listTmp ? [this.listTmp] : []), ...this.staged.map((s) => s.tmp)]) await removeTemp(p);
  }

  async keep(): Promise<void> {
    await this.close();
    // No longer this run's: the next run may adopt them (src/pull/journal.ts), even in this process.
    for (const f of this.files) releasePartial(f);
    for (const p of [...(this.listTmp ? [this.listTmp] : []), ...this.staged.map((s) => s.tmp)]) await removeTemp(p);
  }

  private async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const p of this.parts) await p.handle.close().catch(() => {});
  }
}

async function hashFile(path: string, final: string, into: (Hash | undefined)[]): Promise<void> {
  try {
    for await (const c of createReadStream(path, { highWaterMark: 1 << 20 })) for (const h of into) h?.update(c as Buffer);
  } catch (err) {
    throw fsError(err, final, 'cannot read back');
  }
}
