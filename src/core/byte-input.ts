import { Readable, type Writable, pipeline } from 'node:stream';

/** Compressed bytes to decode: held in memory, or streamed (a bundle member, a cached blob) so memory holds a chunk. */
export type ByteInput = Buffer | AsyncIterable<Buffer>;

/** The input as chunks of at most `slice` bytes (a held buffer is cut into views, a stream passes as it comes). */
export async function* chunksOf(input: ByteInput, slice = 1 << 16): AsyncGenerator<Buffer> {
  if (!Buffer.isBuffer(input)) {
    yield* input;
    return;
  }
  for (let at = 0; at < input.length; at += slice) yield input.subarray(at, at + slice);
}

/**
 * Feeds `input` into a decoder's writable side with backpressure, and tells the input's own failure (a read error,
 * a digest that did not match at the end of a verified stream) apart from the decoder going away: `failure()` is
 * the input's error, which callers rethrow as it is, ahead of whatever the decoder then says about a cut-off
 * stream. `done` settles when the feeding has stopped, either way. Stopping the decoder stops the feeding and
 * closes the input.
 */
export function feed(input: ByteInput, into: Writable): { done: Promise<void>; failure: () => unknown } {
  let failed: unknown;
  let failedSet = false;
  async function* watched(): AsyncGenerator<Buffer> {
    try {
      yield* chunksOf(input, 1 << 20);
    } catch (err) {
      failed = err;
      failedSet = true;
      throw err;
    }
  }
  const done = new Promise<void>((resolve) => {
    // The decoder may stop reading (corrupt data, or stopped by its consumer): its own end says why, not this.
    into.on('error', () => {});
    pipeline(Readable.from(watched(), { objectMode: false }), into, () => resolve());
  });
  return { done, failure: () => (failedSet ? (failed ?? new Error('the input failed')) : undefined) };
}
