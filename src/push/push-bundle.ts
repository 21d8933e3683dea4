import pLimit from 'p-limit';
import { type EventSink, inPhase, noEvents } from '../core/events.js';
import { walkGraph } from '../graph/walk.js';
import { isManifestLike } from '../graph/successors.js';
import { BundleReader } from '../bundle/reader.js';
import { copyGraph } from '../graph/copy.js';
import type { RegistryClient } from '../registry/client.js';
import { RegistryRepository } from '../registry/registry-repository.js';
import { BlobLedger, MountingTarget } from './mounting-target.js';
import { type ArchivePushItem, planArchivePush } from '../kinds/rke2/archive-plan.js';
import { type PushItem, planPush } from './plan-push.js';
import type { PushTarget } from '../registry/push-target.js';
import { pushArchiveImages } from '../kinds/rke2/push-archive-images.js';
import { checkDeltaBase } from './delta-check.js';
import { gateBundle } from '../validate/gate.js';
import { type BundleCounts, bundleCountsOf } from '../lock/counts.js';

export interface PushOptions {
  bundlePath: string;
  target: PushTarget;
  client: RegistryClient;
  dryRun?: boolean;
  /** Blob uploads in flight per image. */
  concurrency?: number;
  events?: EventSink;
}

export interface PushedImage {
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
  images: PushedImage[];
  plan: PushItem[];
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
    // Repository names and tags come from the bundle: checked before a single request is sent.
    await gateBundle(reader);
    const plan = planPush(reader.index(), opts.target);
    const registry = opts.target.registry;
    const taken = new Set(plan.filter((p) => p.tag !== undefined).map((p) => `${p.repository}:${p.tag}`));
    const archives = await planArchivePush(reader, opts.target, taken);
    for (const source of archives.skipped) events({ type: 'info', message: `  ${source}: pushed from spec.images, not from the RKE2 tarball` });
    const archiveItems = archives.plans.flatMap((a) => a.items);
    const fullPlan: PushItem[] = [
      ...plan,
      ...archives.plans.flatMap((a) => a.items.map((i) => ({ source: i.source, repository: i.repository, tag: i.tag, root: i.manifest.descriptor, archive: a.name }))),
    ];
    const counts = await bundleCountsOf(reader);
    if (opts.dryRun) return { registry, counts, plan: fullPlan, images: [] };
    if (reader.meta.delta) await checkDeltaBase(reader, plan, archives.plans, opts.client, registry, events);

    const ledger = new BlobLedger();
    // One repository object per image: it keeps the manifest bodies it pushed, so tagging does not fetch them back.
    const repos = plan.map((item) => new RegistryRepository(opts.client, registry, item.repository));
    const trackers = new Map<string, Map<string, Promise<void>>>();
    const trackerFor = (repository: string) => {
      let t = trackers.get(repository);
      if (!t) trackers.set(repository, (t = new Map()));
      return t;
    };

    // What is up to date (its tag already has its digest) is known first, so the push phase can announce the
    // bytes and blobs it will move: every blob of the rest, each counted once however many images share it.
    const limit = pLimit(4);
    const upToDate = await Promise.all(
      plan.map((item) =>
        limit(async () => {
          const current = item.tag !== undefined ? await opts.client.headManifest(registry, item.repository, item.tag) : undefined;
          return current?.digest === item.root.digest;
        }),
      ),
    );
    const archiveDone = new Set<ArchivePushItem>();
    for (const a of archives.plans) {
      for (const item of a.items) {
        const current = await opts.client.headManifest(registry, item.repository, item.tag);
        if (current?.digest === item.manifest.descriptor.digest) archiveDone.add(item);
      }
    }
    const toPush = new Map<string, number>();
    for (const d of await walkGraph(reader, plan.filter((_, i) => !upToDate[i]).map((p) => p.root))) if (!isManifestLike(d)) toPush.set(d.digest, d.size);
    for (const item of archiveItems) if (!archiveDone.has(item)) for (const b of [item.image.config, ...item.image.layers]) toPush.set(b.digest, b.size);
    events({
      type: 'phase',
      phase: 'push',
      detail: `${fullPlan.length} images to ${registry}`,
      totalBytes: [...toPush.values()].reduce((a, b) => a + b, 0),
      totalItems: toPush.size,
    });
    const pushEvents = inPhase(events, 'push');

    await Promise.all(
      plan.map((item, i) =>
        limit(async () => {
          if (upToDate[i]) {
            events({ type: 'artifact-done', kind: 'image', name: item.source, digest: item.root.digest, skipped: true });
            return;
          }
          events({ type: 'artifact-start', kind: 'image', name: item.source });
          const target = new MountingTarget(repos[i] as RegistryRepository, item.repository, ledger, pushEvents);
          await copyGraph(reader, target, item.root, {
            concurrency: opts.concurrency ?? 6,
            events: pushEvents,
            tracker: trackerFor(item.repository),
            subject: item.source,
          });
        }),
      ),
    );

    // Images inside RKE2 tarballs: an image whose tag already has its digest is done; the rest go per tarball.
    const holders = new Map<string, string[]>();
    for (const a of archives.plans) {
      const todo: ArchivePushItem[] = [];
      for (const item of a.items) {
        if (archiveDone.has(item)) {
          for (const b of [item.image.config, ...item.image.layers]) holders.set(b.digest, [...(holders.get(b.digest) ?? []), item.repository]);
          events({ type: 'artifact-done', kind: 'image', name: item.source, digest: item.manifest.descriptor.digest, skipped: true });
        } else {
          todo.push(item);
          events({ type: 'artifact-start', kind: 'image', name: item.source });
        }
      }
      if (todo.length > 0) await pushArchiveImages(reader, a, todo, opts.client, registry, pushEvents, holders);
    }

    events({ type: 'phase', phase: 'tag', totalItems: upToDate.filter((u) => !u).length + archiveItems.filter((i) => !archiveDone.has(i)).length });
    const images: PushedImage[] = [];
    for (const [i, item] of plan.entries()) {
      const done = upToDate[i] === true;
      if (!done && item.tag !== undefined) await (repos[i] as RegistryRepository).tag(item.root, item.tag);
      const target = `${registry}/${item.repository}${item.tag !== undefined ? `:${item.tag}` : `@${item.root.digest}`}`;
      if (!done) events({ type: 'artifact-done', kind: 'image', name: item.source, digest: item.root.digest });
      images.push({ source: item.source, target, digest: item.root.digest, upToDate: done });
    }
    for (const item of archiveItems) {
      const done = archiveDone.has(item);
      const m = item.manifest.descriptor;
      if (!done) {
        await opts.client.putManifest(registry, item.repository, item.tag, m.mediaType, item.manifest.body);
        events({ type: 'artifact-done', kind: 'image', name: item.source, digest: m.digest });
      }
      images.push({ source: item.source, target: `${registry}/${item.repository}:${item.tag}`, digest: m.digest, upToDate: done });
    }
    return { registry, counts, plan: fullPlan, images };
  } finally {
    await reader.close();
  }
}
