import type { Readable } from 'node:stream';
import type { Descriptor } from '../core/media-types.js';
import type { Storage } from '../graph/storage.js';
import type { Blob, ContentStore, OpenAt } from '../store/content-store.js';

/**
 * The cache, seen by the fetch, with a doorbell for the bundle writer: the writer asks for blobs in bundle order
 * and waits for each one to arrive, so writing the bundle overlaps downloading instead of following it.
 */
export class Arrivals implements Storage {
  private readonly waiting = new Map<string, { promise: Promise<void>; resolve: () => void; reject: (err: unknown) => void }>();

  /** When `signal` aborts (the fetch failed), every wait rejects with its reason. */
  constructor(
    readonly store: ContentStore,
    private readonly signal: AbortSignal,
    /** Blobs a delta bundle leaves out: reported present, so the copy neither fetches nor waits for them. */
    private readonly omitted: ReadonlySet<string> = new Set(),
  ) {
    signal.addEventListener('abort', () => {
      for (const s of this.waiting.values()) s.reject(signal.reason);
    });
  }

  private slot(digest: string) {
    let s = this.waiting.get(digest);
    if (!s) {
      let resolve!: () => void;
      let reject!: (err: unknown) => void;
      const promise = new Promise<void>((res, rej) => ((resolve = res), (reject = rej)));
      promise.catch(() => {}); // observed by wait(); never an unhandled rejection
      s = { promise, resolve, reject };
      this.waiting.set(digest, s);
    }
    return s;
  }

  private arrived(digest: string): void {
    this.slot(digest).resolve();
  }

  /** Resolves once the blob is in the cache; rejects when the fetch has failed. */
  async wait(digest: string): Promise<void> {
    this.signal.throwIfAborted();
    await this.slot(digest).promise;
  }

  async exists(desc: Descriptor): Promise<boolean> {
    if (this.omitted.has(desc.digest)) return true;
    const yes = await this.store.exists(desc);
    if (yes) this.arrived(desc.digest);
    return yes;
  }

  fetch(desc: Descriptor): Promise<Readable> {
    return this.store.fetch(desc);
  }

  async push(desc: Descriptor, content: Readable): Promise<void> {
    await this.store.push(desc, content);
    this.arrived(desc.digest);
  }

  async pushResumable(desc: Blob, openAt: OpenAt, subject: string): Promise<unknown> {
    const r = await this.store.pushResumable(desc, openAt, subject);
    this.arrived(desc.digest);
    return r;
  }
}
