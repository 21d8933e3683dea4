import type { EventSink } from '../../core/events.js';
import { FerryError } from '../../core/errors.js';
import { Annotation, type Descriptor } from '../../core/media-types.js';
import { sha256 } from '../../core/digest.js';
import { IMAGE_TOC_MEDIA_TYPE } from '../../docker-archive/image-toc.js';
import { scanDockerArchive } from '../../docker-archive/scan.js';
import type { LockedRke2, LockedRke2File } from './schema.js';
import type { ContentStore } from '../../store/content-store.js';
import type { HttpGetter } from '../../registry/http-getter-type.js';
import { checksumSource, fetchFileBlob, storeFileArtifact } from '../file/file-fetcher.js';

export interface FetchedRke2File {
  file: LockedRke2File;
  /** The file's artifact manifest in the cache. */
  root: Descriptor;
}

/**
 * fetch(): bring every release file into the cache, each verified against the sha256 the release's checksum list
 * gave for it. Each image tarball is then read through once, streaming (decompressed in memory, never unpacked), to
 * list its images and check every blob's digest; the list must equal the release's `.txt` list. Its table of
 * contents is stored as a second layer of the tarball's artifact, so push can plan without reading it twice.
 */
export async function fetchRke2(locked: LockedRke2, http: HttpGetter, store: ContentStore, events: EventSink): Promise<FetchedRke2File[]> {
  return Promise.all(
    locked.files.map(async (file) => {
      events({ type: 'artifact-start', kind: 'file', name: file.name });
      const blob = await fetchFileBlob(file, http, store, events);
      const extraLayers: Descriptor[] = [];
      if (file.role === 'images') {
        events({ type: 'info', message: `  reading ${file.name} to list its images` });
        const toc = await scanDockerArchive(await store.fetch(blob), `RKE2 image tarball ${file.name}`);
        checkAgainstList(
          file,
          toc.images.flatMap((i) => i.refs),
        );
        const body = Buffer.from(JSON.stringify(toc));
        const tocDesc: Descriptor = { mediaType: IMAGE_TOC_MEDIA_TYPE, digest: sha256(body), size: body.length };
        await store.putBuffer(tocDesc, body);
        extraLayers.push(tocDesc);
        events({ type: 'info', message: `  ${file.name}: ${toc.images.length} images (${toc.format}), as its list names` });
      }
      const root = await storeFileArtifact(store, {
        name: file.name,
        url: file.url,
        digest: blob.digest,
        size: blob.size,
        checksumSource: checksumSource(file),
        extraLayers,
        annotations: rke2Annotations(locked, file),
      });
      events({ type: 'artifact-done', kind: 'file', name: file.name, digest: blob.digest });
      return { file, root };
    }),
  );
}

/** Annotations of an RKE2 file's artifact manifest and index.json entry. */
export function rke2Annotations(locked: LockedRke2, file: LockedRke2File): Record<string, string> {
  return {
    [Annotation.Kind]: 'rke2',
    [Annotation.Rke2Role]: file.role,
    [Annotation.Rke2Version]: locked.version,
    ...(file.imageSet !== undefined ? { [Annotation.Rke2ImageSet]: file.imageSet } : {}),
    ...(file.role === 'images' ? { [Annotation.Rke2PushImages]: String(locked.pushImages) } : {}),
  };
}

function checkAgainstList(file: LockedRke2File, found: string[]): void {
  const listed = new Set(file.images ?? []);
  const inTarball = new Set(found);
  const missing = [...listed].filter((r) => !inTarball.has(r)).sort();
  const extra = [...inTarball].filter((r) => !listed.has(r)).sort();
  if (missing.length === 0 && extra.length === 0) return;
  const lines = [...missing.map((r) => `listed but not in the tarball: ${r}`), ...extra.map((r) => `in the tarball but not listed: ${r}`)];
  throw new FerryError(
    'IMAGE_LIST_MISMATCH',
    `${file.name} does not hold exactly the images its .txt list names:\n  ${lines.join('\n  ')}`,
    {
      file: file.name,
      missing,
      extra,
    },
  );
}
