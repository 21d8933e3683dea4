import { sha256 } from '../../core/digest.js';
import { isFerryError } from '../../core/errors.js';
import type { EventSink } from '../../core/events.js';
import { Annotation, type Descriptor, MediaType } from '../../core/media-types.js';
import type { LockedAptSource, LockedDeb } from './schema.js';
import type { ContentStore } from '../../store/content-store.js';
import { EMPTY_CONFIG, EMPTY_DESCRIPTOR } from '../../bundle/file-artifact.js';
import type { HttpGetter } from '../../registry/http-getter-type.js';
import { fetchFileBlob, storeFileArtifact } from '../file/file-fetcher.js';
import type { FetchedFiles } from './apt-index.js';
import { type Gone, goneError, storeLockedMetadata } from './locked-metadata.js';

export const APT_METADATA_TYPE = 'application/vnd.ferry.apt.metadata.v1';

export interface FetchedApt {
  debs: { deb: LockedDeb; root: Descriptor }[];
  /** One metadata artifact per source: keyring, signed Release files, Packages indexes. */
  meta: { source: LockedAptSource; index: number; root: Descriptor }[];
}

/**
 * fetch(): every .deb into the cache, checked against the SHA256 and size of its Packages stanza; and per source a
 * metadata artifact holding the keyring, the signed Release files and the Packages indexes, so `bundle verify` can
 * check the whole chain again in the enclave (signature → index → deb), not just the deb hashes. One source (the
 * `index`th of the lock, which names its metadata artifact) at a time; `have` is what resolve read of its metadata.
 * What the cache holds is used as it is, by sha256 (a `--lock` pull after the archive moved on needs nothing that
 * upstream dropped, if the cache kept it); what neither the cache nor upstream has any more fails the pull once,
 * naming every such file (locked-metadata.ts goneError).
 */
export async function fetchAptSource(
  source: LockedAptSource,
  index: number,
  have: FetchedFiles | undefined,
  http: HttpGetter,
  store: ContentStore,
  events: EventSink,
): Promise<FetchedApt> {
  const gone: Gone[] = [];
  // The metadata first: a few small files, and the first to change when the archive moves on.
  const layers = await storeLockedMetadata(source, have, http, store, gone);
  const debs: FetchedApt['debs'] = [];
  for (const deb of source.debs) {
    events({ type: 'artifact-start', kind: 'apt', name: deb.file });
    const locked = { name: deb.file, url: deb.url, sha256: deb.sha256, size: deb.size, vouchedBy: { kind: 'inline' as const } };
    const vouch = `${source.url}/dists/${deb.suite}/${deb.index}`;
    let blob: Descriptor;
    try {
      blob = await fetchFileBlob(locked, http, store, events, vouch);
    } catch (err) {
      // A superseded version leaves the pool: named with the others once all are tried.
      if (!isFerryError(err, 'NOT_FOUND')) throw err;
      gone.push({ what: `${deb.name} ${deb.version} (${deb.architecture})`, url: deb.url, why: 'HTTP 404' });
      continue;
    }
    const root = await storeFileArtifact(store, {
      name: deb.file,
      url: deb.url,
      digest: blob.digest,
      size: blob.size,
      checksumSource: vouch,
      annotations: {
        [Annotation.Kind]: 'apt',
        'dev.ferry.apt.package': deb.name,
        'dev.ferry.apt.version': deb.version,
        'dev.ferry.apt.architecture': deb.architecture,
      },
    });
    debs.push({ deb, root });
    events({ type: 'artifact-done', kind: 'apt', name: deb.file, digest: blob.digest });
  }
  if (gone.length > 0) throw goneError(source, gone, store.root);
  return { debs, meta: [{ source, index, root: await storeMetadata(source, layers, store) }] };
}

/** The metadata artifact of a source: an OCI artifact manifest over its layers. */
async function storeMetadata(source: LockedAptSource, layers: Descriptor[], store: ContentStore): Promise<Descriptor> {
  const manifest = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: MediaType.OciManifest,
      artifactType: APT_METADATA_TYPE,
      config: EMPTY_DESCRIPTOR,
      layers,
      annotations: { [Annotation.Kind]: 'apt-meta', [Annotation.Source]: source.url },
    }),
  );
  await store.putBuffer(EMPTY_DESCRIPTOR, EMPTY_CONFIG);
  const desc: Descriptor = {
    mediaType: MediaType.OciManifest,
    digest: sha256(manifest),
    size: manifest.length,
    artifactType: APT_METADATA_TYPE,
  };
  await store.putBuffer(desc, manifest);
  return desc;
}
