import pLimit from 'p-limit';
import { type EventSink, inPhase, noEvents } from '../core/events.js';
import { walkGraph } from '../graph/walk.js';
import { isManifestLike } from '../graph/successors.js';
import { BundleReader } from '../bundle/reader.js';
import type { RegistryClient } from '../registry/client.js';
import { BlobLedger } from './mounting-target.js';
import { type PushItem, planPush } from './plan-push.js';
import type { PushTarget } from '../registry/push-target.js';
import { type StepRun, copyGraphSteps, finishSteps, streamTarballSteps, tagSteps } from './execute-steps.js';
import type { PushedExtra } from '../kinds/facets/push.js';
import { checkDeltaBase } from './delta-check.js';
import { gateBundle } from '../validate/gate.js';
import { type BundleCounts, bundleCountsOf } from '../lock/counts.js';
import { blobPath } from '../bundle/format.js';
import { FerryError, isFerryError } from '../core/errors.js';

export interface PushOptions {
  bundlePath: string;
  target: PushTarget;
  client: RegistryClient;
  dryRun?: boolean;
  /** Blob uploads in flight per image. */
  concurrency?: number;
  events?: EventSink;
  /**
   * Runs on the opened bundle before anything else (the CLI's check of the front and the small members,
   * verify/push-check.ts): what it throws stops the push before the first request.
   */
  check?: (reader: BundleReader) => Promise<void>;
}

export interface PushedImage {
  kind: PushItem['kind'];
  source: string;
  target: string;
  digest: string;
  /** true when the tag already pointed at this digest and nothing was sent. */
  upToDate: boolean;
}

export interface PushResult {
  registry: string;
  /** What the bundle holds, by kind (the vocabulary every command's summary uses). */
  counts: BundleCounts;
  /** By plan step, in plan order. */
  images: PushedImage[];
  plan: PushItem[];
  /** What the kinds wrote after the tags (the referrers tag indexes of OCI 1.1 referrers), or found up to date. */
  extras: PushedExtra[];
}

/**
 * `ferry bundle push`: images go straight from the bundle file (random access, no extraction) to the registry.
 * Order (distribution-spec, "Pushing"): blobs, then manifests by digest, children before indexes — and only when
 * every image is complete are tags set, so a failed push never leaves a tag pointing at an incomplete image.
 * An image whose tag already resolves to its digest is skipped outright, which makes a repeated push cost one
 * HEAD per image.
 */
export async function pushBundle(opts: PushOptions): Promise<PushResult> {
  const events = opts.events ?? noEvents;
  const reader = await BundleReader.open(opts.bundlePath);
  try {
    await opts.check?.(reader);
    // Repository names and tags come from the bundle: checked before a single request is sent.
    await gateBundle(reader);
    const registry = opts.target.registry;
    const steps = await planPush(reader, opts.target, events);
    const plan = steps.map((s) => s.item);
    const counts = await bundleCountsOf(reader);
    if (opts.dryRun) return { registry, counts, plan, images: [], extras: [] };
    // The phase starts before the first request (the bar is up while the registry is asked what it has, however
    // slow or unreachable it is); its totals follow once the tags have been checked, as pull's fetch phase does.
    const detail = `${pushedWords(plan)} to ${registry}`;
    events({ type: 'phase', phase: 'push', detail });
    if (reader.meta.delta) await checkDeltaBase(reader, steps, opts.client, registry, events);

    // What is up to date (its tag already has its digest) is known first, so the push phase can announce the
    // bytes and blobs it will move: every blob of the rest, each counted once however many images share it.
    const limit = pLimit(4);
    const upToDate = await Promise.all(
      steps.map(({ item }) =>
        limit(async () => {
          const current = item.tag !== undefined ? await opts.client.headManifest(registry, item.repository, item.tag) : undefined;
          return current?.digest === item.root.digest;
        }),
      ),
    );
    const todo = steps.filter((_, i) => !upToDate[i]);
    const toPush = new Map<string, number>();
    const graphRoots = todo.flatMap((s) => (s.how.via === 'graph' ? [s.item.root] : []));
    for (const d of await walkGraph(reader, graphRoots)) if (!isManifestLike(d)) toPush.set(d.digest, d.size);
    for (const { how } of todo) if (how.via === 'tarball') for (const b of how.blobs) toPush.set(b.digest, b.size);
    events({
      type: 'phase',
      phase: 'push',
      detail,
      totalBytes: [...toPush.values()].reduce((a, b) => a + b, 0),
      totalItems: toPush.size,
    });
    const pushEvents = inPhase(events, 'push');

    const run: StepRun = {
      reader,
      client: opts.client,
      registry,
      events,
      pushEvents,
      ledger: new BlobLedger(),
      limit,
      concurrency: opts.concurrency ?? 6,
      upToDate,
    };
    // Each blob read from the bundle is hashed against its name as it goes up (graph/copy.ts, push-tarball.ts):
    // one that does not match stops the push here, before any tag moves.
    const repos = await namingDamage(reader.path, async () => {
      const r = await copyGraphSteps(steps, run);
      await streamTarballSteps(steps, run);
      return r;
    });
    // Tags last, once every image is complete.
    events({ type: 'phase', phase: 'tag', totalItems: todo.length });
    const images = await tagSteps(steps, repos, run);
    const extras = await finishSteps(steps, repos, run);
    return { registry, counts, plan, images, extras };
  } finally {
    await reader.close();
  }
}

/** `3 images` or `3 images and 2 referrers`: the referrers carried with them are counted apart. */
function pushedWords(plan: readonly PushItem[]): string {
  const referrers = plan.filter((p) => p.kind === 'referrer').length;
  const images = `${plan.length - referrers} images`;
  return referrers > 0 ? `${images} and ${referrers} referrer${referrers === 1 ? '' : 's'}` : images;
}

/**
 * A blob that does not hash to its name (or has another size) while it goes up: the push stops before the tag
 * phase, so no tag moves; the error names the bundle member, and keeps its code (exit 3, cli/exit-codes.ts).
 * Blobs already uploaded stay in the registry, untagged (registries keep them only by digest).
 */
async function namingDamage<T>(bundle: string, body: () => Promise<T>): Promise<T> {
  try {
    return await body();
  } catch (err) {
    if (!isFerryError(err, 'DIGEST_MISMATCH') && !isFerryError(err, 'SIZE_MISMATCH')) throw err;
    const subject = String(err.details.subject ?? '');
    const hex = /sha256:([a-f0-9]{64})/.exec(subject)?.[1];
    const member = hex !== undefined ? blobPath(hex) : subject;
    throw new FerryError(
      err.code,
      `${bundle}: ${member} is damaged: ${err.message}\nno tag was set: replace the bundle (ferry bundle verify names every damaged member)`,
      { ...err.details, member, bundle },
    );
  }
}
