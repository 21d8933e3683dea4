import { FerryError } from './errors.js';
import { gunzipPieces, splitPieces, type SplitLimits } from './gunzip-bounded.js';
import { xzChunks } from './xz-decode.js';

export type IndexForm = 'xz' | 'gz' | 'none';

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
 * The UTF-8 text of `body`, decompressed as `form` says and cut at `separator`, with gunzipPieces' contract
 * (src/core/gunzip-bounded.ts) for every form: memory holds one chunk and one piece, the output cap is enforced
 * while the output is produced (an xz bomb stops at `cap`, as a gzip one does), empty pieces are skipped,
 * `tooBig()` past `cap` bytes, `pieceTooLong()` on a piece longer than `maxPiece`. Debian's -security and -updates
 * suites publish their Packages indexes as .xz only.
 */
export async function* decompressPieces(
  body: Buffer,
  form: IndexForm,
  separator: RegExp,
  limits: SplitLimits,
  errors: PieceErrors,
): AsyncGenerator<string> {
  if (form === 'gz') {
    yield* gunzipPieces(body, separator, limits, errors);
    return;
  }
  const corrupt = errors.corrupt ?? ((detail: string) => new FerryError('INTEGRITY_FAILED', `xz: ${detail}`, { detail }));
  yield* splitPieces(form === 'xz' ? decoded(xzChunks(body), corrupt) : slices(body), separator, limits, errors);
}

/** A decoder's failure, which is a plain Error about the input, as the caller's FerryError. */
async function* decoded(chunks: AsyncGenerator<Buffer>, corrupt: (detail: string) => FerryError): AsyncGenerator<Buffer> {
  try {
    yield* chunks;
  } catch (err) {
    throw err instanceof FerryError ? err : corrupt((err as Error).message);
  }
}

function* slices(body: Buffer): Generator<Buffer> {
  for (let at = 0; at < body.length; at += 1 << 16) yield body.subarray(at, at + (1 << 16));
}
