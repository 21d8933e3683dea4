import type { BundleReader } from '../bundle/reader.js';
import { parseMemberJson } from '../bundle/member-json.js';
import { blobPath, chartRefName } from '../bundle/format.js';
import { digestHex } from '../core/digest.js';
import { Annotation, type Descriptor, type ImageManifest } from '../core/media-types.js';
import { IMAGE_TOC_MEDIA_TYPE, parseArchiveToc } from '../docker-archive/image-toc.js';
import { readVerified } from '../graph/copy.js';
import type { Lock } from '../lock/types.js';
import { type Report, checker, imageRefProblem } from './gate-lock.js';
import { mediaTypeProblem, plainTextProblem } from './grammar.js';
import { quoteUntrusted } from './untrusted-text.js';

const KINDS = new Set(['image', 'file', 'rke2', 'chart', 'apt', 'apt-meta', 'ferry']);

/**
 * index.json against the lock: each entry's names must be exactly the ones the lock gives that artifact (a file's
 * title is the lock's file name, a chart's name and version its locked entry, a deb's title its locked pool file),
 * and the artifact manifests behind them must say the same (the layer title stage writes the file under, the chart
 * config's name and version stage names the .tgz after). Manifests are read through their digests.
 */
export async function checkIndexAgainstLock(reader: BundleReader, lock: Lock, report: Report): Promise<void> {
  const check = checker(report);
  const mismatch = (artifact: string, field: string, value: unknown, expected: string) => report({ artifact, field, value, why: `is not what the lock says (${quoteUntrusted(expected)})` });
  const seen = new Set<string>();
  const once = (artifact: string, key: string) => {
    if (seen.has(key)) report({ artifact, field: 'index.json', value: key, why: 'appears twice' });
    seen.add(key);
  };
  const files = new Map(lock.files.map((f) => [f.name, f]));
  const rke2Files = new Map((lock.rke2?.files ?? []).map((f) => [f.name, f]));
  const charts = new Map((lock.charts ?? []).map((c) => [chartRefName(c.name, c.version), c]));
  const debs = new Map((lock.apt ?? []).flatMap((s) => s.debs).map((d) => [d.file, d]));
  const images = new Map(lock.images.map((i) => [i.ref, i]));

  for (const d of reader.index().manifests) {
    const a = d.annotations ?? {};
    const kind = a[Annotation.Kind] ?? '';
    const ref = a[Annotation.RefName] ?? '';
    const title = a[Annotation.Title] ?? '';
    if (!KINDS.has(kind)) {
      report({ artifact: `index.json entry ${ref || d.digest}`, field: Annotation.Kind, value: kind, why: `is not one of ${[...KINDS].join(', ')}` });
      continue;
    }
    once(`${kind} ${ref}`, `${kind} ${ref}`);
    if (kind === 'image') {
      if (!check(`image ${ref}`, Annotation.RefName, ref, imageRefProblem)) continue;
      const locked = images.get(ref);
      if (!locked) report({ artifact: `image ${ref}`, field: Annotation.RefName, value: ref, why: 'is not an image of the lock' });
      else if (locked.digest !== d.digest) mismatch(`image ${ref}`, 'digest', d.digest, locked.digest);
      const cname = a[Annotation.ContainerdName];
      if (cname !== undefined && cname !== ref) mismatch(`image ${ref}`, Annotation.ContainerdName, cname, ref);
      continue;
    }
    if (kind === 'chart') {
      const c = charts.get(ref);
      if (!c) {
        report({ artifact: `chart ${ref}`, field: Annotation.RefName, value: ref, why: 'is not a chart of the lock' });
        continue;
      }
      const what = `chart ${c.name} ${c.version}`;
      if (title !== c.name) mismatch(what, Annotation.Title, title, c.name);
      if (a[Annotation.ChartVersion] !== c.version) mismatch(what, Annotation.ChartVersion, a[Annotation.ChartVersion], c.version);
      const m = await manifestOf(reader, d, what, report);
      if (!m) continue;
      const layer = m.layers[0];
      if (layer?.digest !== `sha256:${c.sha256}`) mismatch(what, 'layer digest', layer?.digest, `sha256:${c.sha256}`);
      const lt = layer?.annotations?.[Annotation.Title];
      if (lt !== undefined && lt !== c.name) mismatch(what, `layer ${Annotation.Title}`, lt, c.name);
      // Stage names the .tgz after Chart.yaml (carried as the config): it must be the locked chart too.
      if (!m.config || !reader.hasBlob(m.config.digest)) continue;
      const meta = await jsonOf<{ name?: unknown; version?: unknown }>(reader, m.config, `${what} config`, report);
      if (meta && meta.name !== c.name) mismatch(what, 'Chart.yaml name', meta.name, c.name);
      if (meta && meta.version !== c.version) mismatch(what, 'Chart.yaml version', meta.version, c.version);
      continue;
    }
    if (kind === 'apt-meta') {
      const m = await manifestOf(reader, d, `apt metadata ${ref}`, report);
      for (const l of m?.layers ?? []) {
        check(`apt metadata ${ref}`, 'layer mediaType', l.mediaType, mediaTypeProblem);
        const t = l.annotations?.[Annotation.Title];
        if (check(`apt metadata ${ref}`, `layer ${Annotation.Title}`, t, metaPathProblem) && t?.endsWith('/Packages.gz')) {
          // dists/<suite>/<component>/binary-<arch>/Packages.gz: each segment a value the lock already vouched for.
          const [, suite, component, bin] = (t ?? '').split('/');
          const source = (lock.apt ?? []).find((s) => s.suites.includes(suite ?? '') && s.components.includes(component ?? '') && s.architectures.some((x) => bin === `binary-${x}`));
          if (!source) report({ artifact: `apt metadata ${ref}`, field: `layer ${Annotation.Title}`, value: t, why: "does not name a suite, component and architecture of the lock" });
        }
      }
      continue;
    }
    // file, rke2, apt and ferry: one file artifact, named in the lock.
    const locked = kind === 'file' ? files.get(title) : kind === 'rke2' ? rke2Files.get(title) : kind === 'ferry' ? (lock.ferry?.name === title ? lock.ferry : undefined) : debs.get(title);
    const what = `${kind} ${title}`;
    if (!locked) {
      report({ artifact: what, field: Annotation.Title, value: title, why: `is not the name of a ${kind === 'apt' ? 'deb' : kind === 'rke2' ? 'RKE2 file' : kind === 'ferry' ? 'ferry executable' : 'file'} in the lock` });
      continue;
    }
    const expectedRef = kind === 'file' ? `file/${title}` : `${kind}/${title}`;
    if (ref !== expectedRef) mismatch(what, Annotation.RefName, ref, expectedRef);
    const sha = 'sha256' in locked ? locked.sha256 : '';
    if (kind === 'rke2' && lock.rke2) {
      const f = rke2Files.get(title);
      if (a[Annotation.Rke2Role] !== f?.role) mismatch(what, Annotation.Rke2Role, a[Annotation.Rke2Role], f?.role ?? '');
      if (a[Annotation.Rke2Version] !== undefined && a[Annotation.Rke2Version] !== lock.rke2.version) mismatch(what, Annotation.Rke2Version, a[Annotation.Rke2Version], lock.rke2.version);
      if (a[Annotation.Rke2ImageSet] !== undefined && a[Annotation.Rke2ImageSet] !== f?.imageSet) mismatch(what, Annotation.Rke2ImageSet, a[Annotation.Rke2ImageSet], f?.imageSet ?? '');
    }
    const m = await manifestOf(reader, d, what, report);
    if (!m) continue;
    const layer = m.layers[0];
    const lt = layer?.annotations?.[Annotation.Title];
    if (lt !== title) mismatch(what, `layer ${Annotation.Title}`, lt, title);
    if (layer?.digest !== `sha256:${sha}`) mismatch(what, 'layer digest', layer?.digest, `sha256:${sha}`);
    for (const v of Object.values(m.annotations ?? {})) check(what, 'manifest annotation', v, plainTextProblem);
    // Stage writes ferry's SBOM under its layer title: it must be the name the lock gives it.
    const sbomTitle = m.layers[1]?.annotations?.[Annotation.Title];
    if (kind === 'ferry' && m.layers[1] && sbomTitle !== lock.ferry?.sbom?.name) mismatch(what, `SBOM layer ${Annotation.Title}`, sbomTitle, lock.ferry?.sbom?.name ?? '(no SBOM)');
    const toc = m.layers[1];
    if (kind === 'rke2' && toc?.mediaType === IMAGE_TOC_MEDIA_TYPE && reader.hasBlob(toc.digest)) {
      const parsed = await jsonOf(reader, toc, `${what} table of contents`, report, (v) => parseArchiveToc(Buffer.from(JSON.stringify(v))));
      for (const img of parsed?.images ?? []) {
        for (const r of img.refs) check(what, 'image in the tarball', r, imageRefProblem);
      }
    }
  }
}

