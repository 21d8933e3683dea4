import type { KeyObject } from 'node:crypto';
import { dirname } from 'node:path';
import { ensureDir } from '../core/fs-errors.js';
import pLimit from 'p-limit';
import { type EventSink, inPhase, noEvents } from '../core/events.js';
import type { Descriptor } from '../core/media-types.js';
import { copyGraph } from '../graph/copy.js';
import { isManifestLike } from '../graph/successors.js';
import { walkGraph } from '../graph/walk.js';
import type { FetchContext, GraphPlan, IndexEntry, SourceContext } from '../kinds/facets/source.js';
import { KINDS, lockedOf } from '../kinds/index.js';
import type { AnyKind } from '../kinds/kind.js';
import { checkLockMatchesManifest, readLock, serializeLock } from '../lock/lock-file.js';
import type { Lock } from '../lock/types.js';
import { bundleCounts } from '../lock/counts.js';
import { type DeltaBase, loadDeltaBase } from '../delta/delta-base.js';
import { loadManifest } from '../manifest/load.js';
import { overridePlatforms } from '../manifest/platform-override.js';
import type { PlatformSpec } from '../manifest/types.js';
import { ContentStore } from '../store/content-store.js';
import { TOOL_VERSION } from '../version.js';
import { signSums } from '../trust/bundle-signature.js';
import { fillBundle } from './fill-bundle.js';
import { policyCheck } from './signature-check.js';
import { type SourcedKind, checkLocalLock, loadSources, resolveAll, resolveDetail, resolveLocal } from './resolve-all.js';
import { buildBundleIndex } from './bundle-index.js';
import { mergeTallies } from './kind-entries.js';
import { fetchTotals } from './fetch-totals.js';
import { sbomMember } from './sbom-member.js';

/**
 * Entries resolved, planned or fetched at once, whatever their kind: one bound for the whole pull (blob transfers
 * have their own, `concurrency`). A kind that must go one by one inside an entry says so in its source.ts.
 */
const ENTRIES_AT_ONCE = 8;

import type { PullOptions, PullResult } from './pull-types.js';
export type { PullOptions, PullResult } from './pull-types.js';

/**
 * The lock beside the bundle: `<bundle>.lock.json` (`out/b.tar` → `out/b.tar.lock.json`), named after the bundle like
 * `<bundle>.sig` and `<bundle>.parts.json`, so bundles sharing a directory each keep their own (docs/manifest.md).
 */
export function lockPathFor(outPath: string): string {
  return `${outPath}.lock.json`;
}

/**
 * `ferry bundle pull`: plan (resolve every entry to digests, or take them from --lock), then apply (fetch, verified,
 * each blob straight into its planned place in the bundle's temporary file; rename it when complete).
 */
