import { type Hash, createHash } from 'node:crypto';
import { createReadStream, createWriteStream, promises as fs } from 'node:fs';
import { dirname, join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { once } from 'node:events';
import { readAll } from '../core/streams.js';
import { type Digest, DigestVerifier, VerifyingStream, digestHex } from '../core/digest.js';
import { FerryError } from '../core/errors.js';
import { diskError, ensureDir } from '../core/fs-errors.js';
import type { Descriptor } from '../core/media-types.js';
import type { Storage } from '../graph/storage.js';
import { claimAbandoned, sweepAbandoned, writerName } from './writers.js';

/** A blob to store: its size is unknown for files no server gave a Content-Length for. */
export interface Blob {
  digest: Digest;
  size?: number;
}

/** Opens the source of a blob at a byte offset (an HTTP Range request, in practice). */
export type OpenAt = (offset: number) => Promise<Readable>;

/**
 * The local content-addressed cache (after npm's cacache): `blobs/sha256/<hex>` holds only bytes that hashed to
 * their name. New content is written to a file of the writer's own (writers.ts), verified, then renamed into place,
 * so neither a crash, a bad download nor another ferry process writing the same blob can leave a wrong blob under a
 * right name, and a reader never sees a half-written one. Interrupted downloads keep their verified-so-far prefix in
 * `partial/` and the next writer of that blob resumes from it once its writer has died.
 */
export class ContentStore implements Storage {
  private swept = false;

  constructor(readonly root: string) {}

  blobPath(digest: Digest): string {
    return join(this.root, 'blobs', 'sha256', digestHex(digest));
  }

  async exists(desc: Descriptor): Promise<boolean> {
    try {
      const st = await fs.stat(this.blobPath(desc.digest));
      return st.size === desc.size;
    } catch {
      return false;
    }
  }

  async fetch(desc: Descriptor): Promise<Readable> {
    if (!(await this.exists(desc))) {
      throw new FerryError('NOT_FOUND', `blob ${desc.digest} is not in the cache at ${this.root}`, { digest: desc.digest });
    }
    return createReadStream(this.blobPath(desc.digest), { highWaterMark: 1 << 20 });
  }

  async readBuffer(desc: Descriptor): Promise<Buffer> {
    return readAll(await this.fetch(desc));
  }

  /** Size of a stored blob (for files whose size no server vouched for). */
  async sizeOf(digest: Digest): Promise<number> {
    return (await fs.stat(this.blobPath(digest))).size;
  }

  /** Stores a small in-memory blob (manifests ferry builds itself). */
  async putBuffer(desc: Descriptor, body: Buffer): Promise<void> {
    await this.push(desc, Readable.from([body]));
  }

  /** Stores bytes that must hash to `desc`; verifies before the rename that makes them visible. */
  async push(desc: Descriptor, content: Readable): Promise<void> {
    if (await this.exists(desc)) {
      content.resume();
      return;
    }
    const { tmp, writer } = await this.scratch(desc.digest);
    try {
      await pipeline(
        content,
        new VerifyingStream({ digest: desc.digest, size: desc.size, subject: `blob ${desc.digest}` }),
        createWriteStream(tmp),
      );
      await this.commit(tmp, desc.digest);
    } catch (err) {
      await fs.rm(tmp, { force: true });
      throw diskError(err, tmp, 'cannot write to the cache:');
    } finally {
      writer.release();
    }
  }

  /** A scratch file of this writer's own for blob `digest` (writers.ts); `writer.release()` it when done. */
  async scratch(digest: Digest): Promise<{ tmp: string; writer: ReturnType<typeof writerName> }> {
    const dir = join(this.root, 'tmp');
    await ensureDir(dir);
    if (!this.swept) {
      this.swept = true;
      await sweepAbandoned(dir);
    }
    const writer = writerName(digestHex(digest));
    return { tmp: join(dir, writer.name), writer };
  }

  /**
   * Stores a blob that may be fetched in pieces: a prefix left in `partial/` by a writer that died is claimed and
   * re-hashed, then only the rest is requested. On a digest mismatch the partial file is discarded, so the next
   * attempt starts clean instead of resuming corrupt bytes. A server that cannot continue at the kept prefix
   * (it ignores Range) gets one fresh start from byte 0; failing again, the partial is dropped and the error says so,
   * so no re-run is stuck behind a prefix it can never extend.
   */
  async pushResumable(desc: Blob, openAt: OpenAt, subject: string): Promise<{ resumedFrom: number }> {
    if (desc.size !== undefined && (await this.exists({ ...desc, mediaType: '', size: desc.size }))) return { resumedFrom: desc.size };
    const dir = join(this.root, 'partial');
    await ensureDir(dir);
    const hex = digestHex(desc.digest);
    const writer = writerName(hex);
    try {
      return await this.download(desc, openAt, subject, dir, join(dir, writer.name));
    } finally {
      writer.release();
    }
  }

  private async download(desc: Blob, openAt: OpenAt, subject: string, dir: string, mine: string): Promise<{ resumedFrom: number }> {
    await claimAbandoned(dir, digestHex(desc.digest), mine);
    for (let restarted = false; ; restarted = true) {
      const { hash, have } = await hashPrefix(mine);
      if (desc.size !== undefined && have > desc.size) {
        await fs.rm(mine, { force: true });
        continue;
      }
      const verifier = new DigestVerifier({ digest: desc.digest, size: desc.size, subject }, { hash, size: have });
      try {
        // When the whole blob is already in the partial, only its final check remains.
        if (desc.size === undefined || have < desc.size) await appendVerified(await openAt(have), verifier, mine, have > 0);
        // An empty blob (a file of 0 bytes) has nothing to append: its file must still exist to be renamed.
        else if (have === 0) await fs.writeFile(mine, '', { flag: 'a' });
        verifier.finish();
        await this.commit(mine, desc.digest);
        return { resumedFrom: have };
      } catch (err) {
        if (isRangeRefused(err)) {
          await fs.rm(mine, { force: true });
          if (!restarted) continue;
          throw new FerryError(
            'NETWORK_ERROR',
            `${subject}: ${err.message}; started again from byte 0 once and it broke off again. The partial download was dropped; retry when the server is stable, or use a mirror that supports Range requests`,
            { ...err.details, retriable: false },
            { cause: err },
          );
        }
        // Integrity failures poison the partial, and so does a cap reached (TOO_LARGE: resuming would only pass it
        // again); transport failures keep it for the next run to resume.
        if (err instanceof FerryError && (err.code === 'DIGEST_MISMATCH' || err.code === 'SIZE_MISMATCH' || err.code === 'TOO_LARGE'))
          await fs.rm(mine, { force: true });
        throw diskError(err, mine, 'cannot write to the cache:');
      }
    }
  }

  /**
   * Makes verified bytes visible under their name with one rename(2), atomic on POSIX, so a reader sees the old
   * state or the whole blob. When another writer got there first, its blob is kept once it hashes right (two verified
   * copies are identical); a wrong one left by an older ferry is replaced. Callers pass only verified bytes.
   */
  async commit(tmp: string, digest: Digest): Promise<void> {
    const final = this.blobPath(digest);
    await ensureDir(dirname(final));
    if (await hashesTo(final, digest)) {
      await fs.rm(tmp, { force: true });
      return;
    }
    await fs.rename(tmp, final);
  }
}

/** The source cannot continue at the kept prefix (set by src/registry/resumable-body.ts). */
function isRangeRefused(err: unknown): err is FerryError {
  return err instanceof FerryError && err.details.rangeRefused === true;
}

/** The sha256 state and length of a file's bytes (zero for a missing file). */
async function hashPrefix(path: string): Promise<{ hash: Hash; have: number }> {
  const hash = createHash('sha256');
  let have = 0;
  try {
    for await (const c of createReadStream(path, { highWaterMark: 1 << 20 })) {
      hash.update(c as Buffer);
      have += (c as Buffer).length;
    }
    return { hash, have };
  } catch {
    return { hash: createHash('sha256'), have: 0 };
  }
}

async function hashesTo(path: string, digest: Digest): Promise<boolean> {
  try {
    await fs.access(path);
  } catch {
    return false;
  }
  const { hash } = await hashPrefix(path);
  return `sha256:${hash.digest('hex')}` === digest;
}

/**
 * Appends a stream to a file through the verifier and, whatever happens, closes the file cleanly: the bytes that
 * arrived before a dropped connection must reach the disk, or the next run could not resume from them.
 */
async function appendVerified(input: Readable, verifier: DigestVerifier, path: string, append: boolean): Promise<void> {
  const out = createWriteStream(path, { flags: append ? 'a' : 'w' });
  const closed = new Promise<void>((resolve, reject) => {
    out.once('finish', resolve);
    out.once('error', reject);
  });
  try {
    for await (const chunk of input) {
      verifier.update(chunk as Buffer);
      if (!out.write(chunk)) await once(out, 'drain');
    }
  } finally {
    out.end();
    await closed;
  }
}
