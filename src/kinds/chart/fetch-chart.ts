import { type Digest, digestFromHex, sha256, verifiedStream } from '../../core/digest.js';
import type { EventSink } from '../../core/events.js';
import { FerryError } from '../../core/errors.js';
import { Annotation, type Descriptor } from '../../core/media-types.js';
import { readAll } from '../../core/streams.js';
import type { RegistryClient } from '../../registry/client.js';
import type { HttpGetter } from '../../registry/http-getter-type.js';
import type { ContentStore } from '../../store/content-store.js';
import { readChartArchive } from './chart-archive.js';
import { CHART_MAX, ociLocation } from './chart-fetcher.js';
import { HelmMediaType, buildHelmArtifact } from './helm-artifact.js';
import { PROV_MAX } from './prov-fetch.js';
import type { LockedChart } from './schema.js';

/** What resolve already downloaded: the archive and its .prov, so fetch does not download them again. */
export interface ChartBytes {
  tgz?: Buffer | undefined;
  prov?: Buffer | undefined;
}

/**
 * fetch(): the chart's `.tgz` (and its `.prov`, when the lock records one) into the cache (from resolve, or
 * downloaded again and checked against the lock), and its Helm OCI artifact beside it. Returns the artifact's
 * manifest descriptor.
 */
export async function fetchChart(
  locked: LockedChart,
  have: ChartBytes,
  http: HttpGetter,
  client: RegistryClient,
  store: ContentStore,
  events: EventSink,
): Promise<Descriptor> {
  const digest = digestFromHex(locked.sha256, `sha256 of chart ${locked.name}`);
  const tgz =
    have.tgz ??
    checked(await download(locked, digest, locked.size, CHART_MAX, HelmMediaType.Content, '', http, client), digest, locked, 'chart');
  const prov = locked.provenance ? await provenanceBytes(locked, have.prov, http, client) : undefined;
  const chart = readChartArchive(tgz, `chart ${locked.name} ${locked.version}`);
  const provDesc = prov ? { digest: sha256(prov), size: prov.length } : undefined;
  const artifact = buildHelmArtifact(chart.meta, { digest: digest as Digest, size: tgz.length }, provDesc);
  await store.putBuffer({ mediaType: HelmMediaType.Content, digest, size: tgz.length }, tgz);
  if (prov && provDesc) await store.putBuffer({ mediaType: HelmMediaType.Provenance, ...provDesc }, prov);
  await store.putBuffer(
    { mediaType: HelmMediaType.Config, digest: sha256(artifact.config), size: artifact.config.length },
    artifact.config,
  );
  await store.putBuffer(artifact.descriptor, artifact.manifest);
  events({ type: 'blob', action: 'fetched', digest, size: tgz.length });
  return { ...artifact.descriptor, annotations: { [Annotation.Title]: locked.name } };
}

async function provenanceBytes(locked: LockedChart, have: Buffer | undefined, http: HttpGetter, client: RegistryClient): Promise<Buffer> {
  const p = locked.provenance as NonNullable<LockedChart['provenance']>;
  const digest = digestFromHex(p.sha256, `sha256 of the provenance of chart ${locked.name}`);
  if (have) return checked(have, digest, locked, 'provenance');
  return checked(
    await download(locked, digest, p.size, PROV_MAX, HelmMediaType.Provenance, '.prov', http, client),
    digest,
    locked,
    'provenance',
  );
}

/** The archive (or with suffix `.prov`, its provenance) from where the lock says it came. */
async function download(
  locked: LockedChart,
  digest: Digest,
  lockedSize: number,
  max: number,
  mediaType: string,
  suffix: string,
  http: HttpGetter,
  client: RegistryClient,
): Promise<Buffer> {
  if (locked.vouchedBy.kind === 'index') return http.getBuffer(`${locked.vouchedBy.url}${suffix}`, max);
  const { registry, repository } = ociLocation(locked);
  // Read no further than the locked size: a body running past it fails there instead of filling memory.
  const size = Math.min(lockedSize, max);
  return readAll(
    verifiedStream(await client.fetchBlob(registry, repository, { mediaType, digest, size }), {
      digest,
      size,
      subject: `chart ${locked.name} ${locked.version}${suffix}`,
    }),
  );
}

function checked(bytes: Buffer, digest: Digest, locked: LockedChart, what: 'chart' | 'provenance'): Buffer {
  const actual = sha256(bytes);
  if (actual !== digest) {
    const subject = what === 'chart' ? `chart ${locked.name} ${locked.version}` : `provenance of chart ${locked.name} ${locked.version}`;
    throw new FerryError('DIGEST_MISMATCH', `${subject}: expected ${digest} (the lock), got ${actual}`, {
      chart: locked.name,
      expected: digest,
      actual,
    });
  }
  return bytes;
}