export async function pullBundle(opts: PullOptions): Promise<PullResult> {
  const events = opts.events ?? noEvents;
  const loaded = await loadManifest(opts.manifestPath);
  const manifest = opts.platforms ? overridePlatforms(loaded, opts.platforms) : loaded;
  if (opts.platforms)
    events({ type: 'info', message: `platforms ${platformsText(opts.platforms)} (--platform) for every image, over the manifest's` });
  let lock: Lock;
  // What resolve reads that the fetch would otherwise ask for again (facets/source.ts ResolveCaches).
  const caches = {
    manifests: new Map<string, Buffer>(),
    chartArchives: new Map<string, Buffer>(),
    aptFiles: new Map<object, Map<string, Buffer>>(),
  };
  const ctx: SourceContext = {
    client: opts.client,
    http: opts.http,
    events,
    manifest,
    caches,
    ...(opts.signal ? { signal: opts.signal } : {}),
    ...(opts.withFerry !== undefined ? { withFerry: opts.withFerry } : {}),
    ...(opts.helm !== undefined ? { helm: opts.helm } : {}),
  };
  const limit = pLimit(ENTRIES_AT_ONCE);
  const kinds = await loadSources(manifest, ctx);
  if (opts.lockPath) {
    lock = await readLock(opts.lockPath);
    checkLockMatchesManifest(lock, manifest);
    checkLocalLock(kinds, lock, await resolveLocal(kinds, ctx, limit, false), manifest.path);
  } else {
    events({ type: 'phase', phase: 'resolve', detail: resolveDetail(kinds) });
    // Local files first, so a wrong path or a SHA256SUMS mismatch fails before any download.
    lock = await resolveAll(manifest, kinds, await resolveLocal(kinds, ctx, limit, true), ctx, limit);
  }
  opts.signal?.throwIfAborted();
  const lockPath = lockPathFor(opts.outPath);
  // `-o out/bundle.tar` on a fresh checkout: create the output directory rather than fail. The lock itself is written
  // with the bundle, in the writer's finishing step: a failed or interrupted pull leaves no lock beside no bundle.
  await ensureDir(dirname(opts.outPath));

  const store = new ContentStore(opts.cacheDir);
  const base = opts.sincePath ? await loadDeltaBase(opts.sincePath, opts.client) : undefined;
  if (base)
    events({
      type: 'info',
      message: `  delta against ${base.kind} ${base.file}: ${base.digests.size} digests the enclave has are left out`,
    });
  // Downloads count in the fetch phase; the writer, running beside them, counts its own bytes in the write phase.
  const tally = mergeTallies(kinds.map((k) => k.source.tally(lockedOf(lock, k.kind))));
  const written = await fetchAndWrite(
    manifest.name,
    lock,
    kinds,
    { ...ctx, store, events: inPhase(events, 'fetch'), position: 0 },
    limit,
    opts,
    events,
    base,
  );
  return {
    bundle: opts.outPath,
    lockPath,
    bytes: written.bytes,
    counts: bundleCounts(lock),
    images: tally.images ?? 0,
    files: tally.files ?? 0,
    blobs: written.blobs,
    omitted: written.omitted,
    charts: tally.charts ?? [],
    ...(tally.ferry ? { ferry: tally.ferry } : {}),
    ...(tally.referrers ? { referrers: tally.referrers } : {}),
  };
}

/**
 * Apply: the kinds fetched before writing first (few, and a file's size may only be known once it is here), then
 * every planned graph's manifests (an image's: to list all blobs up front); then the bundle's layout is known, and
 * the blob downloads write into it at their offsets as they arrive (fill-bundle.ts), so each byte is written once.
 */
