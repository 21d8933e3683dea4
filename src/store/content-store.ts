import { createHash, randomBytes } from 'node:crypto';
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

/** A blob to store: its size is unknown for files no server gave a Content-Length for. */
export interface Blob {
  digest: Digest;
  size?: number;
}

/** Opens the source of a blob at a byte offset (an HTTP Range request, in practice). */
export type OpenAt = (offset: number) => Promise<Readable>;

/**
 * The local content-addressed cache (after npm's cacache): `blobs/sha256/<hex>` holds only bytes that hashed to
 * their name. New content is written beside it, verified, then renamed into place, so a crash or a bad download
 * can never leave a wrong blob under a right name. Interrupted downloads keep their verified-so-far prefix in
 * `partial/<hex>` and resume from it on the next run.
 */
export class ContentStore implements Storage {
  constructor(readonly root: string) {}

  blobPath(digest: Digest): string {
    return join(this.root, 'blobs', 'sha256', digestHex(digest));
  }

  private partialPath(digest: Digest): string {
    return join(this.root, 'partial', digestHex(digest));
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
    const tmp = join(this.root, 'tmp', `${digestHex(desc.digest)}.${randomBytes(6).toString('hex')}`);
    await ensureDir(dirname(tmp));
    try {
      await pipeline(content, new VerifyingStream({ digest: desc.digest, size: desc.size, subject: `blob ${desc.digest}` }), createWriteStream(tmp));
      await this.commit(tmp, desc.digest);
    } catch (err) {
      await fs.rm(tmp, { force: true });
      throw diskError(err, tmp, 'cannot write to the cache:');
    }
  }

  /**
   * Stores a blob that may be fetched in pieces: bytes already in `partial/` (from an interrupted earlier run) are
   * re-hashed, then only the rest is requested. On a digest mismatch the partial file is discarded, so the next
   * attempt starts clean instead of resuming corrupt bytes.
   */
  async pushResumable(desc: Blob, openAt: OpenAt, subject: string): Promise<{ resumedFrom: number }> {
    if (desc.size !== undefined && (await this.exists({ ...desc, mediaType: '', size: desc.size }))) return { resumedFrom: desc.size };
    const partial = this.partialPath(desc.digest);
    await ensureDir(dirname(partial));
    const hash = createHash('sha256');
    let have = 0;
    try {
      for await (const c of createReadStream(partial, { highWaterMark: 1 << 20 })) {
        hash.update(c as Buffer);
        have += (c as Buffer).length;
      }
    } catch {
      have = 0;
    }
    if (desc.size !== undefined && have > desc.size) {
      await fs.rm(partial, { force: true });
      return this.pushResumable(desc, openAt, subject);
    }
    const verifier = new DigestVerifier({ digest: desc.digest, size: desc.size, subject }, { hash, size: have });
    try {
      // When the whole blob is already in partial/, only its final check remains.
      if (desc.size === undefined || have < desc.size) await appendVerified(await openAt(have), verifier, partial, have > 0);
      verifier.finish();
      await this.commit(partial, desc.digest);
      return { resumedFrom: have };
    } catch (err) {
      // Integrity failures poison the partial; transport failures keep it for the next resume.
      if (err instanceof FerryError && (err.code === 'DIGEST_MISMATCH' || err.code === 'SIZE_MISMATCH')) {
        await fs.rm(partial, { force: true });
      }
      throw diskError(err, partial, 'cannot write to the cache:');
    }
  }

  private async commit(tmp: string, digest: Digest): Promise<void> {
    const final = this.blobPath(digest);
    await ensureDir(dirname(final));
    await fs.rename(tmp, final);
  }
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
