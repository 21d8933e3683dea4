import { createGunzip } from 'node:zlib';
import { type ByteInput, chunksOf, feed } from './byte-input.js';
import { FerryError } from './errors.js';
import { splitPieces, type SplitLimits } from './gunzip-bounded.js';
import { XzDataError, xzChunks } from './xz-decode.js';

export type IndexForm = 'xz' | 'gz' | 'none';
export type { ByteInput } from './byte-input.js';

/** Form of an index from its path in a Release: `.xz`, `.gz`, or uncompressed. */
export function indexFormOf(path: string): IndexForm {
  if (path.endsWith('.xz')) return 'xz';
  if (path.endsWith('.gz')) return 'gz';
  return 'none';
}

export interface PieceErrors {
  tooBig: () => FerryError;
  pieceTooLong: () => FerryError;
  /** The compressed bytes do not decode (truncated, corrupt, not that format). Default: INTEGRITY_FAILED. */
  corrupt?: (detail: string) => FerryError;
}

/**
 * The bytes of `input` (held, or streamed in as it is read), decompressed as `form` says, as they come out: memory
 * holds a chunk of input and a chunk of output, and the output cap is enforced while the output is produced (an xz
 * or gzip bomb stops at `cap`: `tooBig()`). An xz stream that does not decode is `corrupt(detail)`; gzip's own
 * errors (zlib's, `incorrect header check`) pass as they are, as gunzipPieces lets them. A streamed input's own
 * failure (a read error, a digest mismatch at its end) is thrown as it is, also after the last output chunk.
 */
export async function* decompressChunks(
  input: ByteInput,
  form: IndexForm,
  cap: number,
  errors: Pick<PieceErrors, 'tooBig' | 'corrupt'>,
): AsyncGenerator<Buffer> {
  const corrupt = errors.corrupt ?? ((detail: string) => new FerryError('INTEGRITY_FAILED', `xz: ${detail}`, { detail }));
  const chunks = form === 'gz' ? gunzipChunks(input) : form === 'xz' ? decoded(xzChunks(input), corrupt) : chunksOf(input);
  let out = 0;
  for await (const chunk of chunks) {
    out += chunk.length;
    if (out > cap) throw errors.tooBig();
    yield chunk;
  }
}

/**
 * The UTF-8 text of `input`, decompressed as `form` says and cut at `separator`, with gunzipPieces' contract
 * (src/core/gunzip-bounded.ts) for every form: memory holds one chunk and one piece, the output cap is enforced
 * while the output is produced (an xz bomb stops at `cap`, as a gzip one does), empty pieces are skipped,
 * `tooBig()` past `cap` bytes, `pieceTooLong()` on a piece longer than `maxPiece`. Debian's -security and -updates
 * suites publish their Packages indexes as .xz only.
 */
export async function* decompressPieces(
  input: ByteInput,
  form: IndexForm,
  separator: RegExp,
  limits: SplitLimits,
  errors: PieceErrors,
): AsyncGenerator<string> {
  yield* splitPieces(decompressChunks(input, form, limits.cap, errors), separator, limits, errors);
}

/** A decoder's failure about its data, as the caller's FerryError; anything else (the input's own) as it is. */
async function* decoded(chunks: AsyncGenerator<Buffer>, corrupt: (detail: string) => FerryError): AsyncGenerator<Buffer> {
  try {
    yield* chunks;
  } catch (err) {
    throw err instanceof XzDataError ? corrupt(err.message) : err;
  }
}

/** gzip (any number of members, RFC 1952 §2.2) inflated as the consumer pulls; stopping early ends the inflater and the input. */
async function* gunzipChunks(input: ByteInput): AsyncGenerator<Buffer> {
  const inflate = createGunzip({ chunkSize: 1 << 16 });
  const fed = feed(input, inflate);
  try {
    for await (const chunk of inflate as AsyncIterable<Buffer>) yield chunk;
  } catch (err) {
    throw fed.failure() ?? err;
  } finally {
    inflate.destroy();
  }
  await fed.done;
  if (fed.failure()) throw fed.failure();
}
