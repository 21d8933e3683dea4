/**
 * The hashing a verify worker does: one contiguous stretch of the bundle read front to back with positional reads,
 * each chunk fed to every digest whose range it overlaps (a member's data, or a whole part of a split bundle, which
 * overlaps the members in it). Bytes are read once however many digests cover them.
 *
 * `hashRange` runs in worker threads that cannot import modules from disk (the single executable has none to
 * import: docs/install.md), so it is shipped to them as its own source text (hash-pool.ts) and must stay
 * self-contained: it uses only its parameters and JavaScript globals, never an import or a helper of this file.
 */

/** A byte range of the logical bundle, [start, end). */
export interface Span {
  start: number;
  end: number;
}

export interface RangeTask {
  /** What is read, front to back. */
  start: number;
  end: number;
  /** Digested ranges, each within [start, end); they may overlap. */
  hashes: Span[];
  /** The ranges whose bytes this task reports as progress: every byte of the bundle is reported by one reader. */
  owned: Span[];
}

export interface RangeIo {
  /** Reads up to `length` bytes at logical `position` into `buf[0…]`: the count, 0 at the end. */
  read(buf: Buffer, length: number, position: number): Promise<number>;
  sha256(): { update(data: Buffer): unknown; digest(encoding: 'hex'): string };
  progress(n: number): void;
}

/** Hex sha256 of each of `task.hashes`, in order. */
export async function hashRange(task: RangeTask, io: RangeIo, maxChunk: number): Promise<string[]> {
  const digests = task.hashes.map(() => io.sha256());
  const chunkSize = Math.max(1, Math.min(maxChunk, task.end - task.start)); // a small task needs no 4 MiB buffers
  const bufs = [Buffer.allocUnsafe(chunkSize), Buffer.allocUnsafe(chunkSize)];
  // Fills `buf` with [at, at + n) or throws: the range was planned inside the file, so a short read is a file that
  // shrank while being verified.
  const fill = async (buf: Buffer, at: number): Promise<number> => {
    const n = Math.min(chunkSize, task.end - at);
    let done = 0;
    while (done < n) {
      const got = await io.read(done === 0 ? buf : buf.subarray(done), n - done, at + done);
      if (got === 0) throw new Error(`unexpected end of file at byte ${at + done} (truncated while being verified?)`);
      done += got;
    }
    return n;
  };
  const overlap = (s: Span, from: number, to: number): [number, number] => [Math.max(s.start, from), Math.min(s.end, to)];
  let at = task.start;
  let which = 0;
  let pending: Promise<number> | undefined = at < task.end ? fill(bufs[0] as Buffer, at) : undefined;
  try {
    while (pending) {
      const n = await pending;
      const buf = bufs[which] as Buffer;
      const from = at;
      at += n;
      which ^= 1;
      // The next read runs while this chunk is hashed.
      pending = at < task.end ? fill(bufs[which] as Buffer, at) : undefined;
      task.hashes.forEach((h, i) => {
        const [s, e] = overlap(h, from, at);
        if (s < e) digests[i]?.update(buf.subarray(s - from, e - from));
      });
      let mine = 0;
      for (const o of task.owned) {
        const [s, e] = overlap(o, from, at);
        if (s < e) mine += e - s;
      }
      if (mine > 0) io.progress(mine);
    }
  } finally {
    // Never leave a read in flight into a buffer (or a file the caller is about to close).
    await pending?.catch(() => 0);
  }
  return digests.map((d) => d.digest('hex'));
}
