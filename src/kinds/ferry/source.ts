import { Annotation, type Descriptor } from '../../core/media-types.js';
import { ferryRefName, indexDescriptor } from '../../bundle/format.js';
import type { LockedFerry } from './schema.js';
import type { IndexEntry, KindSource } from '../facets/source.js';
import { ferryPath, resolveFerry, storeFerry } from './ferry-artifact.js';
import { checkFerryLock } from './match-ferry.js';

/**
 * The ferry kind's connected side (kinds/facets/source.ts): loaded lazily, by pull only. Its entry is a local path
 * (--with-ferry over spec.ferry), read before any download, so a wrong path or a SHA256SUMS mismatch fails first.
 */
export const source: KindSource<LockedFerry, string> = {
  stage: 'local',
  async entries(manifest, ctx) {
    const path = await ferryPath(ctx.withFerry, manifest.ferry);
    return path === undefined ? [] : [path];
  },
  describe: (path) => ({ what: `ferry ${path}`, url: path }),
  resolve: async (path) => ({ locked: await resolveFerry(path) }),
  tally: ([f]) => (f ? { ferry: { name: f.name, version: f.version, sha256: f.sha256 } } : {}),
  report: (f) => [
    `  resolved ferry ${f.version} (${f.name}, sha256 ${f.sha256}${f.vouchedBy.kind === 'sha256sums' ? ', listed in its SHA256SUMS' : ''})`,
  ],
  checkLock: (locked, now, manifestPath) => checkFerryLock(locked[0], now[0], manifestPath),
  sizes: (f) => [{ digest: `sha256:${f.sha256}`, size: f.size }],
  async fetch(f, ctx) {
    // Read again from the path and checked against the lock (storeFerry); no path, nothing to carry.
    const path = await ferryPath(ctx.withFerry, ctx.manifest.ferry);
    if (path === undefined) return [];
    ctx.events({ type: 'artifact-start', kind: 'ferry', name: f.name });
    const root = await storeFerry(f, path, ctx.store, ctx.events);
    ctx.events({ type: 'artifact-done', kind: 'ferry', name: f.name, digest: `sha256:${f.sha256}` });
    return [ferryIndexEntry(f, root)];
  },
};

/** index.json entry of the ferry executable's artifact. */
export function ferryIndexEntry(f: LockedFerry, root: Descriptor): IndexEntry {
  return {
    descriptor: indexDescriptor(root, {
      [Annotation.RefName]: ferryRefName(f.name),
      [Annotation.Kind]: 'ferry',
      [Annotation.Title]: f.name,
      [Annotation.FerryVersion]: f.version,
    }),
    sortKey: f.name,
  };
}
