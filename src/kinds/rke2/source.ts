import { Annotation, type Descriptor } from '../../core/media-types.js';
import { rke2RefName, indexDescriptor } from '../../bundle/format.js';
import type { LockedRke2, LockedRke2File, Rke2Entry } from './schema.js';
import type { IndexEntry, KindSource } from '../facets/source.js';
import { fetchRke2, rke2Annotations } from './fetch-rke2.js';
import { resolveRke2 } from './resolve-rke2.js';

/** The RKE2 kind's connected side (kinds/facets/source.ts): loaded lazily, by pull only. */
export const source: KindSource<LockedRke2, Rke2Entry> = {
  stage: 'last',
  summary: (entries) => (entries[0] ? `RKE2 ${entries[0].version}` : undefined),
  describe: (entry) => ({ what: `RKE2 ${entry.version}`, url: entry.releaseUrl }),
  resolve: async (entry, ctx) => ({ locked: await resolveRke2(entry, ctx.http) }),
  tally: (locked) => ({ files: locked.reduce((n, r) => n + r.files.length, 0) }),
  report: (r) => [`  resolved RKE2 ${r.version} (${r.arch}) → ${r.files.length} files, sha256s from ${r.files[0]?.url}`],
  sizes: (r) => r.files.map((f) => ({ digest: `sha256:${f.sha256}`, size: f.size ?? 0 })),
  // One entry, its release files fetched side by side inside fetchRke2 (each announced as a file).
  async fetch(locked, ctx) {
    const fetched = await fetchRke2(locked, ctx.http, ctx.store, ctx.events);
    return fetched.map(({ file, root }) => rke2IndexEntry(locked, file, root));
  },
};

/** index.json entry of an RKE2 release file. */
export function rke2IndexEntry(locked: LockedRke2, file: LockedRke2File, root: Descriptor): IndexEntry {
  return {
    descriptor: indexDescriptor(root, {
      [Annotation.RefName]: rke2RefName(file.name),
      ...rke2Annotations(locked, file),
      [Annotation.Kind]: 'rke2',
      [Annotation.Title]: file.name,
    }),
    sortKey: file.name,
  };
}
