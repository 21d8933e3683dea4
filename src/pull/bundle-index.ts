import { Annotation, type ImageIndex, MediaType } from '../core/media-types.js';
import type { IndexEntry } from '../kinds/facets/source.js';
import type { AnyKind } from '../kinds/kind.js';

/**
 * index.json of the bundle (image-spec image-layout.md): what each kind's fetch (or plan) returned, fully annotated,
 * listed in KINDS order, each kind's entries by its `entryKinds` order (apt: the .debs, then the metadata), then by
 * each entry's sort key (an image's reference, a file's name, a chart's ref name). Sorted, so the same lock gives
 * the same bytes; entries with equal keys keep the order their kind returned them in (apt metadata: source order).
 */
export function buildBundleIndex(fetched: { kind: AnyKind; entries: IndexEntry[] }[], kinds: readonly AnyKind[]): ImageIndex {
  const rank = (kind: AnyKind, e: IndexEntry) => kind.entryKinds.indexOf(e.descriptor.annotations?.[Annotation.Kind] ?? '');
  const manifests = [...fetched]
    .sort((a, b) => kinds.indexOf(a.kind) - kinds.indexOf(b.kind))
    .flatMap(({ kind, entries }) =>
      [...entries].sort((a, b) => rank(kind, a) - rank(kind, b) || cmp(a.sortKey, b.sortKey)).map((e) => e.descriptor),
    );
  return { schemaVersion: 2, mediaType: MediaType.OciIndex, manifests };
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
