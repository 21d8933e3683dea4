import { createHash } from 'node:crypto';
import { BLOCK, END_OF_ARCHIVE, paddingFor } from './tar-format.js';

/**
 * The bundle's layout, planned before a byte is fetched (docs/bundle-format.md "Layout"): every member's name and
 * size is known from the lock, and a ustar archive is each member's 512-byte header, its data, zero padding to the
 * next block, then two zero blocks. So every member's offset is known too, and the bundle can be written in any
 * order, each blob at its place as it arrives, with bytes identical to a sequential write of the same members.
 */
export interface PlannedMember {
  path: string;
  size: number;
  /** Offset of the member's tar header. */
  header: number;
  /** Offset of its first data byte (header + 512). */
  offset: number;
}

export interface BundleLayout {
  members: PlannedMember[];
  /** The whole tar's size, end-of-archive blocks included. */
  size: number;
}

/** Members in archive order: the layout a sequential writer would produce for them. */
export function planLayout(members: readonly { path: string; size: number }[]): BundleLayout {
  let at = 0;
  const planned = members.map(({ path, size }) => {
    const m: PlannedMember = { path, size, header: at, offset: at + BLOCK };
    at += BLOCK + size + paddingFor(size);
    return m;
  });
  return { members: planned, size: at + END_OF_ARCHIVE.length };
}

/** One line per member (`<header offset> <size> <path>`), then the total: what `layoutId` hashes, printable as is. */
export function layoutText(layout: BundleLayout): string {
  return `${layout.members.map((m) => `${m.header} ${m.size} ${m.path}\n`).join('')}size ${layout.size}\n`;
}

/**
 * Names the plan: the sha256 of its text. Two pulls of the same lock plan the same layout (sizes and names are the
 * lock's, the metadata deterministic), so a partial bundle left by one can be adopted by the next (resume).
 */
export function layoutId(layout: BundleLayout): string {
  return createHash('sha256').update(layoutText(layout)).digest('hex');
}

/** The pieces of `[offset, offset + length)` that fall in each part of `partSize` bytes (a split bundle). */
export function piecesOf(offset: number, length: number, partSize: number): { part: number; at: number; from: number; length: number }[] {
  const out: { part: number; at: number; from: number; length: number }[] = [];
  let done = 0;
  while (done < length) {
    const abs = offset + done;
    const part = Math.floor(abs / partSize);
    const at = abs - part * partSize;
    const n = Math.min(partSize - at, length - done);
    out.push({ part, at, from: done, length: n });
    done += n;
  }
  return out;
}
