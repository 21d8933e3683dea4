import { createReadStream, promises as fs } from 'node:fs';
import { Readable } from 'node:stream';
import { FerryError } from '../core/errors.js';
import { inputFileError } from '../core/input-file.js';

/**
 * The one seam through which bundle readers touch bytes: positional reads and ranged streams over a logical byte
 * sequence. Today that is one file; a bundle split into part files (bundle.tar.000, .001, …) only needs another
 * implementation of this interface that maps a logical offset to (part, offset) — the tar index, the reader and the
 * verifier work on logical offsets and never see files.
 */
export interface ByteSource {
  /** Total length in bytes. */
  readonly size: number;
  /** What to name in messages (a path). */
  readonly name: string;
  /** Reads up to `length` bytes at logical `position` into `buf[offset…]`; returns the count (0 at the end). */
  read(buf: Buffer, offset: number, length: number, position: number): Promise<number>;
  /** A stream of exactly the bytes [start, start + length). */
  stream(start: number, length: number): Readable;
  /** The files holding the bytes and where each lies, for readers that open them themselves (verify's workers). */
  files?(): { path: string; start: number; size: number }[];
  close(): Promise<void>;
}

class FileByteSource implements ByteSource {
  constructor(
    readonly name: string,
    private readonly handle: fs.FileHandle,
    readonly size: number,
  ) {}

  async read(buf: Buffer, offset: number, length: number, position: number): Promise<number> {
    const { bytesRead } = await this.handle.read(buf, offset, length, position);
    return bytesRead;
  }

  stream(start: number, length: number): Readable {
    if (length === 0) return Readable.from([]);
    // A fresh fd per stream (by path) keeps concurrent pushes independent of the shared handle's lifetime.
    return createReadStream(this.name, { start, end: start + length - 1, highWaterMark: 1 << 20 });
  }

  files(): { path: string; start: number; size: number }[] {
    return [{ path: this.name, start: 0, size: this.size }];
  }

  async close(): Promise<void> {
    await this.handle.close();
  }
}

export async function openFileSource(path: string): Promise<ByteSource> {
  let handle: fs.FileHandle;
  try {
    handle = await fs.open(path, 'r');
  } catch (err) {
    throw inputFileError(err, path, 'bundle');
  }
  try {
    const st = await handle.stat();
    if (!st.isFile())
      throw new FerryError(
        'BUNDLE_INVALID',
        `${path} is not a ferry bundle: not a regular file${st.isDirectory() ? ' (a directory)' : ''}`,
        { path },
      );
    return new FileByteSource(path, handle, st.size);
  } catch (err) {
    await handle.close();
    throw err;
  }
}

/** Reads exactly `length` bytes at `position` or throws (a short read means the source ended early). */
export async function readExactly(src: ByteSource, position: number, length: number, buf = Buffer.alloc(length)): Promise<Buffer> {
  let done = 0;
  while (done < length) {
    const n = await src.read(buf, done, length - done, position + done);
    if (n === 0) {
      throw new FerryError('BUNDLE_INVALID', `${src.name}: unexpected end of file at byte ${position + done} (truncated?)`, {
        path: src.name,
      });
    }
    done += n;
  }
  return buf;
}
