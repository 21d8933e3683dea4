import { FerryError } from '../core/errors.js';
import { type ByteSource, readExactly } from './byte-source.js';
import { BUNDLE_META_FILE, SUMS_FILE } from './format.js';
import { BLOCK, HeaderError, decodeHeader } from './tar-format.js';
import { scanTarIndex } from './tar-index.js';

const WRITTEN_BY = "expected a bundle written by 'ferry bundle pull'";
/** A ferry bundle's first header names SHA256SUMS: a file that starts so is a bundle, however damaged after that. */
const BUNDLE_START = Buffer.from(`${SUMS_FILE}\0`, 'latin1');

/**
 * Tells a file that is no ferry bundle at all from a damaged one, before a reader or verify looks at it: one line,
 * BUNDLE_INVALID, "not a tar archive" or "not a ferry bundle: no ferry-bundle.json". A file whose first header names
 * SHA256SUMS (format v1 puts it first), or a tar archive holding ferry-bundle.json, is a bundle: what is wrong with it
 * is for verify to report, entry by entry.
 */
export async function assertFerryBundle(src: ByteSource): Promise<void> {
  const head = await readExactly(src, 0, Math.min(BLOCK, src.size));
  if (head.subarray(0, BUNDLE_START.length).equals(BUNDLE_START)) return;
  if (src.size === 0) throw notTar(src, 'the file is empty');
  if (src.size < BLOCK) throw notTar(src, `${src.size} bytes, less than one tar header`);
  let first;
  try {
    first = decodeHeader(head, 0);
  } catch (err) {
    if (err instanceof HeaderError) throw notTar(src, 'its first 512 bytes are not a tar header');
    throw err;
  }
  if (first === 'end') throw notBundle(src, 'an empty tar archive');
  let paths: string[];
  try {
    paths = (await scanTarIndex(src)).map((e) => e.path);
  } catch {
    return; // a damaged archive: verify says where
  }
  if (!paths.includes(BUNDLE_META_FILE))
    throw notBundle(
      src,
      `a tar archive of ${paths.length} ${paths.length === 1 ? 'entry' : 'entries'}, the first ${JSON.stringify(first.path)}`,
    );
}

function notTar(src: ByteSource, why: string): FerryError {
  return new FerryError('BUNDLE_INVALID', `${src.name}: not a tar archive (${why}): ${WRITTEN_BY}`, { path: src.name, reason: 'not-tar' });
}

function notBundle(src: ByteSource, what: string): FerryError {
  return new FerryError('BUNDLE_INVALID', `${src.name}: not a ferry bundle: no ${BUNDLE_META_FILE} (${what}): ${WRITTEN_BY}`, {
    path: src.name,
    reason: 'not-ferry',
  });
}
