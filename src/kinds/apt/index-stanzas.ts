import { FerryError } from '../../core/errors.js';
import { decompressPieces, indexFormOf } from '../../core/decompress-pieces.js';

/**
 * The most ferry inflates of one Packages index, whatever a Release lists. The largest real ones are well under a
 * fifth of this (Debian and Ubuntu main/universe amd64: 50–100 MB uncompressed).
 */
export const INDEX_CEILING = 512 << 20;
/** Most stanzas one index may hold (real archives: about 65 000 per architecture). */
export const MAX_STANZAS = 300_000;
/** Longest stanza (a Description runs to a few KB; the longest real ones are under 100 KB). */
export const MAX_STANZA = 4 << 20;

/** Stanzas are separated by one or more blank lines (Debian Policy 5.1; a blank line may hold spaces or tabs). */
const BLANK_LINES = /\r?\n(?:[ \t]*\r?\n)+/;

/** Where an index comes from, and what vouches for its size: for the messages that name the file, cap and Release. */
export interface IndexSource {
  /** The Packages index (.xz, .gz or plain), as the user would find it (a URL, or its path in the bundle). */
  file: string;
  /** The signed Release that lists it: `InRelease` or `Release`, and where it is (a URL, or its path in the bundle). */
  release?: { file: string; at: string };
  /** Its path in the Release (`main/binary-amd64/Packages.xz`); its ending says how it is compressed. */
  path: string;
  /** The size the signed Release gives the uncompressed index (`main/binary-amd64/Packages`), when it lists one. */
  uncompressedSize?: number;
}

/** The cap on the inflated index: the size the signed Release lists for it, never more than INDEX_CEILING. */
export function indexCap(src: IndexSource): number {
  const listed = src.uncompressedSize;
  if (listed !== undefined && listed > INDEX_CEILING) {
    throw indexProblem(
      src,
      `the signed ${src.release?.file ?? 'Release'} lists ${uncompressed(src)} at ${listed} bytes, more than the ${INDEX_CEILING} bytes (512 MiB) ferry reads of one index`,
    );
  }
  return listed ?? INDEX_CEILING;
}

/**
 * The stanzas of a Packages index as raw text, decompressed (by the form its path names) and cut as they stream (memory: one stanza at a time). Fails
 * (INTEGRITY_FAILED) when the index inflates past its cap, or holds a stanza or a stanza count no real index has:
 * never a silently short or empty index.
 */
export async function* indexStanzas(body: Buffer, src: IndexSource): AsyncGenerator<string> {
  const cap = indexCap(src);
  const tooBig = () =>
    indexProblem(
      src,
      src.uncompressedSize !== undefined
        ? `expands past ${cap} bytes, the size the signed ${src.release?.file ?? 'Release'} lists for ${uncompressed(src)}`
        : src.release
          ? `expands past ${cap} bytes (512 MiB), the most ferry reads of an index the signed ${src.release.file} gives no size for`
          : `expands past ${cap} bytes (512 MiB), the most ferry reads of one index`,
    );
  const pieceTooLong = () => indexProblem(src, `holds a stanza longer than ${MAX_STANZA} bytes: not a Packages index`);
  // The bytes matched the signed Release, so a decoder failure means the archive signed a broken index: say which.
  const corrupt = (detail: string) => indexProblem(src, `cannot be decompressed (${indexFormOf(src.path)}: ${detail})`);
  let n = 0;
  const limits = { cap, maxPiece: MAX_STANZA };
  for await (const stanza of decompressPieces(body, indexFormOf(src.path), BLANK_LINES, limits, { tooBig, pieceTooLong, corrupt })) {
    if (++n > MAX_STANZAS) throw indexProblem(src, `holds more than ${MAX_STANZAS} stanzas, more than any real index`);
    yield stanza;
  }
}

function uncompressed(src: IndexSource): string {
  return src.path.replace(/\.(?:xz|gz)$/, '');
}

function indexProblem(src: IndexSource, what: string): FerryError {
  return new FerryError('INTEGRITY_FAILED', `${src.file}: ${what}${src.release ? ` (${src.release.at})` : ''}`, {
    file: src.file,
    ...(src.release ? { release: src.release.at } : {}),
  });
}
