import { PassThrough, Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGunzip } from 'node:zlib';
import { Decompress } from 'fzstd';

export type Compression = 'gzip' | 'zstd' | 'none';

const GZIP_MAGIC = [0x1f, 0x8b];
const ZSTD_MAGIC = [0x28, 0xb5, 0x2f, 0xfd]; // RFC 8878 section 3.1.1: frame magic number 0xFD2FB528, little-endian

/** Compression of a byte string by its magic number; RKE2 publishes `.tar.zst` and `.tar.gz` image tarballs. */
export function sniffCompression(head: Uint8Array): Compression {
  const starts = (magic: number[]) => magic.every((b, i) => head[i] === b);
  if (starts(GZIP_MAGIC)) return 'gzip';
  if (starts(ZSTD_MAGIC)) return 'zstd';
  return 'none';
}

/**
 * A streaming zstd decoder. Node 20's zlib has no zstd, so this wraps fzstd (pure JS). fzstd handles windows up to
 * 2^25 bytes, which is exactly what RKE2's `zstd --long=25` needs. Output chunks are copied: fzstd may hand out views
 * of its window buffer, which it later overwrites.
 */
export function createZstdDecompress(): Transform {
  let decoder: Decompress;
  const t = new Transform({
    transform(chunk: Buffer, _enc, done) {
      try {
        decoder.push(chunk);
        done();
      } catch (err) {
        done(new Error(`zstd: ${(err as Error).message}`));
      }
    },
    flush(done) {
      try {
        decoder.push(new Uint8Array(0), true);
        done();
      } catch (err) {
        done(new Error(`zstd: ${(err as Error).message} (the stream ended early?)`));
      }
    },
  });
  decoder = new Decompress((data) => {
    if (data.length > 0) t.push(Buffer.from(data));
  });
  return t;
}

/**
 * The decompressed bytes of `source`, whatever of gzip, zstd or nothing it is compressed with (sniffed, not guessed
 * from a file name). Errors of either side end the returned stream with that error.
 */
export async function decompressed(source: Readable): Promise<{ stream: Readable; compression: Compression }> {
  const it = source[Symbol.asyncIterator]();
  const first = await it.next();
  const head: Buffer = first.done ? Buffer.alloc(0) : Buffer.from(first.value as Buffer);
  const compression = sniffCompression(head);
  async function* rest() {
    if (head.length > 0) yield head;
    for (;;) {
      const n = await it.next();
      if (n.done) return;
      yield n.value as Buffer;
    }
  }
  const raw = Readable.from(rest(), { objectMode: false });
  const decoder = compression === 'gzip' ? createGunzip() : compression === 'zstd' ? createZstdDecompress() : new PassThrough();
  const out = new PassThrough({ highWaterMark: 1 << 20 });
  pipeline(raw, decoder, out).catch((err: unknown) => out.destroy(err as Error));
  return { stream: out, compression };
}
