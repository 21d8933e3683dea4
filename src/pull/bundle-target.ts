import { createHash } from 'node:crypto';
import type { Readable } from 'node:stream';
import pLimit from 'p-limit';
import { type Digest, DigestVerifier } from '../core/digest.js';
import { FerryError } from '../core/errors.js';
import type { Descriptor } from '../core/media-types.js';
import type { PlannedBundle } from '../bundle/planned-bundle.js';
import type { ResumableTarget, Storage } from '../graph/storage.js';
import { CacheCopy } from '../store/cache-copy.js';
import type { Blob, ContentStore, OpenAt } from '../store/content-store.js';

/** Blobs copied from the cache into the bundle at once (reads of the cache, writes at their offsets). */
const FROM_CACHE_AT_ONCE = 4;
/** Chunk size when re-hashing a kept prefix. */
const REHASH_CHUNK = 1 << 20;

/**
 * The pull's copy target (src/graph/copy.ts): each blob the bundle holds is written straight into its planned place
 * (src/bundle/planned-bundle.ts), hashed as it is written, and counts as written only once its digest is verified. A
 * blob that arrives corrupted is refused: it is not marked written, so the next attempt (this run's retry or the next
 * run, resuming) fetches it again; its writes never leave its own region, so no neighbour is touched. What the cache
 * already holds (the kinds fetched before writing, and blobs of earlier pulls) is copied from it instead of fetched.
 */
export class BundleTarget implements Storage, ResumableTarget {
  private readonly fromCache = new Map<string, Promise<boolean>>();
  private readonly cacheLimit = pLimit(FROM_CACHE_AT_ONCE);
  private readonly inFlight = new Set<Promise<void>>();

  constructor(
    private readonly bundle: PlannedBundle,
    readonly store: ContentStore,
    private readonly signal: AbortSignal,
    /** Blobs a delta bundle leaves out: reported present, so the copy neither fetches nor waits for them. */
    private readonly omitted: ReadonlySet<string> = new Set(),
    /** Verified prefixes of blobs an earlier run left part-written in the adopted bundle (src/pull/journal.ts). */
    readonly prefixes: Map<string, number> = new Map(),
    /** `--cache-images`: also copy each fetched blob into the cache as it passes (src/store/cache-copy.ts). */
    private readonly cacheCopies = false,
  ) {}

  async exists(desc: Descriptor): Promise<boolean> {
    if (this.omitted.has(desc.digest)) return true;
    if (!this.bundle.member(desc.digest)) return this.store.exists(desc);
    if (this.bundle.isWritten(desc.digest)) return true;
    let p = this.fromCache.get(desc.digest);
    if (!p) {
      p = this.copyFromCache(desc);
      this.fromCache.set(desc.digest, p);
      p.catch(() => this.fromCache.delete(desc.digest));
    }
    return p;
  }

  private async copyFromCache(desc: Descriptor): Promise<boolean> {
    if (!(await this.store.exists(desc))) return false;
    await this.cacheLimit(async () => {
      this.signal.throwIfAborted();
      if (!this.bundle.isWritten(desc.digest)) await this.bundle.fill(desc.digest, await this.store.fetch(desc), this.signal);
    });
    return true;
  }

  fetch(desc: Descriptor): Promise<Readable> {
    return this.store.fetch(desc);
  }

  async push(desc: Descriptor, content: Readable): Promise<void> {
    if (!this.bundle.member(desc.digest)) return this.store.push(desc, content);
    if (this.bundle.isWritten(desc.digest)) {
      content.resume();
      return;
    }
    const verifier = new DigestVerifier({ digest: desc.digest, size: desc.size, subject: `blob ${desc.digest}` });
    await this.write(desc.digest, content, verifier, 0);
  }

