import { FerryError } from '../core/errors.js';
import { Annotation, type Descriptor, type ImageIndex } from '../core/media-types.js';
import { parseReference } from '../core/reference.js';
import type { PushTarget } from '../registry/push-target.js';
import { versionToTag } from '../kinds/chart/select-version.js';
import { chartNameProblem, chartVersionProblem, repositoryProblem, tagProblem } from '../validate/grammar.js';
import { quoteUntrusted } from '../validate/untrusted-text.js';

export interface PushItem {
  /** The image's full upstream reference, as named in the bundle. */
  source: string;
  /** Repository in the target registry. */
  repository: string;
  /** Tag to set last; absent for digest-only references (pushed by digest). */
  tag?: string;
  root: Descriptor;
  /** Set when the image comes from inside an RKE2 image tarball (that tarball's file name). */
  archive?: string;
}

/**
 * Pure plan of a push: which image goes to which repository and tag. The upstream registry host is dropped
 * (`docker.io/velero/velero:v1.9.1` → `HOST/PREFIX/velero/velero:v1.9.1`), which is the layout containerd
 * mirrors (RKE2 registries.yaml) expect. Two images landing on one name is an error naming both.
 */
export function planPush(index: ImageIndex, target: PushTarget): PushItem[] {
  const items: PushItem[] = [];
  const byName = new Map<string, string>();
  for (const desc of index.manifests) {
    const kind = desc.annotations?.[Annotation.Kind];
    if (kind !== 'image' && kind !== 'chart') continue;
    const source = kind === 'chart' ? desc.annotations?.[Annotation.RefName] : (desc.annotations?.[Annotation.ContainerdName] ?? desc.annotations?.[Annotation.RefName]);
    if (!source) continue;
    // Charts go where `helm install oci://HOST/PREFIX/charts/<name> --version V` looks: the tag is the version
    // with `+` written `_` (helm pkg/registry/reference.go).
    const ref = kind === 'chart' ? chartTarget(desc, source) : parseReference(source);
    const repository = target.prefix ? `${target.prefix}/${ref.repository}` : ref.repository;
    // The last word before a name goes on the wire: a repository or tag outside the distribution grammar (a `..`
    // segment, a `/` in a chart title) would be resolved by URL rules to somewhere outside HOST/PREFIX.
    const bad = repositoryProblem(repository) ?? (ref.tag !== undefined ? tagProblem(ref.tag) : undefined);
    if (bad) throw new FerryError('UNSAFE_VALUE', `${quoteUntrusted(source)} would be pushed as ${quoteUntrusted(`${repository}:${ref.tag ?? ''}`)}, which ${bad}: refused, nothing was pushed`, { source: quoteUntrusted(source) });
    const name = `${repository}${ref.tag !== undefined ? `:${ref.tag}` : `@${desc.digest}`}`;
    const other = byName.get(name);
    if (other !== undefined && other !== source) {
      throw new FerryError('NAME_COLLISION', `${other} and ${source} would both be pushed as ${target.registry}/${name}`, {
        a: other,
        b: source,
        target: `${target.registry}/${name}`,
      });
    }
    if (other === source) continue;
    byName.set(name, source);
    const root: Descriptor = { mediaType: desc.mediaType, digest: desc.digest, size: desc.size };
    items.push({ source, repository, ...(ref.tag !== undefined ? { tag: ref.tag } : {}), root });
  }
  return items;
}

function chartTarget(desc: Descriptor, source: string): { repository: string; tag: string } {
  const name = desc.annotations?.[Annotation.Title] ?? source.replace(/^charts\/|:.*$/g, '');
  const version = desc.annotations?.[Annotation.ChartVersion] ?? source.slice(source.lastIndexOf(':') + 1);
  const why = chartNameProblem(name) ?? chartVersionProblem(version);
  if (why) throw new FerryError('UNSAFE_VALUE', `chart ${quoteUntrusted(source)}: name ${quoteUntrusted(name)} version ${quoteUntrusted(version)}: ${why}: refused, nothing was pushed`, { source: quoteUntrusted(source) });
  return { repository: `charts/${name}`, tag: versionToTag(version) };
}
