import { readFile } from 'node:fs/promises';
import { parse } from 'yaml';
import { sha256, verifiedStream } from '../../core/digest.js';
import { FerryError } from '../../core/errors.js';
import type { ImageManifest } from '../../core/media-types.js';
import { readAll } from '../../core/streams.js';
import { readChartArchive } from './chart-archive.js';
import type { DiscoveredImage } from './discover-images.js';
import { HelmMediaType } from './helm-artifact.js';
import { imageMatches } from './image-patterns.js';
import { type IndexEntry, indexEntriesFor } from './repo-index.js';
import { selectChartVersion, tagToVersion, versionToTag } from './select-version.js';
import { type Values, isMap } from './values.js';
import { type ImageFinding, findChartImages } from './render/find-images.js';
import type { ChartImage, ChartVouchedBy, LockedChart, ChartEntry } from './schema.js';
import type { RegistryClient } from '../../registry/client.js';
import type { HttpGetter } from '../../registry/http-getter-type.js';
import { PROV_MAX, archiveName, checkChartProvenance, fetchProvenance } from './prov-fetch.js';

const INDEX_MAX = 256 << 20; // prometheus-community's index.yaml is tens of MB
export const CHART_MAX = 64 << 20;

export interface ResolvedChart {
  locked: LockedChart;
  tgz: Buffer;
  /** The .prov bytes, when the chart has one. */
  prov?: Buffer;
}

/**
 * resolve(): pin a chart to one version and the sha256 of its `.tgz`, vouched for by the repository's index.yaml
 * digest or by the OCI registry's manifest, then read the chart and find the images it uses: rendered by Helm, or
 * statically (render/find-images.ts; `how` says which Helm and Kubernetes version).
 */
export async function resolveChart(entry: ChartEntry, http: HttpGetter, client: RegistryClient, how: ImageFinding): Promise<ResolvedChart> {
  const got = entry.repo.startsWith('oci://') ? await fromOci(entry, client) : await fromIndex(entry, http);
  const chart = readChartArchive(got.tgz, `chart ${entry.name} ${got.version}`);
  if (chart.meta.name !== entry.name) {
    throw new FerryError('CHART_INVALID', `chart ${entry.name} ${got.version}: the archive holds chart ${chart.meta.name}`, {
      chart: entry.name,
    });
  }
  const tgzSha256 = sha256(got.tgz).slice(7);
  const prov = await checkChartProvenance(entry, got.version, { sha256: tgzSha256, name: got.archive }, got.provUrl, got.prov);
  const values = await Promise.all(entry.values.map(async (v) => ({ path: v.path, body: await readValuesFile(v.file, entry.name) })));
  const found = entry.images
    ? await findChartImages(
        chart,
        got,
        entry,
        values.map((v) => ({ path: v.path, values: v.body.parsed })),
        how,
      )
    : undefined;
  return {
    tgz: got.tgz,
    ...(prov ? { prov: prov.bytes } : {}),
    locked: {
      repo: entry.repo,
      name: entry.name,
      requested: entry.version,
      version: got.version,
      sha256: tgzSha256,
      size: got.tgz.length,
      vouchedBy: got.vouchedBy,
      imagesEnabled: entry.images,
      extraImages: entry.extraImages,
      excludeImages: entry.excludeImages,
      values: values.map((v) => ({ path: v.path, sha256: v.body.sha256 })),
      images: found ? chartImages(found.images, entry) : [],
      ...(found ? { discovery: found.discovery } : {}),
      ...(found?.unresolved?.length ? { unresolvedImages: found.unresolved } : {}),
      ...(prov ? { provenance: prov.locked } : {}),
    },
  };
}

