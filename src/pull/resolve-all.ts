import pLimit from 'p-limit';
import type { EventSink } from '../core/events.js';
import type { FetchedFiles } from '../kinds/apt/apt-index.js';
import { resolveApt } from '../kinds/apt/resolve-apt.js';
import { resolveChart } from '../kinds/chart/chart-fetcher.js';
import { resolveFile } from '../kinds/file/file-fetcher.js';
import { resolveImage } from '../kinds/image/image-fetcher.js';
import { resolveRke2 } from '../kinds/rke2/resolve-rke2.js';
import type { Lock } from '../lock/types.js';
import type { BundleManifest } from '../manifest/types.js';
import type { PullOptions } from './pull-bundle.js';
import { type ResolveFailure, manifestUrl, settleAll, throwIfFailed } from './resolve-failures.js';

/**
 * The resolve step of pull: every apt entry, chart, image (those the manifest names and those its charts use) and
 * file pinned to a digest, and every failure reported at once; the result is the lock.
 */
export async function resolveAll(
  manifest: BundleManifest,
  opts: PullOptions,
  events: EventSink,
  seen: Map<string, Buffer>,
  chartArchives: Map<string, Buffer>,
  aptFiles: FetchedFiles[],
): Promise<Lock> {
  const limit = pLimit(8);
  const apt = [];
  for (const entry of manifest.apt) {
    const r = await resolveApt(entry, opts.http, events);
    aptFiles.push(r.files);
    apt.push(r.locked);
    events({ type: 'info', message: `  resolved apt ${entry.url} [${entry.suites.join(' ')}] → ${r.locked.debs.length} packages` });
  }
  const charts = await Promise.all(manifest.charts.map((entry) => limit(() => resolveChart(entry, opts.http, opts.client))));
  for (const { locked, tgz } of charts) {
    chartArchives.set(locked.sha256, tgz);
    events({ type: 'info', message: `  resolved chart ${locked.name} ${locked.requested} → ${locked.version} (sha256 ${locked.sha256}), ${locked.images.length} images:` });
    for (const img of locked.images) events({ type: 'info', message: `    ${img.ref}  ← ${img.sources.join('; ')}` });
  }
  // A chart's images go through the normal image pull; an image the manifest names itself keeps its own platforms.
  const entries = [...manifest.images];
  const named = new Set(entries.map((e) => e.ref));
  const fromChart = new Map<string, string>();
  for (const c of charts) {
    for (const img of c.locked.images) {
      if (named.has(img.ref)) continue;
      named.add(img.ref);
      fromChart.set(img.ref, `chart ${c.locked.name} ${c.locked.version} (${img.sources.join('; ')})`);
      entries.push({ ref: img.ref, platforms: manifest.platforms });
    }
  }
  events({ type: 'phase', phase: 'resolve', totalItems: entries.length });
  // Every image and file is resolved, and every failure reported at once (resolve-failures.ts).
  const failures: ResolveFailure[] = [];
  const [images, files] = await Promise.all([
    settleAll(
      entries,
      (entry) =>
        limit(async () => {
          const locked = await resolveImage(entry, opts.client, seen).catch((err: unknown) => {
            // An image a chart brought in: say which chart and where, and how to leave it out.
            const origin = fromChart.get(entry.ref);
            if (origin && err instanceof Error) err.message += `\n  found in ${origin}; fix it with extraImages or drop it with excludeImages`;
            throw err;
          });
          events({ type: 'resolved', kind: 'image', name: entry.ref, digest: locked.digest });
          return locked;
        }),
      (entry) => ({ what: `image ${entry.ref}`, url: manifestUrl(opts.client, entry.ref) }),
      failures,
    ),
    settleAll(manifest.files, (entry) => limit(() => resolveFile(entry, opts.http)), (entry) => ({ what: `file ${entry.url}`, url: entry.url }), failures),
  ]);
  throwIfFailed(failures, entries.length + manifest.files.length);
  const rke2 = manifest.rke2 ? await resolveRke2(manifest.rke2, opts.http) : undefined;
  if (rke2) events({ type: 'info', message: `  resolved RKE2 ${rke2.version} (${rke2.arch}) → ${rke2.files.length} files, sha256s from ${rke2.files[0]?.url}` });
  return {
    lockVersion: 1,
    bundle: { name: manifest.name },
    images,
    files,
    ...(rke2 ? { rke2 } : {}),
    ...(charts.length > 0 ? { charts: charts.map((c) => c.locked) } : {}),
    ...(apt.length > 0 ? { apt } : {}),
  };
}
