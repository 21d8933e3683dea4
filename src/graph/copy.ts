import { Readable } from 'node:stream';
import { counted, readAll } from '../core/streams.js';
import pLimit, { type LimitFunction } from 'p-limit';
import { VerifyingStream, verifiedStream } from '../core/digest.js';
import type { Descriptor } from '../core/media-types.js';
import { isTransient } from '../core/errors.js';
import { type EventSink, noEvents } from '../core/events.js';
import { type ReadOnlyStorage, type Storage, isRangeSource, isResumableTarget } from './storage.js';
import { heldAlone, isManifestLike, malformedReporter, successors } from './successors.js';

export interface CopyOptions {
  /** Blob transfers in flight at once (manifests are small and not limited, which also rules out deadlock). */
  concurrency?: number;
  /** A limiter shared by several copies, so a whole pull or push keeps one global bound on blob transfers. */
  limit?: LimitFunction;
  events?: EventSink;
  /**
   * Shared between copies into the same target so a blob used by twenty images moves once. Keyed by digest; the
   * promise settles when the node is in the target.
   */
  tracker?: Map<string, Promise<void>>;
  /** Extra context for error messages and events (an image reference, a repository). */
  subject?: string;
}

/**
 * The one graph copy, used for pull (registry → cache) and push (bundle → registry): children first, so a target
 * never holds a manifest whose blobs are missing; a node already in the target is skipped with its subtree, because
 * a store only ever accepts a manifest after its children. Every byte read from the source passes a VerifyingStream.
 */
export async function copyGraph(src: ReadOnlyStorage, dst: Storage, root: Descriptor, opts: CopyOptions = {}): Promise<void> {
  const events = opts.events ?? noEvents;
  const tracker = opts.tracker ?? new Map<string, Promise<void>>();
  const limit = opts.limit ?? pLimit(opts.concurrency ?? 8);
  const subject = opts.subject ?? root.digest;

  const visit = (desc: Descriptor): Promise<void> => {
    let p = tracker.get(desc.digest);
    if (!p) {
      p = copyNode(desc);
      tracker.set(desc.digest, p);
      // A failed node may be retried by a later copy; do not cache the failure.
      p.catch(() => tracker.delete(desc.digest));
    }
    return p;
  };

  const copyNode = async (desc: Descriptor): Promise<void> => {
    if (await dst.exists(desc)) {
      // Blobs only: progress counts blobs against totals that leave the (small) manifests out.
      if (!isManifestLike(desc)) events({ type: 'blob', action: 'exists', digest: desc.digest, size: desc.size });
      return;
    }
    // An upstream index carried alone (successors.ts heldAlone) is copied as the bytes it is, without its children.
    if (isManifestLike(desc) && !heldAlone(desc)) {
      const body = await readVerified(src, desc, `${subject}: manifest ${desc.digest}`);
      await Promise.all(successors(desc, body, malformedReporter(src)).map(visit));
      await dst.push(desc, Readable.from([body]));
      return;
    }
    await limit(() => withRetries(() => copyBlob(desc), events, subject));
  };

  const copyBlob = async (desc: Descriptor): Promise<void> => {
    const blobSubject = `${subject}: blob ${desc.digest}`;
    if (isRangeSource(src) && isResumableTarget(dst)) {
      // The target verifies (it re-hashes any kept prefix); we only count bytes for progress.
      await dst.pushResumable(desc, async (offset) => counted(await src.fetchAt(desc, offset), events), blobSubject);
    } else {
      const verified = new VerifyingStream({ digest: desc.digest, size: desc.size, subject: blobSubject });
      const source = await src.fetch(desc);
      source.on('error', (err) => verified.destroy(err));
      await dst.push(desc, counted(source, events).pipe(verified));
    }
    events({ type: 'blob', action: 'fetched', digest: desc.digest, size: desc.size });
  };

  await visit(root);
}

/** Reads a (small) manifest fully and checks it against its descriptor. */
export async function readVerified(src: Pick<ReadOnlyStorage, 'fetch'>, desc: Descriptor, subject: string): Promise<Buffer> {
  return readAll(verifiedStream(await src.fetch(desc), { digest: desc.digest, size: desc.size, subject }));
}

const BLOB_ATTEMPTS = 3;

/**
 * A blob transfer that failed part-way for a transient reason (connection lost, 5xx) is started again from the
 * source: request-level retries cannot replay a streamed body. Integrity failures are never retried.
 */
async function withRetries(fn: () => Promise<void>, events: EventSink, subject: string): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await fn();
    } catch (err) {
      if (attempt >= BLOB_ATTEMPTS || !isTransient(err)) throw err;
      events({ type: 'retry', url: subject, attempt, reason: (err as Error).message, delayMs: 0 });
    }
  }
}
