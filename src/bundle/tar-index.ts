import { FerryError } from '../core/errors.js';
import { type ByteSource, readExactly } from './byte-source.js';
import { BLOCK, type EntryKind, HeaderError, decodeHeader, isSafeEntryPath, paddingFor } from './tar-format.js';

/** One archive member: where its data starts in the (logical) archive and how long it is. */
export interface TarEntry {
  path: string;
  /** Byte offset of the entry's data (just after its header). */
  offset: number;
  size: number;
  kind: EntryKind;
}

/**
 * Lists a tar's members by reading only their 512-byte headers and seeking over the data, so indexing a 50 GB
 * bundle reads a few hundred kilobytes. Stops at the end-of-archive marker (two zero blocks, POSIX ustar); anything
 * after it (GNU tar pads to a 10 KiB record) is ignored. A member whose data would run past the end of the file,
 * a missing end marker, a duplicate or unsafe path, or a header type ferry does not write is BUNDLE_INVALID.
 */
export async function scanTarIndex(src: ByteSource): Promise<TarEntry[]> {
  const entries: TarEntry[] = [];
  const seen = new Set<string>();
  const block = Buffer.alloc(BLOCK);
  const invalid = (msg: string, at: number) =>
    new FerryError('BUNDLE_INVALID', `${src.name}: ${msg} (at byte ${at})`, { path: src.name, offset: at });
  let pos = 0;
  for (;;) {
    if (pos + BLOCK > src.size) throw invalid('archive ends without the end-of-archive marker (truncated?)', pos);
    await readExactly(src, pos, BLOCK, block);
    let h;
    try {
      h = decodeHeader(block, 0);
    } catch (err) {
      if (err instanceof HeaderError) throw invalid(err.message, pos);
      throw err;
    }
    if (h === 'end') {
      if (pos + 2 * BLOCK > src.size) throw invalid('archive ends after a lone zero block (truncated?)', pos);
      await readExactly(src, pos + BLOCK, BLOCK, block);
      if (decodeHeaderSafe(block) !== 'end') throw invalid('a lone zero block is followed by more data', pos);
      return entries;
    }
    if (!isSafeEntryPath(h.path)) throw invalid(`entry "${h.path}" has an unsafe path (absolute or with ..)`, pos);
    const name = h.kind === 'directory' && !h.path.endsWith('/') ? `${h.path}/` : h.path;
    if (seen.has(name)) throw invalid(`entry "${name}" appears twice`, pos);
    seen.add(name);
    const offset = pos + BLOCK;
    if (offset + h.size > src.size) {
      throw invalid(`entry "${name}" declares ${h.size} bytes but the file ends ${src.size - offset} bytes later (truncated?)`, pos);
    }
    entries.push({ path: name, offset, size: h.size, kind: h.kind });
    pos = offset + h.size + paddingFor(h.size);
  }
}

function decodeHeaderSafe(block: Buffer): ReturnType<typeof decodeHeader> | 'invalid' {
  try {
    return decodeHeader(block, 0);
  } catch {
    return 'invalid';
  }
}
