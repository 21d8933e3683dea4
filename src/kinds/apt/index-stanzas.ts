import { FerryError } from '../../core/errors.js';
import { type ByteInput, decompressChunks, indexFormOf } from '../../core/decompress-pieces.js';
import { stanzaBuffers } from './stanza-bytes.js';

/**
 * The most ferry inflates of one Packages index, whatever a Release lists. The largest real ones are well under a
 * fifth of this (Debian and Ubuntu main/universe amd64: 50–100 MB uncompressed).
 */
export const INDEX_CEILING = 512 << 20;
/** Most stanzas one index may hold (real archives: about 65 000 per architecture). */
export const MAX_STANZAS = 300_000;
/** Longest stanza (a Description runs to a few KB; the longest real ones are under 100 KB). */
export const MAX_STANZA = 4 << 20;

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
 * The stanzas of a Packages index as raw text, decompressed (by the form its path names) and cut as they stream
 * (memory: one stanza at a time). Fails as indexStanzaBuffers fails.
 */
export async function* indexStanzas(body: ByteInput, src: IndexSource): AsyncGenerator<string> {
  for await (const stanza of indexStanzaBuffers(body, src)) yield stanza.toString('utf8');
}

/**
 * The stanzas of a Packages index, held or streamed in (a bundle member, read as it is decoded), decompressed by
 * the form its path names and cut at blank lines as bytes (src/kinds/apt/stanza-bytes.ts): each is a view valid
 * until the next is asked for, so memory holds a chunk and a stanza whatever the index's size. Fails
 * (INTEGRITY_FAILED) when the index inflates past its cap, or holds a stanza or a stanza count no real index has:
 * never a silently short or empty index. A streamed input's own failure is thrown as it is.
 */
export async function* indexStanzaBuffers(body: ByteInput, src: IndexSource): AsyncGenerator<Buffer> {
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
  const decoded = decompressChunks(body, indexFormOf(src.path), cap, { tooBig, corrupt });
  for await (const stanza of stanzaBuffers(decoded, MAX_STANZA, pieceTooLong)) {
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
