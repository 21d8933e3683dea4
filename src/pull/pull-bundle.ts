import type { KeyObject } from 'node:crypto';
import { dirname } from 'node:path';
import { ensureDir } from '../core/fs-errors.js';
import pLimit from 'p-limit';
import type { Digest } from '../core/digest.js';
import { type EventSink, inPhase, noEvents } from '../core/events.js';
import { writeBundle } from '../bundle/writer.js';
import { type HttpGetter, fetchFile } from '../kinds/file/file-fetcher.js';
import { type ImagePlan, fetchImage, planImage } from '../kinds/image/image-fetcher.js';
import type { Descriptor } from '../core/media-types.js';
import { copyGraph } from '../graph/copy.js';
import { isManifestLike } from '../graph/successors.js';
import { walkGraph } from '../graph/walk.js';
import { checkLockMatchesManifest, readLock, serializeLock } from '../lock/lock-file.js';
import type { Lock, LockedRke2 } from '../lock/types.js';
import { type BundleCounts, bundleCounts } from '../lock/counts.js';
import { fetchRke2, rke2Annotations } from '../kinds/rke2/fetch-rke2.js';
import { fetchChart } from '../kinds/chart/chart-fetcher.js';
import type { FetchedFiles } from '../kinds/apt/apt-index.js';
import { fetchApt } from '../kinds/apt/fetch-apt.js';
import { type DeltaBase, loadDeltaBase } from '../delta/delta-base.js';
import { loadManifest } from '../manifest/load.js';
import { overridePlatforms } from '../manifest/platform-override.js';
import type { BundleManifest, PlatformSpec } from '../manifest/types.js';
import type { RegistryClient } from '../registry/client.js';
import { ContentStore } from '../store/content-store.js';
import { TOOL_VERSION } from '../version.js';
import { signSums } from '../trust/bundle-signature.js';
import { Arrivals } from './arrivals.js';
import { resolveAll } from './resolve-all.js';
import { buildBundleIndex } from './bundle-index.js';
import { ferryPath, resolveFerry, storeFerry } from '../kinds/ferry/ferry-artifact.js';
import { checkFerryLock } from '../kinds/ferry/match-ferry.js';

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
  /** Ed25519 private key: sign SHA256SUMS into the bundle and `<bundle>.sig` (docs/security.md). */
  signKey?: KeyObject;
  /** Write the bundle as parts of this many bytes (docs/transfer.md). */
  splitSize?: number;
  /** `--since`: a lock or registry inventory of what the enclave has; those blobs are left out (a delta bundle). */
  sincePath?: string;
  /** `--platform`: every image's platforms, over the manifest's (manifest/platform-override.ts). */
  platforms?: PlatformSpec;
  /** `--with-ferry PATH`: carry this ferry executable (over spec.ferry; docs/install.md "Carried in the bundle"). */
  withFerry?: string;
}

export interface PullResult {
  bundle: string;
  lockPath: string;
  bytes: number;
  /** What the bundle holds, by kind (the vocabulary every command's summary uses). */
  counts: BundleCounts;
  images: number;
  files: number;
  blobs: number;
  /** Blobs a delta bundle leaves out (the enclave has them). */
  omitted: number;
  /** Each chart with the images found in it and where (also in the lock). */
  charts: { name: string; version: string; images: { ref: string; sources: string[] }[] }[];
  /** ferry's own executable, when carried (spec.ferry or --with-ferry). */
  ferry?: { name: string; version: string; sha256: string };
}

/**
 * The lock beside the bundle: `<bundle>.lock.json` (`out/b.tar` → `out/b.tar.lock.json`), named after the bundle like
 * `<bundle>.sig` and `<bundle>.parts.json`, so bundles sharing a directory each keep their own (docs/manifest.md).
 */
export function lockPathFor(outPath: string): string {
  return `${outPath}.lock.json`;
}

/**
 * `ferry bundle pull`: plan (resolve every entry to digests, or take them from --lock), then apply (fetch into the
 * cache, verified; write the bundle to a temporary name and rename it when complete).
 */
