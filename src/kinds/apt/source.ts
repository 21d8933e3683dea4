import { Annotation, type Descriptor } from '../../core/media-types.js';
import { aptMetaRefName, aptRefName, indexDescriptor } from '../../bundle/format.js';
import type { LockedAptSource, LockedDeb, AptEntry } from './schema.js';
import type { IndexEntry, KindSource, Resolved, SourceContext } from '../facets/source.js';
import { fetchAptSource } from './fetch-apt.js';
import { resolveAptSources } from './resolve-apt.js';

async function resolveAll(entries: AptEntry[], ctx: SourceContext): Promise<Resolved<LockedAptSource>[]> {
  const resolved = await resolveAptSources(entries, ctx.http, ctx.events);
  // Keyring, signed Releases and Packages indexes as read: each source's metadata artifact is built from these bytes.
  for (const r of resolved) ctx.caches.aptFiles.set(r.locked, r.files);
  return resolved.map((r) => ({ locked: r.locked }));
}

/** The apt kind's connected side (kinds/facets/source.ts): loaded lazily, by pull only. */
export const source: KindSource<LockedAptSource, AptEntry> = {
  stage: 'first',
  describe: (entry) => ({ what: `apt ${entry.url}`, url: entry.url }),
  // All sources at once: they make one package universe (resolve-apt.ts), so pull calls resolveAll, not resolve.
  resolve: async (entry, ctx) => (await resolveAll([entry], ctx))[0] as Resolved<LockedAptSource>,
  resolveAll,
  tally: (locked) => ({ files: locked.reduce((n, a) => n + a.debs.length, 0) }),
  report: (a) => [`  resolved apt ${a.url} [${a.suites.join(' ')}] → ${a.debs.length} packages`],
  sizes: (a) => a.debs.map((d) => ({ digest: `sha256:${d.sha256}`, size: d.size })),
  // A source's .debs one after another (fetch-apt.ts), as before; sources are entries under pull's one limit.
  async fetch(locked, ctx) {
    const { debs, meta } = await fetchAptSource(locked, ctx.position, ctx.caches.aptFiles.get(locked), ctx.http, ctx.store, ctx.events);
    return [
      ...debs.map(({ deb, root }) => debIndexEntry(deb, root)),
      ...meta.map(({ source, index, root }) => aptMetaIndexEntry(source, index, root)),
    ];
  },
};

/** index.json entry of a .deb. */
export function debIndexEntry(deb: LockedDeb, root: Descriptor): IndexEntry {
  return {
    descriptor: indexDescriptor(root, {
      [Annotation.RefName]: aptRefName(deb.file),
      [Annotation.Kind]: 'apt',
      [Annotation.Title]: deb.file,
    }),
    sortKey: deb.file,
  };
}

/** index.json entry of a source's metadata artifact: no sort key, so they keep the lock's source order (entryKinds puts them after every .deb). */
export function aptMetaIndexEntry(source: LockedAptSource, index: number, root: Descriptor): IndexEntry {
  return {
    descriptor: indexDescriptor(root, {
      [Annotation.RefName]: aptMetaRefName(index),
      [Annotation.Kind]: 'apt-meta',
      [Annotation.Source]: source.url,
    }),
    sortKey: '',
  };
}
