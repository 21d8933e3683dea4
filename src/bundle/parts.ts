import { createReadStream, promises as fs } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { PassThrough, Readable } from 'node:stream';
import { FerryError } from '../core/errors.js';
import type { ByteSource } from './byte-source.js';

/**
 * Split bundles (docs/transfer.md): `BUNDLE.tar.000`, `.001`, … whose concatenation is the bundle, and
 * `BUNDLE.tar.parts.json` listing each part's size and sha256, so a bad part can be named and only it copied again.
 */
export interface PartsFile {
  partsVersion: 1;
  /** The unsplit bundle's file name. */
  bundle: string;
  size: number;
  parts: { name: string; size: number; sha256: string }[];
}

export const partName = (bundle: string, i: number) => `${bundle}.${String(i).padStart(3, '0')}`;
export const partsFileFor = (bundle: string) => `${bundle}.parts.json`;

/** `4G`, `700M`, `1500000000`: bytes. Binary units (FAT32's limit is 4 GiB - 1; `4G` gives 4 GiB - 1 for it). */
export function parseSize(text: string): number {
  const m = /^(\d+)([KMGT]i?B?)?$/i.exec(text.trim());
  if (!m) throw new FerryError('USAGE', `--split ${text}: expected a size such as 4G, 700M or a number of bytes`);
  const unit = (m[2] ?? '').toUpperCase().replace(/I?B$/, '');
  const mult = { '': 1, K: 1024, M: 1024 ** 2, G: 1024 ** 3, T: 1024 ** 4 }[unit] ?? 1;
  const n = Number(m[1]) * mult;
  // FAT32 cannot hold a file of exactly 4 GiB; "4G" means "as large as FAT32 allows".
  const size = unit === 'G' && Number(m[1]) === 4 ? n - 1 : n;
  if (size < 1 << 20) throw new FerryError('USAGE', `--split ${text}: parts must be at least 1 MiB`);
  return size;
}

/** Where a user may point ferry at a split bundle: the list, the first part, or the bundle name itself. */
export async function findPartsFile(path: string): Promise<string | undefined> {
  const candidates = path.endsWith('.parts.json')
    ? [path]
    : /\.\d{3}$/.test(path)
      ? [partsFileFor(path.slice(0, -4))]
      : [partsFileFor(path)];
  for (const c of candidates) {
    try {
      await fs.access(c);
      return c;
    } catch {
      // not split
    }
  }
  return undefined;
}

export async function readPartsFile(path: string): Promise<PartsFile> {
  let parsed: PartsFile;
  try {
    parsed = JSON.parse(await fs.readFile(path, 'utf8')) as PartsFile;
  } catch (err) {
    throw new FerryError('BUNDLE_INVALID', `${path} is not a parts list: ${(err as Error).message}`, { path });
  }
  if (parsed.partsVersion !== 1 || !Array.isArray(parsed.parts) || parsed.parts.length === 0) {
    throw new FerryError('BUNDLE_INVALID', `${path} is not a ferry parts list (partsVersion 1)`, { path });
  }
  return parsed;
}

/**
 * A split bundle seen as one byte sequence. Parts are read where they lie, never joined. Verify hashes each part
 * against the list itself, on its workers (src/verify/hash-plan.ts), which open the parts through `files()`.
 */
export class PartsByteSource implements ByteSource {
  private readonly starts: number[] = [];

  private constructor(
    readonly name: string,
    private readonly dir: string,
    readonly list: PartsFile,
    private readonly handles: fs.FileHandle[],
    readonly size: number,
  ) {
    let at = 0;
    for (const p of list.parts) {
      this.starts.push(at);
      at += p.size;
    }
  }

  static async open(partsPath: string): Promise<PartsByteSource> {
    const list = await readPartsFile(partsPath);
    const dir = dirname(partsPath);
    const handles: fs.FileHandle[] = [];
    try {
      for (const p of list.parts) {
        const path = join(dir, basename(p.name));
        let h: fs.FileHandle;
        try {
          h = await fs.open(path, 'r');
        } catch (err) {
          throw new FerryError('NOT_FOUND', `part ${p.name} of ${list.bundle} is missing (${(err as Error).message}): copy it again`, {
            part: p.name,
          });
        }
        handles.push(h);
        const st = await h.stat();
        if (st.size !== p.size)
          throw new FerryError(
            'BUNDLE_INVALID',
            `part ${p.name} is ${st.size} bytes, ${basename(partsPath)} says ${p.size}: copy it again`,
            { part: p.name },
          );
      }
    } catch (err) {
      await Promise.all(handles.map((h) => h.close()));
      throw err;
    }
    return new PartsByteSource(
      join(dir, list.bundle),
      dir,
      list,
      handles,
      list.parts.reduce((n, p) => n + p.size, 0),
    );
  }

  private partAt(position: number): number {
    let lo = 0;
    let hi = this.starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if ((this.starts[mid] as number) <= position) lo = mid;
      else hi = mid - 1;
    }
    return lo;
  }

  async read(buf: Buffer, offset: number, length: number, position: number): Promise<number> {
    if (position >= this.size || length === 0) return 0;
    const i = this.partAt(position);
    const within = position - (this.starts[i] as number);
    const n = Math.min(length, (this.list.parts[i]?.size ?? 0) - within);
    const { bytesRead } = await (this.handles[i] as fs.FileHandle).read(buf, offset, n, within);
    return bytesRead;
  }

  stream(start: number, length: number): Readable {
    if (length === 0) return Readable.from([]);
    const out = new PassThrough({ highWaterMark: 1 << 20 });
    const pieces: { path: string; start: number; end: number }[] = [];
    let pos = start;
    let left = length;
    while (left > 0) {
      const i = this.partAt(pos);
      const within = pos - (this.starts[i] as number);
      const n = Math.min(left, (this.list.parts[i]?.size ?? 0) - within);
      pieces.push({ path: join(this.dir, basename((this.list.parts[i] as { name: string }).name)), start: within, end: within + n - 1 });
      pos += n;
      left -= n;
    }
    (async () => {
      for (const p of pieces) {
        for await (const chunk of createReadStream(p.path, { start: p.start, end: p.end, highWaterMark: 1 << 20 })) {
          if (!out.write(chunk)) await new Promise((r) => out.once('drain', r));
        }
      }
      out.end();
    })().catch((err: unknown) => out.destroy(err as Error));
    return out;
  }

  /** Each part's path and where it lies in the bundle, for readers that open the parts themselves (verify's workers). */
  files(): { path: string; start: number; size: number }[] {
    return this.list.parts.map((p, i) => ({ path: join(this.dir, basename(p.name)), start: this.starts[i] as number, size: p.size }));
  }

  async close(): Promise<void> {
    await Promise.all(this.handles.map((h) => h.close()));
  }
}