/** The chart's images: what rendering or discovery found, plus extraImages, minus excludeImages. */
export function chartImages(discovered: DiscoveredImage[], entry: Pick<ChartEntry, 'extraImages' | 'excludeImages'>): ChartImage[] {
  const found = new Map(discovered.map((i) => [i.ref, i.sources]));
  for (const ref of entry.extraImages) found.set(ref, [...(found.get(ref) ?? []), 'extraImages in the bundle manifest']);
  return [...found]
    .filter(([ref]) => !entry.excludeImages.some((p) => imageMatches(ref, p)))
    .map(([ref, sources]) => ({ ref, sources: [...new Set(sources)].sort() }))
    .sort((a, b) => (a.ref < b.ref ? -1 : 1));
}

async function readValuesFile(path: string, chart: string): Promise<{ sha256: string; parsed: Values }> {
  let text: Buffer;
  try {
    text = await readFile(path);
  } catch (err) {
    throw new FerryError('MANIFEST_INVALID', `chart ${chart}: cannot read values file ${path}: ${(err as Error).message}`, { path });
  }
  const parsed = (() => {
    try {
      return parse(text.toString('utf8')) as unknown;
    } catch (err) {
      throw new FerryError(
        'MANIFEST_INVALID',
        `chart ${chart}: values file ${path} is not YAML: ${(err as Error).message.split('\n')[0]}`,
        { path },
      );
    }
  })();
  return { sha256: sha256(text).slice(7), parsed: isMap(parsed) ? parsed : {} };
}

interface Got {
  version: string;
  tgz: Buffer;
  vouchedBy: ChartVouchedBy;
  /** The archive's file name (what a .prov lists), where its .prov is, and the .prov if there is one. */
  archive: string;
  provUrl: string;
  prov?: Buffer;
}

/** Classic repository (helm pkg/repo/v1): index.yaml, version selection, URL resolution, digest check. */
async function fromIndex(entry: ChartEntry, http: HttpGetter): Promise<Got> {
  const indexUrl = `${entry.repo}/index.yaml`;
  const body = await http.getBuffer(indexUrl, INDEX_MAX);
  let listed: IndexEntry[] | undefined;
  try {
    listed = indexEntriesFor(body.toString('utf8'), entry.name);
  } catch (err) {
    throw new FerryError('CHART_INVALID', `${indexUrl} is not a chart repository index: ${(err as Error).message.split('\n')[0]}`, {
      url: indexUrl,
    });
  }
  const versions = (listed ?? []).filter((e) => e.version !== undefined);
  if (versions.length === 0)
    throw new FerryError('CHART_VERSION_MISSING', `${indexUrl} has no chart ${entry.name}`, { url: indexUrl, chart: entry.name });
  const version = selectChartVersion(
    versions.map((e) => String(e.version)),
    entry.version,
  );
  if (version === undefined)
    throw noVersion(
      entry,
      indexUrl,
      versions.map((e) => String(e.version)),
    );
  const chosen = versions.find((e) => String(e.version) === version) as IndexEntry;
  const urls = Array.isArray(chosen.urls) ? chosen.urls.filter((u): u is string => typeof u === 'string') : [];
  if (urls.length === 0)
    throw new FerryError('CHART_INVALID', `${indexUrl}: ${entry.name} ${version} has no download URL`, { url: indexUrl });
  if (typeof chosen.digest !== 'string' || !/^[0-9a-f]{64}$/i.test(chosen.digest)) {
    throw new FerryError(
      'CHECKSUM_MISSING',
      `${indexUrl}: ${entry.name} ${version} has no sha256 digest, so nothing vouches for its .tgz`,
      { url: indexUrl },
    );
  }
  const url = chartUrl(entry.repo, urls[0] as string);
  const tgz = await http.getBuffer(url, CHART_MAX);
  const expected = chosen.digest.toLowerCase();
  const actual = sha256(tgz).slice(7);
  if (actual !== expected) {
    throw new FerryError('DIGEST_MISMATCH', `chart ${entry.name} ${version} (${url}): sha256 ${actual}, but ${indexUrl} says ${expected}`, {
      chart: entry.name,
      url,
      expected,
      actual,
    });
  }
  const prov = await fetchProvenance(`${url}.prov`, http, entry.keyring !== undefined);
  return {
    version,
    tgz,
    vouchedBy: { kind: 'index', indexUrl, indexSha256: sha256(body).slice(7), url },
    archive: archiveName(url),
    provUrl: `${url}.prov`,
    ...(prov ? { prov } : {}),
  };
}

