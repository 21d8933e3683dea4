import { basename } from 'node:path';
import { Readable } from 'node:stream';
import type { Descriptor } from '../core/media-types.js';
import { isFerryError } from '../core/errors.js';
import type { EventSink } from '../core/events.js';
import type { Digest } from '../core/digest.js';
import { layoutId } from '../bundle/layout.js';
import { PlannedBundle } from '../bundle/planned-bundle.js';
import { type PlanInputs, type WriteBundleResult, planBundle } from '../bundle/writer.js';
import type { ContentStore } from '../store/content-store.js';
import { BundleTarget } from './bundle-target.js';
import { Journal, adoptPartial } from './journal.js';

export interface FillOptions extends Omit<PlanInputs, 'blobs' | 'signal'> {
  blobs: ReadonlyMap<string, number>;
  omitted: ReadonlySet<string>;
  store: ContentStore;
  /** Also copy each fetched blob into the cache (`--cache-images`). */
  cacheImages?: boolean;
  /** The user's interrupt (Ctrl-C): the partial bundle is then removed, not kept. */
  signal?: AbortSignal;
  events: EventSink;
  /**
   * Once every blob is written, before the bundle is renamed into place: a check over the written bytes (pull's
   * signature policy, src/pull/signature-check.ts). Its failure fails the pull like a failed copy.
   */
  afterFill?: (written: WrittenBlobs) => Promise<void>;
}

/** The blobs written so far, read back from the bundle being filled. */
export interface WrittenBlobs {
  has(digest: string): boolean;
  fetch(desc: Descriptor): Promise<Readable>;
}

/**
 * Writes the bundle in one pass (docs/architecture.md "Pull"): plan its layout from the lock, adopt the partial
 * bundle an interrupted run left for the same plan (or create the file at its final size), then run `copy` into a
 * target that writes each blob at its planned offset as it arrives; rename into place once every blob is written.
 * When the copy fails or the user interrupts, the partial bundle stays, with its journal, for the next run to resume —
 * unless the disk failed, which removes it. A kill (SIGKILL, power loss) leaves it too.
 */
export async function fillBundle(
  opts: FillOptions,
  copy: (target: BundleTarget, stop: AbortSignal) => Promise<void>,
): Promise<WriteBundleResult> {
  const plan = planBundle({ ...opts, blobs: { list: [...opts.blobs].map(([digest, size]) => ({ digest, size })) } });
  const id = layoutId(plan.layout);
  const adopted = await adoptPartial(opts.outPath, id);
  if (adopted)
    opts.events({
      type: 'info',
      message: `resuming the partial bundle an interrupted earlier run left: ${adopted.written.size} of ${plan.blobs.length} blobs already written`,
    });
  let journal: Journal | undefined;
  const bundle = await PlannedBundle.open(plan, {
    ...opts,
    ...(adopted ? { adopt: adopted } : {}),
    onDurable: async (digests) => journal?.written(digests),
  });
  try {
    journal = await Journal.create(opts.outPath, id, bundle.files, adopted);
  } catch (err) {
    await bundle.abort();
    throw err;
  }
  const failed = new AbortController();
  const stop = opts.signal ? AbortSignal.any([opts.signal, failed.signal]) : failed.signal;
  const target = new BundleTarget(bundle, opts.store, stop, opts.omitted, adopted?.prefixes, opts.cacheImages);
  try {
    await copy(target, stop).catch((err: unknown) => {
      failed.abort(err);
      throw err;
    });
    // Blobs no graph copy reached (the kinds fetched into the cache first): copied from the cache now.
    await Promise.all(
      [...opts.blobs].map(async ([digest, size]) => {
        if (!(await target.exists({ digest: digest as Digest, size, mediaType: '' })))
          throw new Error(`blob ${digest} is neither fetched nor in the cache`);
      }),
    );
    if (opts.afterFill) await opts.afterFill(writtenBlobs(bundle));
    opts.signal?.throwIfAborted();
    const result = await bundle.finish();
    await journal.remove();
    return result;
  } catch (err) {
    // The disk failed (a full disk wants its space back): nothing stays behind.
    if (isFerryError(err) && err.code === 'IO_ERROR') {
      await bundle.abort();
      await journal.remove();
    } else {
      // Interrupted (Ctrl-C) or failed: the partial bundle is the resume state (issue: "an interrupted pull keeps
      // the partial bundle"); its temporary name never looks like a finished bundle.
      failed.abort(err);
      await target.settled();
      await bundle.keep().catch(() => {});
      await journal.prefixes(target.prefixes).catch(() => {});
      await journal.close();
      // An interrupted command says one line ("ferry: interrupted"); the re-run says it resumes.
      if (!opts.signal?.aborted)
        opts.events({
          type: 'info',
          message: `kept the partial bundle ${basename(bundle.files[0] ?? opts.outPath)} (${bundle.writtenCount()} of ${plan.blobs.length} blobs written): the same pull resumes into it`,
        });
    }
    throw err;
  }
}

function writtenBlobs(bundle: PlannedBundle): WrittenBlobs {
  const has = (digest: string) => bundle.member(digest) !== undefined && bundle.isWritten(digest);
  return {
    has,
    async fetch(desc) {
      const m = bundle.member(desc.digest);
      if (!m || !has(desc.digest)) throw new Error(`blob ${desc.digest} is not written in this bundle`);
      return Readable.from([await bundle.readBlob(desc.digest, 0, m.size)]);
    },
  };
}