  /**
   * A blob fetched in pieces (HTTP Range): a prefix an earlier run left in the adopted bundle is re-hashed from the
   * bundle and only the rest requested. A server that cannot continue there gets one fresh start from byte 0.
   */
  async pushResumable(desc: Blob, openAt: OpenAt, subject: string): Promise<{ resumedFrom: number }> {
    const size = desc.size as number;
    if (this.bundle.isWritten(desc.digest)) return { resumedFrom: size };
    for (let restarted = false; ; restarted = true) {
      if (this.signal.aborted) throw stoppedError();
      const have = restarted ? 0 : (this.prefixes.get(desc.digest) ?? 0);
      const verifier = new DigestVerifier({ digest: desc.digest, size, subject }, await this.rehash(desc.digest, have));
      try {
        await this.write(desc.digest, have < size ? await openAt(have) : undefined, verifier, have);
        return { resumedFrom: have };
      } catch (err) {
        if (!isRangeRefused(err)) throw err;
        if (!restarted) continue;
        throw new FerryError(
          'NETWORK_ERROR',
          `${subject}: ${err.message}; started again from byte 0 once and it broke off again; retry when the server is stable, or use a mirror that supports Range requests`,
          { ...err.details, retriable: false },
          { cause: err },
        );
      }
    }
  }

  private async rehash(digest: Digest, have: number) {
    const hash = createHash('sha256');
    for (let at = 0; at < have; at += REHASH_CHUNK) hash.update(await this.bundle.readBlob(digest, at, Math.min(REHASH_CHUNK, have - at)));
    return { hash, size: have };
  }

  /**
   * Streams `content` into the blob's region from `at`, through the verifier (which refuses a byte beyond the size
   * before it is written). Transport failures keep the prefix written so far for the next run; integrity failures
   * drop it.
   */
  private write(digest: Digest, content: Readable | undefined, verifier: DigestVerifier, at: number): Promise<void> {
    const p = this.writeInto(digest, content, verifier, at);
    this.inFlight.add(p);
    const done = () => this.inFlight.delete(p);
    p.then(done, done);
    return p;
  }

  /** Once the pull has failed: resolves when every blob write in progress has stopped (and kept its prefix). */
  async settled(): Promise<void> {
    while (this.inFlight.size > 0) await Promise.allSettled([...this.inFlight]);
  }

  private async writeInto(digest: Digest, content: Readable | undefined, verifier: DigestVerifier, at: number): Promise<void> {
    let pos = at;
    // A graph copy stops at its first failure while sibling fetches still arrive: once the pull has failed, a blob
    // that starts now writes nothing, not even a cache scratch file (settled() may already have returned).
    if (this.signal.aborted) throw stoppedError();
    // A blob resumed from a kept prefix is not copied: the cache would need that prefix too.
    const copy = this.cacheCopies && at === 0 && content ? await CacheCopy.open(this.store, digest) : undefined;
    try {
      if (content)
        for await (const chunk of content as AsyncIterable<Buffer>) {
          // The pull failed elsewhere: stop here, keeping what is written (the error is the first failure's).
          if (this.signal.aborted) throw stoppedError();
          verifier.update(chunk);
          await (copy
            ? Promise.all([this.bundle.writeBlob(digest, pos, chunk), copy.write(chunk)])
            : this.bundle.writeBlob(digest, pos, chunk));
          pos += chunk.length;
        }
      verifier.finish();
      await copy?.commit();
    } catch (err) {
      await copy?.discard();
      content?.destroy();
      // A prefix the server cannot continue is useless too (it ignores Range): the next attempt starts at byte 0.
      const integrity = err instanceof FerryError && ['DIGEST_MISMATCH', 'SIZE_MISMATCH', 'TOO_LARGE'].includes(err.code);
      if (integrity || isRangeRefused(err) || pos === 0) this.prefixes.delete(digest);
      else this.prefixes.set(digest, pos);
      this.bundle.forget(digest);
      throw err;
    }
    this.prefixes.delete(digest);
    this.bundle.markWritten(digest);
  }
}

/** The source cannot continue at the kept prefix (set by src/registry/resumable-body.ts). */
function isRangeRefused(err: unknown): err is FerryError {
  return err instanceof FerryError && err.details.rangeRefused === true;
}

function stoppedError(): Error {
  const err = new Error('stopped: the pull failed');
  err.name = 'AbortError';
  return err;
}
