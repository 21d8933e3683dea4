import { readFile } from 'node:fs/promises';
import { digestFromHex, sha256 } from '../../core/digest.js';
import { FerryError } from '../../core/errors.js';
import type { EventSink } from '../../core/events.js';
import { Annotation, type Descriptor, MediaType } from '../../core/media-types.js';
import type { LockedAptSource, LockedDeb } from './schema.js';
import type { ContentStore } from '../../store/content-store.js';
import { EMPTY_CONFIG, EMPTY_DESCRIPTOR } from '../../bundle/file-artifact.js';
import type { HttpGetter } from '../../registry/http-getter-type.js';
import { fetchFileBlob, storeFileArtifact } from '../file/file-fetcher.js';
import type { FetchedFiles } from './apt-index.js';

export const APT_METADATA_TYPE = 'application/vnd.ferry.apt.metadata.v1';

export interface FetchedApt {
  debs: { deb: LockedDeb; root: Descriptor }[];
  /** One metadata artifact per source: keyring, signed Release files, Packages indexes. */
  meta: { source: LockedAptSource; index: number; root: Descriptor }[];
}

/** Release files and signatures are kilobytes; the indexes are capped at the size the lock recorded for them. */
const RELEASE_MAX = 16 << 20;

/**
 * fetch(): every .deb into the cache, checked against the SHA256 and size of its Packages stanza; and per source a
 * metadata artifact holding the keyring, the signed Release files and the Packages indexes, so `bundle verify` can
 * check the whole chain again in the enclave (signature → index → deb), not just the deb hashes. One source (the
 * `index`th of the lock, which names its metadata artifact) at a time; `have` is what resolve read of its metadata.
 */
export async function fetchAptSource(
  source: LockedAptSource,
  index: number,
  have: FetchedFiles | undefined,
  http: HttpGetter,
  store: ContentStore,
  events: EventSink,
): Promise<FetchedApt> {
  const debs: FetchedApt['debs'] = [];
  const meta: FetchedApt['meta'] = [];
  for (const deb of source.debs) {
    events({ type: 'artifact-start', kind: 'apt', name: deb.file });
    const locked = { name: deb.file, url: deb.url, sha256: deb.sha256, size: deb.size, vouchedBy: { kind: 'inline' as const } };
    const vouch = `${source.url}/dists/${deb.suite}/${deb.index}`;
    const blob = await fetchFileBlob(locked, http, store, events, vouch);
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
  meta.push({ source, index, root: await storeMetadata(source, have, http, store) });
  return { debs, meta };
}

/** The expected files of a source's metadata: bundle path → URL (or local path) and sha256. */
function expectedFiles(source: LockedAptSource): { path: string; from: string; local?: boolean; sha256?: string; max: number }[] {
  const out: { path: string; from: string; local?: boolean; sha256?: string; max: number }[] = [
    { path: 'keyring.gpg', from: source.keyring.path, local: true, sha256: source.keyring.sha256, max: RELEASE_MAX },
  ];
  for (const r of source.releases) {
    out.push({ path: `dists/${r.suite}/${r.file}`, from: r.url, sha256: r.sha256, max: RELEASE_MAX });
    if (r.file === 'Release') out.push({ path: `dists/${r.suite}/Release.gpg`, from: `${r.url}.gpg`, max: RELEASE_MAX });
    for (const i of r.indexes) out.push({ path: `dists/${r.suite}/${i.path}`, from: i.url, sha256: i.sha256, max: i.size });
  }
  return out;
}

async function storeMetadata(
  source: LockedAptSource,
  have: FetchedFiles | undefined,
  http: HttpGetter,
  store: ContentStore,
): Promise<Descriptor> {
  const layers: Descriptor[] = [];
  for (const f of expectedFiles(source)) {
    const body = have?.get(f.path) ?? (f.local ? await readFile(f.from) : await http.getBuffer(f.from, f.max));
    const actual = sha256(body);
    if (f.sha256 && actual !== digestFromHex(f.sha256)) {
      throw new FerryError('DIGEST_MISMATCH', `${f.from}: expected sha256:${f.sha256} (the lock), got ${actual}`, {
        url: f.from,
        expected: f.sha256,
        actual,
      });
    }
    const desc: Descriptor = { mediaType: MediaType.OctetStream, digest: actual, size: body.length };
    await store.putBuffer(desc, body);
    layers.push({ ...desc, annotations: { [Annotation.Title]: f.path } });
  }
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