async function fetchAndWrite(
  name: string,
  lock: Lock,
  kinds: SourcedKind[],
  ctx: FetchContext,
  limit: ReturnType<typeof pLimit>,
  opts: PullOptions,
  events: EventSink,
  base?: DeltaBase,
) {
  const { store } = ctx;
  events({ type: 'phase', phase: 'fetch' });
  // Planned graphs first (their manifests small, mostly read while resolving): then every blob's size is known, and
  // the fetch phase announces what it will move before its first download.
  const planned = await Promise.all(
    kinds.map(async (k) => {
      const plan = k.source.plan;
      const locked = plan ? lockedOf(lock, k.kind) : [];
      return {
        k,
        plans: await Promise.all(locked.map((l, position) => limit(() => (plan as NonNullable<typeof plan>)(l, { ...ctx, position })))),
      };
    }),
  );
  const plans = planned.flatMap((p) => p.plans.map((plan) => ({ k: p.k, plan })));
  events({
    type: 'phase',
    phase: 'fetch',
    ...fetchTotals(
      lock,
      kinds,
      plans.map((p) => p.plan),
      base,
    ),
  });
  // The other kinds one after another, in KINDS order; each kind's entries together.
  const indexed: { kind: AnyKind; entries: IndexEntry[] }[] = [];
  for (const k of kinds) {
    const fetch = k.source.fetch;
    if (!fetch) continue;
    const per = await Promise.all(
      lockedOf(lock, k.kind).map((l, position) =>
        limit(async () => {
          opts.signal?.throwIfAborted();
          return fetch(l, { ...ctx, position });
        }),
      ),
    );
    indexed.push({ kind: k.kind, entries: per.flat() });
  }
  // What was fetched is in the cache, walked for its blobs; a planned graph listed its nodes while planning.
  const fileNodes = await walkGraph(
    store,
    indexed.flatMap((f) => f.entries.map((e) => e.descriptor)),
  );
  for (const p of planned) if (p.k.source.plan) indexed.push({ kind: p.k.kind, entries: p.plans.flatMap((plan) => plan.entries) });
  const index = buildBundleIndex(indexed, KINDS);
  // spec.signatures: checked before the layout is planned, and again over the written bundle (signature-check.ts).
  const policy = await policyCheck(
    ctx.manifest,
    index.manifests,
    plans.map((p) => p.plan),
    store,
    events,
  );
  const all = new Map([...fileNodes, ...plans.flatMap((p) => p.plan.nodes)].map((d) => [d.digest as string, d]));
  // A delta leaves out the blobs the enclave has; manifests always travel, so the bundle can still be walked.
  const omitted = new Map(
    [...all].filter(([digest, d]) => base?.digests.has(digest) && !isManifestLike(d)).map(([digest, d]) => [digest, d.size]),
  );
  const blobs = new Map([...all].filter(([digest]) => !omitted.has(digest)).map(([digest, d]) => [digest, d.size]));

  const leaves = new Map<string, { plan: GraphPlan; desc: Descriptor }>();
  for (const { plan } of plans)
    for (const desc of plan.nodes)
      if (!isManifestLike(desc) && !leaves.has(desc.digest) && !omitted.has(desc.digest)) leaves.set(desc.digest, { plan, desc });
  const lockBytes = Buffer.from(serializeLock(lock));
  const sbom = await sbomMember(name, index, lockBytes, plans);
  const written = await fillBundle(
    {
      outPath: opts.outPath,
      name,
      toolVersion: TOOL_VERSION,
      lock: lockBytes,
      index,
      sbom,
      blobs,
      omitted: new Set(omitted.keys()),
      store,
      events,
      hashWholeFile: false,
      ...policy,
      ...(opts.cacheImages ? { cacheImages: true } : {}),
      ...(opts.signal ? { signal: opts.signal } : {}),
      ...(opts.splitSize ? { splitSize: opts.splitSize } : {}),
      ...(base
        ? {
            delta: {
              base: { kind: base.kind, file: base.file, sha256: base.sha256 },
              omitted: [...omitted].map(([digest, size]) => ({ digest, size })).sort((a, b) => (a.digest < b.digest ? -1 : 1)),
            },
          }
        : {}),
      ...(opts.signKey ? { signSums: (sums: Buffer) => signSums(sums, opts.signKey as KeyObject, `ferry ${TOOL_VERSION}`) } : {}),
      beside: { lock: lockPathFor(opts.outPath), signature: `${opts.outPath}.sig` },
    },
    async (target) => {
      const copy = { events: ctx.events, tracker: new Map<string, Promise<void>>(), limit: pLimit(opts.concurrency ?? 8) };
      // Each blob straight into its place in the bundle, in any order; the graph copies that follow share the
      // tracker and only add each graph's manifests.
      await Promise.all([
        ...[...leaves.values()].map(({ plan, desc }) => copyGraph(plan.source, target, desc, { ...copy, subject: plan.name })),
        ...plans.map(({ k, plan }) =>
          limit(async () => {
            opts.signal?.throwIfAborted();
            events({ type: 'artifact-start', kind: k.kind.kind, name: plan.name });
            // Children first, each blob verified before it counts as written.
            await copyGraph(plan.source, target, plan.root, { ...copy, subject: plan.name });
            events({ type: 'artifact-done', kind: k.kind.kind, name: plan.name, digest: plan.root.digest });
          }),
        ),
      ]);
    },
  );
  return { ...written, blobs: blobs.size, omitted: omitted.size };
}

const platformsText = (p: PlatformSpec) => (p === 'all' ? 'all' : p.join(','));