/** A JSON blob read through its digest; an unparseable one is reported (an integrity failure), never thrown raw. */
async function jsonOf<T>(reader: BundleReader, d: Descriptor, what: string, report: Report, parse: (v: unknown) => T = (v) => v as T): Promise<T | undefined> {
  const body = await readVerified(reader, d, what);
  try {
    return parse(parseMemberJson(body, blobPath(digestHex(d.digest))));
  } catch (err) {
    report({ artifact: what, field: d.digest, value: '', why: `is not readable: ${(err as Error).message.split('\n')[0]}` });
    return undefined;
  }
}

/** An artifact manifest; undefined when the bundle does not hold it (left out of a delta; verify names it missing). */
async function manifestOf(reader: BundleReader, d: Descriptor, what: string, report: Report): Promise<ImageManifest | undefined> {
  if (!reader.hasBlob(d.digest)) return undefined;
  const m = await jsonOf<ImageManifest>(reader, d, what, report);
  if (m && !Array.isArray(m.layers)) report({ artifact: what, field: 'layers', value: String(m.layers), why: 'is not a list of descriptors' });
  return m && Array.isArray(m.layers) ? m : ({ layers: [] } as unknown as ImageManifest);
}

/** `keyring.gpg` or `dists/<suite>/…`: a relative path of plain segments. */
function metaPathProblem(v: string): string | undefined {
  if (v === 'keyring.gpg') return undefined;
  return /^dists(\/[A-Za-z0-9][A-Za-z0-9.+~_-]{0,63}){2,4}$/.test(v) ? undefined : 'is not keyring.gpg or a dists/<suite>/… path';
}

