import { Annotation, type Descriptor } from '../../core/media-types.js';
import { fileRefName, indexDescriptor } from '../../bundle/format.js';
import type { LockedFile, FileEntry } from './schema.js';
import type { IndexEntry, KindSource } from '../facets/source.js';
import { fetchFile, resolveFile } from './file-fetcher.js';

/** The file kind's connected side (kinds/facets/source.ts): loaded lazily, by pull only. */
export const source: KindSource<LockedFile, FileEntry> = {
  stage: 'counted',
  summary: (entries) => `${entries.length} files`,
  tally: (locked) => ({ files: locked.length }),
  describe: (entry) => ({ what: `file ${entry.url}`, url: entry.url }),
  resolve: async (entry, ctx) => ({ locked: await resolveFile(entry, ctx.http) }),
  sizes: (f) => [{ digest: `sha256:${f.sha256}`, size: f.size ?? 0 }],
  async fetch(f, ctx) {
    ctx.events({ type: 'artifact-start', kind: 'file', name: f.name });
    const root = await fetchFile(f, ctx.http, ctx.store, ctx.events);
    ctx.events({ type: 'artifact-done', kind: 'file', name: f.name, digest: `sha256:${f.sha256}` });
    return [fileIndexEntry(f.name, root)];
  },
};

/** index.json entry of a file artifact. */
export function fileIndexEntry(name: string, root: Descriptor): IndexEntry {
  return {
    descriptor: indexDescriptor(root, { [Annotation.RefName]: fileRefName(name), [Annotation.Kind]: 'file', [Annotation.Title]: name }),
    sortKey: name,
  };
}
