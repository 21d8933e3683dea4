import type { ByteSource } from '../bundle/byte-source.js';
import { BLOCK, type DecodedHeader, HeaderError, decodeHeader, paddingFor } from '../bundle/tar-format.js';
import { type EntrySink, STOP, TarStructureError } from '../bundle/tar-walk.js';

export { STOP, TarStructureError } from '../bundle/tar-walk.js';

/** Returned by `entry` for a member whose data the scan must not read: it is hashed elsewhere (hash-pool.ts). */
export const SKIP = Symbol('skip');

export interface ScanVisitor {
  /**
   * A header; `offset` is where the member's data starts, `complete` whether the file holds all of it. A sink gets
   * the data here, in order; SKIP passes over it unread; STOP ends the scan before this member.
   */
  entry(h: DecodedHeader, offset: number, complete: boolean): EntrySink | typeof SKIP | typeof STOP;
  /** `n` more bytes were passed by the scan itself: everything but the data of skipped members. */
  bytes(n: number): void;
  /** Bytes after the end-of-archive marker, in order (`at`: the offset of `chunk[0]`). */
  trailing(chunk: Buffer, at: number): void;
}

/** Read-ahead for a header: it takes in the small members that follow it, and costs nothing before a large one. */
const HEADER_AHEAD = 64 << 10;
const WINDOW = 4 << 20;

/**
 * The verify pass's walk over a tar (the same structure rules and messages as tar-walk.ts): it reads headers and
 * the data of the members the visitor takes, and seeks over the data of the ones it skips, so the bulk of the
 * bytes is left to the hashing workers. Structure errors throw TarStructureError once everything before them was
 * given to the visitor; the archive's end is where its size says, so a member cut short is known from its header.
 */
export async function scanMembers(src: ByteSource, visitor: ScanVisitor): Promise<{ stopped?: true }> {
  const win = new Window(src);
  let pos = 0;
  for (;;) {
    const head = await win.view(pos, BLOCK, HEADER_AHEAD);
    if (head.length < BLOCK) {
      visitor.bytes(src.size - pos);
      throw new TarStructureError('archive ends without the end-of-archive marker (truncated)', src.size);
    }
    const h = decode(head, pos);
    if (h === 'end') return await endOfArchive(src, win, visitor, pos);
    const offset = pos + BLOCK;
    const complete = offset + h.size <= src.size;
    const sink = visitor.entry(h, offset, complete);
    if (sink === STOP) return { stopped: true };
    visitor.bytes(BLOCK);
    if (sink === SKIP) {
      if (!complete) visitor.bytes(src.size - offset);
    } else {
      await feed(win, sink, offset, h.size, visitor);
    }
    if (!complete) {
      throw new TarStructureError(
        `archive ends inside "${h.path}", ${offset + h.size - src.size} bytes short (truncated)`,
        src.size,
        h.path,
      );
    }
    if (sink !== SKIP) sink.end();
    const next = offset + h.size + paddingFor(h.size);
    if (next > src.size) {
      visitor.bytes(src.size - offset - h.size);
      throw new TarStructureError('archive ends without the end-of-archive marker (truncated)', src.size);
    }
    visitor.bytes(next - offset - h.size);
    pos = next;
  }
}

/** Gives a member's data (as much of it as the file holds) to its sink. */
async function feed(win: Window, sink: EntrySink, offset: number, size: number, visitor: ScanVisitor): Promise<void> {
  let at = offset;
  const end = offset + size;
  while (at < end) {
    const piece = await win.view(at, Math.min(WINDOW, end - at), WINDOW);
    if (piece.length === 0) return;
    sink.data(piece);
    visitor.bytes(piece.length);
    at += piece.length;
  }
}

/** The second zero block, then whatever follows the marker (given to `trailing`). */
async function endOfArchive(src: ByteSource, win: Window, visitor: ScanVisitor, pos: number): Promise<{ stopped?: true }> {
  const second = await win.view(pos + BLOCK, BLOCK, HEADER_AHEAD);
  if (second.length < BLOCK) {
    visitor.bytes(src.size - pos);
    throw new TarStructureError('archive ends after a lone zero block (truncated)', src.size);
  }
  if (decode(second, pos + BLOCK) !== 'end') {
    throw new TarStructureError(`a lone zero block at byte ${pos} is followed by more data`, pos + BLOCK);
  }
  visitor.bytes(2 * BLOCK);
  for (let at = pos + 2 * BLOCK; at < src.size;) {
    const piece = await win.view(at, Math.min(WINDOW, src.size - at), WINDOW);
    if (piece.length === 0) break;
    visitor.trailing(piece, at);
    visitor.bytes(piece.length);
    at += piece.length;
  }
  return {};
}

function decode(block: Buffer, at: number): DecodedHeader | 'end' {
  try {
    return decodeHeader(block, 0);
  } catch (err) {
    if (err instanceof HeaderError) throw new TarStructureError(`${err.message} (at byte ${at})`, at);
    throw err;
  }
}

/** One reused buffer over the file: views of it are valid until the next `view`. */
class Window {
  private readonly buf = Buffer.allocUnsafe(WINDOW);
  private start = 0;
  private length = 0;

  constructor(private readonly src: ByteSource) {}

  /** Up to `n` bytes at `at` (fewer only at the end of the file), reading `ahead` bytes when it must read. */
  async view(at: number, n: number, ahead: number): Promise<Buffer> {
    const want = Math.min(n, this.src.size - Math.min(at, this.src.size));
    if (at < this.start || at + want > this.start + this.length) {
      const len = Math.min(Math.max(want, ahead), WINDOW, this.src.size - at);
      let done = 0;
      while (done < len) {
        const got = await this.src.read(this.buf, done, len - done, at + done);
        if (got === 0) break;
        done += got;
      }
      this.start = at;
      this.length = done;
    }
    const from = at - this.start;
    return this.buf.subarray(from, Math.min(from + want, this.length));
  }
}
