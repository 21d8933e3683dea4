import pLimit from 'p-limit';
import { type EventSink, noEvents } from '../core/events.js';
import { BundleReader } from '../bundle/reader.js';
import { copyGraph } from '../graph/copy.js';
import type { RegistryClient } from '../registry/client.js';
import { RegistryRepository } from '../registry/registry-repository.js';
import { BlobLedger, MountingTarget } from './mounting-target.js';
import { type PushItem, type PushTarget, planPush } from './plan-push.js';

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
    const plan = planPush(reader.index(), opts.target);
    const registry = opts.target.registry;
    if (opts.dryRun) return { registry, plan, images: [] };

    const ledger = new BlobLedger();
    // One repository object per image: it keeps the manifest bodies it pushed, so tagging does not fetch them back.
    const repos = plan.map((item) => new RegistryRepository(opts.client, registry, item.repository));
    const trackers = new Map<string, Map<string, Promise<void>>>();
    const trackerFor = (repository: string) => {
      let t = trackers.get(repository);
      if (!t) trackers.set(repository, (t = new Map()));
      return t;
    };

    events({ type: 'phase', phase: 'push', detail: `${plan.length} images to ${registry}` });
    const limit = pLimit(4);
    const upToDate = await Promise.all(
      plan.map((item, i) =>
        limit(async () => {
          const repo = repos[i] as RegistryRepository;
          const current = item.tag !== undefined ? await opts.client.headManifest(registry, item.repository, item.tag) : undefined;
          if (current?.digest === item.root.digest) {
            events({ type: 'artifact-done', kind: 'image', name: item.source, digest: item.root.digest, skipped: true });
            return true;
          }
          events({ type: 'artifact-start', kind: 'image', name: item.source });
          const target = new MountingTarget(repo, item.repository, ledger, events);
          await copyGraph(reader, target, item.root, {
            concurrency: opts.concurrency ?? 6,
            events,
            tracker: trackerFor(item.repository),
            subject: item.source,
          });
          return false;
        }),
      ),
    );

    events({ type: 'phase', phase: 'tag' });
    const images: PushedImage[] = [];
    for (const [i, item] of plan.entries()) {
      const done = upToDate[i] === true;
      if (!done && item.tag !== undefined) await (repos[i] as RegistryRepository).tag(item.root, item.tag);
      const target = `${registry}/${item.repository}${item.tag !== undefined ? `:${item.tag}` : `@${item.root.digest}`}`;
      if (!done) events({ type: 'artifact-done', kind: 'image', name: item.source, digest: item.root.digest });
      images.push({ source: item.source, target, digest: item.root.digest, upToDate: done });
    }
    return { registry, plan, images };
  } finally {
    await reader.close();
  }
}
