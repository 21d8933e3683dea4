import { promises as fs } from 'node:fs';
import type { Digest } from '../core/digest.js';
import { diskError } from '../core/fs-errors.js';
import type { ContentStore } from './content-store.js';

/**
 * A copy into the cache of a blob that is being written elsewhere (the pull's bundle, src/pull/bundle-target.ts):
 * the same chunks, written to a scratch file of this writer's own as they pass, and renamed into the cache only
 * after the caller has verified the whole blob against its digest (verify-before-rename, as for every cache write).
 * Not synced: the cache is a convenience that the next pull re-checks by size and the bundle's own digests vouch
 * for what it took from it, so losing an unsynced cache file to a crash costs a download, never correctness.
 */
export class CacheCopy {
  private at = 0;

  private constructor(
    private readonly store: ContentStore,
    private readonly digest: Digest,
    private readonly tmp: string,
    private readonly file: fs.FileHandle,
    private readonly release: () => void,
  ) {}

  static async open(store: ContentStore, digest: Digest): Promise<CacheCopy> {
    const { tmp, writer } = await store.scratch(digest);
    try {
      return new CacheCopy(store, digest, tmp, await fs.open(tmp, 'w'), writer.release);
    } catch (err) {
      writer.release();
      throw diskError(err, tmp, 'cannot write to the cache:');
    }
  }

  async write(chunk: Buffer): Promise<void> {
    try {
      await this.file.write(chunk, 0, chunk.length, this.at);
    } catch (err) {
      throw diskError(err, this.tmp, 'cannot write to the cache:');
    }
    this.at += chunk.length;
  }

  /** The blob is verified: make it visible in the cache. */
  async commit(): Promise<void> {
    try {
      await this.file.close();
      await this.store.commit(this.tmp, this.digest);
    } catch (err) {
      await fs.rm(this.tmp, { force: true });
      throw diskError(err, this.tmp, 'cannot write to the cache:');
    } finally {
      this.release();
    }
  }

  /** The blob was refused or the pull stopped: nothing of it stays in the cache. */
  async discard(): Promise<void> {
    await this.file.close().catch(() => {});
    await fs.rm(this.tmp, { force: true });
    this.release();
  }
}
