import { Header } from 'tar';
import { FerryError } from '../core/errors.js';
import { FILE_MODE, FIXED_MTIME } from './format.js';

/**
 * The ustar framing (POSIX.1-2001 pax "ustar Interchange Format"): 512-byte headers, data padded to 512, two zero
 * blocks at the end. Header fields are encoded and decoded by node-tar's Header class; this module only decides
 * which fields ferry sets and which entry types it accepts.
 */

export const BLOCK = 512;
export const END_OF_ARCHIVE = Buffer.alloc(2 * BLOCK);
const ZERO_BLOCK = Buffer.alloc(BLOCK);

/** Bytes of zero padding after `size` bytes of entry data. */
export function paddingFor(size: number): number {
  const r = size % BLOCK;
  return r === 0 ? 0 : BLOCK - r;
}

/** A zero-filled buffer of the padding length (shared; callers must not write into it). */
export function padding(size: number): Buffer {
  return ZERO_BLOCK.subarray(0, paddingFor(size));
}

/**
 * A regular-file header with ferry's fixed fields (docs/bundle-format.md "Determinism"). Paths must fit the 100-byte
 * name field or the ustar name/prefix split, because ferry never writes pax extended headers. Sizes of 8 GiB and
 * more do not fit the 11 octal digits of ustar; node-tar then writes the base-256 form (a GNU/star extension read by
 * GNU tar, bsdtar, Go's archive/tar and node-tar), which is the one non-ustar field a bundle may contain.
 */
export function encodeFileHeader(path: string, size: number): Buffer {
  if (!Number.isSafeInteger(size) || size < 0) throw new FerryError('INTERNAL', `tar entry ${path}: invalid size ${size}`);
  const h = new Header({
    path,
    mode: FILE_MODE,
    uid: 0,
    gid: 0,
    size,
    mtime: FIXED_MTIME,
    type: 'File',
    uname: '',
    gname: '',
  });
  const block = Buffer.alloc(BLOCK);
  h.encode(block, 0);
  // needPax is also set by a large size (base-256 is fine for us); check the path ourselves by decoding it back.
  const back = new Header(block);
  if (back.path !== path || !/^[\x21-\x7e]+$/.test(path)) {
    throw new FerryError('INTERNAL', `tar entry "${path}" does not fit a ustar header (ferry writes no pax headers)`, { path });
  }
  return block;
}

export type EntryKind = 'file' | 'directory';

export interface DecodedHeader {
  path: string;
  size: number;
  kind: EntryKind;
}

/** Why a header was rejected; callers wrap it in their own error or problem report. */
export class HeaderError extends Error {}

const PAX_TYPES = new Set(['x', 'g']);
const GNU_LONG_TYPES = new Set(['L', 'K']);

/**
 * Decodes the header block at `off`, or returns 'end' for a zero block (end of archive). Throws HeaderError for a
 * block that is not a valid header or an entry type ferry does not write: pax extended headers and GNU long names
 * would change the meaning of the *next* header, so silently skipping them could make two readers disagree about
 * what a file is called (the tar "interpretation conflict" class of bugs).
 */
export function decodeHeader(buf: Buffer, off: number): DecodedHeader | 'end' {
  if (buf.compare(ZERO_BLOCK, 0, BLOCK, off, off + BLOCK) === 0) return 'end';
  let h: Header;
  try {
    h = new Header(buf, off);
  } catch (err) {
    throw new HeaderError(`unreadable tar header: ${(err as Error).message}`);
  }
  if (!h.cksumValid) throw new HeaderError('tar header checksum is wrong (not a tar archive, or damaged)');
  const magic = buf.subarray(off + 257, off + 262).toString('latin1');
  if (magic !== 'ustar') throw new HeaderError('tar header lacks the ustar magic (pre-POSIX tar is not supported)');
  const type = h.typeKey;
  const path = h.path ?? '';
  if (PAX_TYPES.has(type)) {
    throw new HeaderError(`pax extended header before "${path}": not supported in a ferry bundle (format v1 is plain ustar)`);
  }
  if (GNU_LONG_TYPES.has(type)) {
    throw new HeaderError(`GNU long-name header: not supported in a ferry bundle (format v1 is plain ustar; paths fit 100 bytes)`);
  }
  let kind: EntryKind;
  if (type === '0' || type === '') kind = 'file';
  else if (type === '5') kind = 'directory';
  else throw new HeaderError(`entry "${path}" has tar type "${type}" (${h.type}); a ferry bundle holds only regular files`);
  const size = h.size;
  if (size === undefined || !Number.isSafeInteger(size) || size < 0) throw new HeaderError(`entry "${path}" has an unreadable size`);
  if (path === '') throw new HeaderError('entry with an empty name');
  return { path, size, kind };
}

/** A path that extracts inside the current directory: relative, no `..`, no empty or `.` components. */
export function isSafeEntryPath(path: string): boolean {
  const p = path.endsWith('/') ? path.slice(0, -1) : path;
  if (p === '' || p.startsWith('/') || p.includes('\\') || p.includes('\0')) return false;
  return p.split('/').every((c) => c !== '' && c !== '.' && c !== '..');
}
