import { StringDecoder } from 'node:string_decoder';
import { createGunzip, gunzipSync } from 'node:zlib';
import type { FerryError } from './errors.js';

/**
 * Decompression of untrusted gzip with an output cap. A few MB of gzip can expand a thousandfold (DEFLATE's best
 * ratio is about 1032:1, RFC 1951), and a file may hold any number of members (RFC 1952 §2.2), so the cap is on the
 * output, enforced while it is produced, never after. `tooBig` builds the error naming the file, the cap and who
 * set it.
 */
export function gunzipBounded(gz: Buffer, cap: number, tooBig: () => FerryError): Buffer {
  try {
    // Node stops inflating at maxOutputLength and throws ERR_BUFFER_TOO_LARGE (node:zlib, "maxOutputLength").
    return gunzipSync(gz, { maxOutputLength: Math.max(1, cap) });
  } catch (err) {
    if ((err as { code?: string }).code === 'ERR_BUFFER_TOO_LARGE') throw tooBig();
    throw err;
  }
}

export interface SplitLimits {
  /** Most bytes the stream may inflate to. */
  cap: number;
  /** Longest piece (characters) held while waiting for the next separator. */
  maxPiece: number;
}

/**
 * The UTF-8 text of a gzip stream, cut at `separator` (a global-free RegExp matching a whole run of separators) and
 * produced as the stream inflates: memory holds one chunk and one piece, whatever the output size, and no string
 * ever nears V8's limit (0x1fffffe8 characters). Empty pieces are skipped. Fails with `tooBig()` once more than
 * `cap` bytes come out, and with `pieceTooLong()` on a piece longer than `maxPiece` (a bomb without separators
 * would otherwise be one piece).
 */
export async function* gunzipPieces(
  gz: Buffer,
  separator: RegExp,
  limits: SplitLimits,
  errors: { tooBig: () => FerryError; pieceTooLong: () => FerryError },
): AsyncGenerator<string> {
  const inflate = createGunzip({ chunkSize: 1 << 16 });
  inflate.end(gz);
  try {
    yield* splitPieces(inflate as AsyncIterable<Buffer>, separator, limits, errors);
  } finally {
    inflate.destroy();
  }
}

/**
 * UTF-8 text cut at `separator` as its bytes arrive (any decoder's output): the cap on the bytes and on one piece,
 * as gunzipPieces states them. for-await ends the source (return()) on a throw or an early stop, which stops a
 * decoder at once.
 */
export async function* splitPieces(
  chunks: AsyncIterable<Buffer> | Iterable<Buffer>,
  separator: RegExp,
  limits: SplitLimits,
  errors: { tooBig: () => FerryError; pieceTooLong: () => FerryError },
): AsyncGenerator<string> {
  const decoder = new StringDecoder('utf8');
  let out = 0;
  let pending = '';
  for await (const chunk of chunks) {
    out += chunk.length;
    if (out > limits.cap) throw errors.tooBig();
    const pieces = (pending + decoder.write(chunk)).split(separator);
    pending = pieces.pop() as string;
    if (pending.length > limits.maxPiece) throw errors.pieceTooLong();
    for (const p of pieces) if (p !== '') yield p;
  }
  pending += decoder.end();
  if (pending.trim() !== '') yield pending;
}
