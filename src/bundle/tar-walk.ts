import type { ByteSource } from './byte-source.js';
import { BLOCK, type DecodedHeader, HeaderError, decodeHeader, paddingFor } from './tar-format.js';

/** Receives one member's data in order; chunks are views of a reused buffer, valid only during the call. */
export interface EntrySink {
  data(chunk: Buffer): void;
  end(): void;
}

/** Returned by `entry` to end the walk before this member: nothing more is read. */
export const STOP = Symbol('stop');

export interface WalkVisitor {
  /**
   * A header was read; `offset` is where the member's data starts. Returns the sink for its data, or STOP to end the
   * walk here (verify stops once SHA256SUMS and its signature fail, before it reads anything it would parse).
   */
  entry(h: DecodedHeader, offset: number): EntrySink | typeof STOP;
  /** `n` more bytes of the archive were consumed (for progress). */
  bytes(n: number): void;
  /**
   * Bytes after the end-of-archive marker, in order (`at`: the archive offset of `chunk[0]`). Given, the walk reads
   * to the end of the source; absent, it ends at the marker.
   */
  trailing?(chunk: Buffer, at: number): void;
}

export interface WalkResult {
  /** Where the archive ends (just after the end-of-archive marker), or the header the visitor stopped at. */
  endOffset: number;
  stopped?: true;
}

/** The archive's structure broke at `offset`; everything before it was delivered to the visitor. */
export class TarStructureError extends Error {
  constructor(
    message: string,
    readonly offset: number,
    /** The member whose data was cut short, if any. */
    readonly entryPath?: string,
  ) {
    super(message);
  }
}

/** 4 MiB reads: large enough that syscall and promise overhead vanish next to hashing, small enough for the cache. */
const READ_SIZE = 4 << 20;

/**
 * Streams a tar front to back exactly once, handing each member's data to a sink. Two buffers alternate: while
 * one is being hashed (synchronously, on this thread) the next read is already running in libuv's thread pool, so
 * reading and hashing overlap and the two cores both work. No allocation per chunk: sinks get subarray views.
 */
export async function walkTar(src: ByteSource, visitor: WalkVisitor, readSize = READ_SIZE): Promise<WalkResult> {
  const bufs = [Buffer.allocUnsafe(readSize), Buffer.allocUnsafe(readSize)] as const;
  const parser = new Parser(visitor);
  let pos = 0;
  let which = 0;
  let tarEnd: number | undefined; // set once the end marker is read and trailing bytes are being delivered
  let pending: Promise<number> = src.read(bufs[0], 0, readSize, 0);
  try {
    for (;;) {
      const n = await pending;
      if (n === 0) {
        if (tarEnd !== undefined) return { endOffset: tarEnd };
        parser.eof(pos);
        return { endOffset: pos };
      }
      const buf = bufs[which] as Buffer;
      const readAt = pos;
      pos += n;
      which ^= 1;
      // Start the next read before processing this buffer: the overlap is the point.
      pending = pos < src.size ? src.read(bufs[which] as Buffer, 0, readSize, pos) : Promise.resolve(0);
      if (tarEnd !== undefined) {
        visitor.trailing?.(buf.subarray(0, n), readAt);
        visitor.bytes(n);
        continue;
      }
      const endOffset = parser.feed(buf, n, readAt);
      if (endOffset === undefined) continue;
      if (parser.stopped) return { endOffset, stopped: true };
      if (!visitor.trailing) return { endOffset };
      tarEnd = endOffset;
      if (endOffset < pos) {
        visitor.trailing(buf.subarray(endOffset - readAt, n), endOffset);
        visitor.bytes(pos - endOffset);
      }
    }
  } finally {
    // Never leave a read in flight into a buffer (or a file handle the caller is about to close).
    await pending.catch(() => 0);
  }
}

type Mode = 'header' | 'data' | 'pad' | 'end2';

class Parser {
  private mode: Mode = 'header';
  private remaining = 0;
  private sink?: EntrySink;
  private current?: DecodedHeader;
  private readonly block = Buffer.alloc(BLOCK);
  private blockFill = 0;
  stopped = false;

  constructor(private readonly visitor: WalkVisitor) {}

  /** Consumes `buf[0…n)`, which starts at archive offset `base`. Returns the end offset once the end marker is read. */
  feed(buf: Buffer, n: number, base: number): number | undefined {
    let p = 0;
    while (p < n) {
      if (this.mode === 'data') {
        const take = Math.min(this.remaining, n - p);
        (this.sink as EntrySink).data(buf.subarray(p, p + take));
        p += take;
        this.remaining -= take;
        if (this.remaining === 0) this.finishData();
        continue;
      }
      if (this.mode === 'pad') {
        const take = Math.min(this.remaining, n - p);
        p += take;
        this.remaining -= take;
        if (this.remaining === 0) this.mode = 'header';
        continue;
      }
      // A header (or end-marker) block, possibly split across two reads.
      let blockBuf: Buffer;
      let blockOff: number;
      if (this.blockFill === 0 && n - p >= BLOCK) {
        blockBuf = buf;
        blockOff = p;
        p += BLOCK;
      } else {
        const take = Math.min(BLOCK - this.blockFill, n - p);
        buf.copy(this.block, this.blockFill, p, p + take);
        this.blockFill += take;
        p += take;
        if (this.blockFill < BLOCK) continue;
        this.blockFill = 0;
        blockBuf = this.block;
        blockOff = 0;
      }
      const at = base + p - BLOCK;
      const end = this.onBlock(blockBuf, blockOff, at);
      if (end !== undefined) {
        this.visitor.bytes(p);
        return end;
      }
    }
    this.visitor.bytes(n);
    return undefined;
  }

  private onBlock(buf: Buffer, off: number, at: number): number | undefined {
    let h: DecodedHeader | 'end';
    try {
      h = decodeHeader(buf, off);
    } catch (err) {
      if (err instanceof HeaderError) throw new TarStructureError(`${err.message} (at byte ${at})`, at);
      throw err;
    }
    if (this.mode === 'end2') {
      if (h !== 'end') throw new TarStructureError(`a lone zero block at byte ${at - BLOCK} is followed by more data`, at);
      return at + BLOCK;
    }
    if (h === 'end') {
      this.mode = 'end2';
      return undefined;
    }
    this.current = h;
    const sink = this.visitor.entry(h, at + BLOCK);
    if (sink === STOP) {
      this.stopped = true;
      return at;
    }
    this.sink = sink;
    this.remaining = h.size;
    this.mode = 'data';
    if (h.size === 0) this.finishData();
    return undefined;
  }

  private finishData(): void {
    (this.sink as EntrySink).end();
    this.sink = undefined;
    this.remaining = paddingFor((this.current as DecodedHeader).size);
    this.mode = this.remaining === 0 ? 'header' : 'pad';
  }

  eof(at: number): void {
    if (this.mode === 'data') {
      const path = this.current?.path;
      throw new TarStructureError(`archive ends inside "${path}", ${this.remaining} bytes short (truncated)`, at, path);
    }
    const where = this.mode === 'end2' ? 'after a lone zero block' : 'without the end-of-archive marker';
    throw new TarStructureError(`archive ends ${where} (truncated)`, at);
  }
}
