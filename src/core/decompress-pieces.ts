import { StringDecoder } from 'node:string_decoder';
import { FerryError } from './errors.js';
import { gunzipPieces, type SplitLimits } from './gunzip-bounded.js';

/** How an index file is compressed, from its name: `Packages.xz`, `Packages.gz` or `Packages`. */
export type IndexForm = 'xz' | 'gz' | 'none';

export function indexFormOf(path: string): IndexForm {
  if (path.endsWith('.xz')) return 'xz';
  if (path.endsWith('.gz')) return 'gz';
  return 'none';
}

/**
 * Placeholder until the xz decoder lands: the same contract as `gunzipPieces` for every form, but xz is refused.
 */
export async function* decompressPieces(
  body: Buffer,
  form: IndexForm,
  separator: RegExp,
  limits: SplitLimits,
  errors: { tooBig: () => FerryError; pieceTooLong: () => FerryError },
): AsyncGenerator<string> {
  if (form === 'gz') {
    yield* gunzipPieces(body, separator, limits, errors);
    return;
  }
  if (form === 'xz') throw new FerryError('NOT_SUPPORTED', 'xz-compressed indexes are not supported yet');
  if (body.length > limits.cap) throw errors.tooBig();
  const decoder = new StringDecoder('utf8');
  let pending = '';
  for (let at = 0; at < body.length; at += 1 << 16) {
    const pieces = (pending + decoder.write(body.subarray(at, at + (1 << 16)))).split(separator);
    pending = pieces.pop() as string;
    if (pending.length > limits.maxPiece) throw errors.pieceTooLong();
    for (const p of pieces) if (p !== '') yield p;
  }
  pending += decoder.end();
  if (pending.trim() !== '') yield pending;
}