export async function pullBundle(opts: PullOptions): Promise<PullResult> {
  const events = opts.events ?? noEvents;
  const loaded = await loadManifest(opts.manifestPath);
  const manifest = opts.platforms ? overridePlatforms(loaded, opts.platforms) : loaded;
  if (opts.platforms) events({ type: 'info', message: `platforms ${platformsText(opts.platforms)} (--platform) for every image, over the manifest's` });
  let lock: Lock;
  // Manifests fetched while resolving, by digest, so the fetch does not request them a second time.
  const seen = new Map<string, Buffer>();
  // Chart archives read while resolving (to find their images), by sha256, so the fetch does not download them again.
  const chartArchives = new Map<string, Buffer>();
  // apt metadata read while resolving (keyrings, signed Releases, Packages indexes), per source, for the bundle.
  const aptFiles: FetchedFiles[] = [];
  const ferryFile = await ferryPath(opts.withFerry, manifest.ferry);
  if (opts.lockPath) {
    lock = await readLock(opts.lockPath);
    checkLockMatchesManifest(lock, manifest);
    checkFerryLock(lock.ferry, ferryFile ? await resolveFerry(ferryFile) : undefined, manifest.path);
  } else {
    const rke2 = manifest.rke2 ? `, RKE2 ${manifest.rke2.version}` : '';
    events({ type: 'phase', phase: 'resolve', detail: `${manifest.images.length} images, ${manifest.files.length} files${rke2}` });
    // A local file: read first, so a wrong path or a SHA256SUMS mismatch fails before any download.
    const ferry = ferryFile ? await resolveFerry(ferryFile) : undefined;
    if (ferry) events({ type: 'info', message: `  resolved ferry ${ferry.version} (${ferry.name}, sha256 ${ferry.sha256}${ferry.vouchedBy.kind === 'sha256sums' ? ', listed in its SHA256SUMS' : ''})` });
    lock = await resolveAll(manifest, opts, events, seen, chartArchives, aptFiles);
    if (ferry) lock.ferry = ferry;
  }
  opts.signal?.throwIfAborted();
  const lockPath = lockPathFor(opts.outPath);
  // `-o out/bundle.tar` on a fresh checkout: create the output directory rather than fail. The lock itself is written
  // with the bundle, in the writer's finishing step: a failed or interrupted pull leaves no lock beside no bundle.
  await ensureDir(dirname(opts.outPath));

  const store = new ContentStore(opts.cacheDir);
  const base = opts.sincePath ? await loadDeltaBase(opts.sincePath, opts.client) : undefined;
  if (base) events({ type: 'info', message: `  delta against ${base.kind} ${base.file}: ${base.digests.size} digests the enclave has are left out` });
  const written = await fetchAndWrite(manifest.name, lock, store, opts, events, seen, chartArchives, aptFiles.length > 0 ? aptFiles : undefined, base, ferryFile);
  return {
    bundle: opts.outPath,
    lockPath,
    bytes: written.bytes,
    counts: bundleCounts(lock),
    images: lock.images.length,
    files: lock.files.length + (lock.rke2?.files.length ?? 0) + (lock.apt ?? []).reduce((n, a) => n + a.debs.length, 0),
    blobs: written.blobs,
    omitted: written.omitted,
    charts: (lock.charts ?? []).map((c) => ({ name: c.name, version: c.version, images: c.images })),
    ...(lock.ferry ? { ferry: { name: lock.ferry.name, version: lock.ferry.version, sha256: lock.ferry.sha256 } } : {}),
  };
}

/**
 * Apply: files first (few, and a file's size may only be known once it is here), then every image's manifests
 * (to list all blobs up front), then the blob downloads and the bundle writer run side by side — the writer takes
 * blobs in bundle order as they arrive, so the pull costs about max(download, write), not their sum. A failed
 * download aborts the writer, which removes its temporary file.
 */