/**
 * helm pkg/repo/v1/chartrepo.go ResolveReferenceURL: a relative URL is resolved against the repository URL with a
 * trailing slash forced on it, and the repository URL's query string is carried over.
 */
export function chartUrl(repo: string, ref: string): string {
  if (/^[a-z][a-z0-9+.-]*:/i.test(ref)) return ref;
  const base = new URL(repo);
  if (!base.pathname.endsWith('/')) base.pathname += '/';
  const out = new URL(ref, base);
  if (base.search && !out.search) out.search = base.search;
  return out.toString();
}

/** OCI registry: `oci://host/path` + name; tags are versions with `+` written `_`. */
async function fromOci(entry: ChartEntry, client: RegistryClient): Promise<Got> {
  const { registry, repository } = ociLocation(entry);
  const tags = await client.listTags(registry, repository);
  const versions = tags.map(tagToVersion);
  const version = selectChartVersion(versions, entry.version);
  if (version === undefined) throw noVersion(entry, `oci://${registry}/${repository}`, versions);
  const ref = `${registry}/${repository}:${versionToTag(version)}`;
  const { descriptor, body } = await client.getManifest(registry, repository, versionToTag(version));
  const manifest = JSON.parse(body.toString('utf8')) as ImageManifest;
  const layer = manifest.layers?.find((l) => l.mediaType === HelmMediaType.Content || l.mediaType === HelmMediaType.LegacyContent);
  if (!layer) throw new FerryError('CHART_INVALID', `${ref} is not a Helm chart: no ${HelmMediaType.Content} layer`, { ref });
  if (layer.size > CHART_MAX)
    throw new FerryError(
      'CHART_INVALID',
      `${ref}: its chart layer is ${layer.size} bytes, more than the ${CHART_MAX} bytes a chart archive may be`,
      { ref },
    );
  const tgz = await readAll(
    verifiedStream(await client.fetchBlob(registry, repository, layer), {
      digest: layer.digest,
      size: layer.size,
      subject: `chart ${ref}`,
    }),
  );
  // helm push stores the .prov as a layer of its own in the chart's manifest (helm pkg/registry ProvLayerMediaType).
  const provLayer = manifest.layers?.find((l) => l.mediaType === HelmMediaType.Provenance);
  const prov =
    provLayer && provLayer.size <= PROV_MAX
      ? await readAll(
          verifiedStream(await client.fetchBlob(registry, repository, provLayer), { ...provLayer, subject: `provenance of ${ref}` }),
        )
      : undefined;
  return {
    version,
    tgz,
    vouchedBy: { kind: 'oci', ref, manifestDigest: descriptor.digest },
    archive: `${entry.name}-${version}.tgz`,
    provUrl: `oci://${ref} provenance layer`,
    ...(prov ? { prov } : {}),
  };
}

export function ociLocation(entry: Pick<ChartEntry, 'repo' | 'name'>): { registry: string; repository: string } {
  const rest = entry.repo.slice('oci://'.length);
  const slash = rest.indexOf('/');
  const registry = slash < 0 ? rest : rest.slice(0, slash);
  const path = slash < 0 ? '' : rest.slice(slash + 1);
  return { registry, repository: path ? `${path}/${entry.name}` : entry.name };
}

function noVersion(entry: ChartEntry, where: string, versions: string[]): FerryError {
  const newest = [...versions].slice(0, 10).join(', ');
  return new FerryError(
    'CHART_VERSION_MISSING',
    `chart ${entry.name}: no version matches ${entry.version} at ${where} (it has ${versions.length}: ${newest}${versions.length > 10 ? ', …' : ''})`,
    {
      chart: entry.name,
      wanted: entry.version,
    },
  );
}
