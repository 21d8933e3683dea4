import { dirname, join } from 'node:path';
import pLimit from 'p-limit';
import type { Digest } from '../core/digest.js';
import { type EventSink, noEvents } from '../core/events.js';
import { writeBundle } from '../bundle/writer.js';
import { type HttpGetter, fetchFile, resolveFile } from '../fetchers/file-fetcher.js';
import { fetchImage, resolveImage } from '../fetchers/image-fetcher.js';
import { walkGraph } from '../graph/walk.js';
import { checkLockMatchesManifest, readLock, serializeLock, writeLockAtomic } from '../lock/lock-file.js';
import type { Lock } from '../lock/types.js';
import { loadManifest } from '../manifest/load.js';
import type { BundleManifest } from '../manifest/types.js';
import type { RegistryClient } from '../registry/client.js';
import { ContentStore } from '../store/content-store.js';
import { TOOL_VERSION } from '../version.js';
import { buildBundleIndex } from './bundle-index.js';

export interface PullOptions {
  manifestPath: string;
  outPath: string;
  /** --lock: fetch exactly this lock instead of resolving tags again. */
  lockPath?: string;
  cacheDir: string;
  client: RegistryClient;
  http: HttpGetter;
  /** Blob transfers in flight at once across the whole pull. */
  concurrency?: number;
  events?: EventSink;
  signal?: AbortSignal;
}

export interface PullResult {
  bundle: string;
  lockPath: string;
  bytes: number;
  sha256: string;
  images: number;
  files: number;
  blobs: number;
}

/** Lock beside the bundle: `ferry.lock.json` in the output directory. */
export function lockPathFor(outPath: string): string {
  return join(dirname(outPath), 'ferry.lock.json');
}

/**
 * `ferry bundle pull`: plan (resolve every entry to digests, or take them from --lock), then apply (fetch into the
 * cache, verified; write the bundle to a temporary name and rename it when complete).
 */
export async function pullBundle(opts: PullOptions): Promise<PullResult> {
  const events = opts.events ?? noEvents;
  const manifest = await loadManifest(opts.manifestPath);
  let lock: Lock;
  if (opts.lockPath) {
    lock = await readLock(opts.lockPath);
    checkLockMatchesManifest(lock, manifest);
  } else {
    events({ type: 'phase', phase: 'resolve', detail: `${manifest.images.length} images, ${manifest.files.length} files` });
    lock = await resolveAll(manifest, opts, events);
  }
  const lockPath = lockPathFor(opts.outPath);
  await writeLockAtomic(lockPath, lock);

  events({ type: 'phase', phase: 'fetch' });
  const store = new ContentStore(opts.cacheDir);
  const concurrency = opts.concurrency ?? 8;
  const tracker = new Map<string, Promise<void>>();
  const ctx = { client: opts.client, store, events, tracker, concurrency };
  // Artifacts in parallel; each copy's blob limit plus the shared tracker keep the total bounded and deduplicated.
  const artifacts = pLimit(4);
  const images = await Promise.all(
    lock.images.map((locked) =>
      artifacts(async () => {
        opts.signal?.throwIfAborted();
        events({ type: 'artifact-start', kind: 'image', name: locked.ref });
        const root = await fetchImage(locked, ctx);
        events({ type: 'artifact-done', kind: 'image', name: locked.ref, digest: root.digest });
        return { locked, root };
      }),
    ),
  );
  const files = await Promise.all(
    lock.files.map((f) =>
      artifacts(async () => {
        opts.signal?.throwIfAborted();
        events({ type: 'artifact-start', kind: 'file', name: f.name });
        const root = await fetchFile(f, opts.http, store, events);
        events({ type: 'artifact-done', kind: 'file', name: f.name, digest: `sha256:${f.sha256}` });
        return { name: f.name, root };
      }),
    ),
  );

  events({ type: 'phase', phase: 'write', detail: opts.outPath });
  const index = buildBundleIndex(images, files);
  const blobs = await walkGraph(store, index.manifests);
  const sizes = new Map(blobs.map((b) => [b.digest, b.size]));
  const written = await writeBundle({
    outPath: opts.outPath,
    name: manifest.name,
    toolVersion: TOOL_VERSION,
    lock: Buffer.from(serializeLock(lock)),
    index,
    blobs: {
      list: blobs.map((b) => ({ digest: b.digest, size: b.size })),
      open: (digest: Digest) => store.fetch({ digest, size: sizes.get(digest) ?? -1, mediaType: '' }),
    },
    events,
    ...(opts.signal ? { signal: opts.signal } : {}),
  });
  return {
    bundle: opts.outPath,
    lockPath,
    bytes: written.bytes,
    sha256: written.sha256,
    images: images.length,
    files: files.length,
    blobs: blobs.length,
  };
}

async function resolveAll(manifest: BundleManifest, opts: PullOptions, events: EventSink): Promise<Lock> {
  const limit = pLimit(8);
  const images = await Promise.all(
    manifest.images.map((entry) =>
      limit(async () => {
        const locked = await resolveImage(entry, opts.client);
        events({ type: 'info', message: `  resolved ${entry.ref} → ${locked.digest}` });
        return locked;
      }),
    ),
  );
  const files = await Promise.all(manifest.files.map((entry) => limit(() => resolveFile(entry, opts.http))));
  return { lockVersion: 1, bundle: { name: manifest.name }, images, files };
}