async function fetchAndWrite(
  name: string,
  lock: Lock,
  store: ContentStore,
  opts: PullOptions,
  events: EventSink,
  seen: ReadonlyMap<string, Buffer>,
  chartArchives: ReadonlyMap<string, Buffer>,
  aptFiles: FetchedFiles[] | undefined,
  base?: DeltaBase,
  ferryFile?: string,
) {
  events({ type: 'phase', phase: 'fetch' });
  const artifacts = pLimit(16);
  // Image manifests first (small, mostly read while resolving): then every blob's size is known, and the fetch
  // phase announces what it will move before its first download.
  const plans = await Promise.all(lock.images.map((locked) => artifacts(() => planImage(locked, opts.client, store, seen))));
  events({ type: 'phase', phase: 'fetch', ...fetchTotals(lock, plans, base) });
  // Downloads count in the fetch phase; the writer, running beside them, counts its own bytes in the write phase.
  const fetchEvents = inPhase(events, 'fetch');
  const files = await Promise.all(
    lock.files.map((f) =>
      artifacts(async () => {
        opts.signal?.throwIfAborted();
        events({ type: 'artifact-start', kind: 'file', name: f.name });
        const root = await fetchFile(f, opts.http, store, fetchEvents);
        events({ type: 'artifact-done', kind: 'file', name: f.name, digest: `sha256:${f.sha256}` });
        return { name: f.name, root };
      }),
    ),
  );
  const ferry: { name: string; root: Descriptor; version: string }[] = [];
  if (lock.ferry && ferryFile) {
    events({ type: 'artifact-start', kind: 'ferry', name: lock.ferry.name });
    ferry.push({ name: lock.ferry.name, root: await storeFerry(lock.ferry, ferryFile, store, fetchEvents), version: lock.ferry.version });
    events({ type: 'artifact-done', kind: 'ferry', name: lock.ferry.name, digest: `sha256:${lock.ferry.sha256}` });
  }
  const rke2 = lock.rke2 ? await fetchRke2(lock.rke2, opts.http, store, fetchEvents) : [];
  const charts = await Promise.all(
    (lock.charts ?? []).map(async (c) => {
      events({ type: 'artifact-start', kind: 'chart', name: `${c.name} ${c.version}` });
      const root = await fetchChart(c, chartArchives.get(c.sha256), opts.http, opts.client, store, fetchEvents);
      events({ type: 'artifact-done', kind: 'chart', name: `${c.name} ${c.version}`, digest: root.digest });
      return { chart: c, root };
    }),
  );
  const apt = lock.apt ? await fetchApt(lock.apt, aptFiles, opts.http, store, fetchEvents) : { debs: [], meta: [] };
  const rke2Indexed = rke2.map((r) => ({ name: r.file.name, root: r.root, annotations: rke2Annotations(lock.rke2 as LockedRke2, r.file) }));
  const index = buildBundleIndex(plans, files, rke2Indexed, charts, apt, ferry);
  const fileNodes = await walkGraph(store, [...files.map((f) => f.root), ...ferry.map((f) => f.root), ...rke2.map((r) => r.root), ...charts.map((c) => c.root), ...apt.debs.map((d) => d.root), ...apt.meta.map((m) => m.root)]);
  const all = new Map([...fileNodes, ...plans.flatMap((p) => p.nodes)].map((d) => [d.digest as string, d]));
  // A delta leaves out the blobs the enclave has; manifests always travel, so the bundle can still be walked.
  const omitted = new Map([...all].filter(([digest, d]) => base?.digests.has(digest) && !isManifestLike(d)).map(([digest, d]) => [digest, d.size]));
  const blobs = new Map([...all].filter(([digest]) => !omitted.has(digest)).map(([digest, d]) => [digest, d.size]));

  const failed = new AbortController();
  const stop = opts.signal ? AbortSignal.any([opts.signal, failed.signal]) : failed.signal;
  const arrivals = new Arrivals(store, stop, new Set(omitted.keys()));
  const ctx = { target: arrivals, events: fetchEvents, tracker: new Map<string, Promise<void>>(), limit: pLimit(opts.concurrency ?? 8) };
  // Blob downloads are queued in the order the writer consumes them (by digest), so the writer rarely waits on a
  // blob queued late; the image copies that follow share the tracker and only add each image's manifests.
  const leaves = new Map<string, { plan: ImagePlan; desc: Descriptor }>();
  for (const plan of plans) for (const desc of plan.nodes) if (!isManifestLike(desc) && !leaves.has(desc.digest) && !omitted.has(desc.digest)) leaves.set(desc.digest, { plan, desc });
  const inOrder = [...leaves.values()].sort((a, b) => (a.desc.digest < b.desc.digest ? -1 : 1));
  const blobCopies = inOrder.map(({ plan, desc }) => copyGraph(plan.source, arrivals, desc, { ...ctx, subject: plan.locked.ref }));
  const fetching = Promise.all([
    ...blobCopies,
    ...plans.map((plan) =>
      artifacts(async () => {
        opts.signal?.throwIfAborted();
        events({ type: 'artifact-start', kind: 'image', name: plan.locked.ref });
        await fetchImage(plan, ctx);
        events({ type: 'artifact-done', kind: 'image', name: plan.locked.ref, digest: plan.root.digest });
      }),
    ),
  ]).catch((err: unknown) => {
    failed.abort(err);
    throw err;
  });
  // What the cache already holds has arrived; a cached image's subtree is skipped by the copy, never announced.
  for (const [digest, size] of blobs) await arrivals.exists({ digest: digest as Digest, size, mediaType: '' });
  const writing = writeBundle({
    outPath: opts.outPath,
    name,
    toolVersion: TOOL_VERSION,
    lock: Buffer.from(serializeLock(lock)),
    index,
    blobs: {
      list: [...blobs].map(([digest, size]) => ({ digest: digest as Digest, size })),
      open: async (digest: Digest) => {
        await arrivals.wait(digest);
        return store.fetch({ digest, size: blobs.get(digest) ?? -1, mediaType: '' });
      },
    },
    events,
    hashWholeFile: false,
    ...(opts.splitSize ? { splitSize: opts.splitSize } : {}),
    ...(base ? { delta: { base: { kind: base.kind, file: base.file, sha256: base.sha256 }, omitted: [...omitted].map(([digest, size]) => ({ digest, size })).sort((a, b) => (a.digest < b.digest ? -1 : 1)) } } : {}),
    ...(opts.signKey ? { signSums: (sums: Buffer) => signSums(sums, opts.signKey as KeyObject, `ferry ${TOOL_VERSION}`) } : {}),
    signal: stop,
    beside: { lock: lockPathFor(opts.outPath), signature: `${opts.outPath}.sig` },
  });
  const [fetched, wrote] = await Promise.allSettled([fetching, writing]);
  if (fetched.status === 'rejected') throw fetched.reason;
  if (wrote.status === 'rejected') throw wrote.reason;
  return { ...wrote.value, blobs: blobs.size, omitted: omitted.size };
}

const platformsText = (p: PlatformSpec) => (p === 'all' ? 'all' : p.join(','));

/** What the fetch phase moves: every file, chart and .deb the lock sizes, and every image blob (not the manifests, read while planning) a delta does not leave out. */
function fetchTotals(lock: Lock, plans: ImagePlan[], base?: DeltaBase): { totalBytes: number; totalItems: number } {
  const sizes = new Map<string, number>();
  for (const f of [...lock.files, ...(lock.rke2?.files ?? [])]) sizes.set(`sha256:${f.sha256}`, f.size ?? 0);
  for (const c of lock.charts ?? []) sizes.set(`sha256:${c.sha256}`, c.size);
  for (const a of lock.apt ?? []) for (const d of a.debs) sizes.set(`sha256:${d.sha256}`, d.size);
  if (lock.ferry) sizes.set(`sha256:${lock.ferry.sha256}`, lock.ferry.size);
  for (const plan of plans) for (const d of plan.nodes) if (!isManifestLike(d) && !base?.digests.has(d.digest)) sizes.set(d.digest, d.size);
  return { totalBytes: [...sizes.values()].reduce((a, b) => a + b, 0), totalItems: sizes.size };
}
