import type { BundleReader } from '../../bundle/reader.js';
import { FerryError } from '../../core/errors.js';
import { Annotation, type Descriptor, type ImageManifest } from '../../core/media-types.js';
import { parseReference } from '../../core/reference.js';
import { IMAGE_TOC_MEDIA_TYPE, type TocImage, buildArchiveManifest, parseArchiveToc } from '../../docker-archive/image-toc.js';
import { readVerified } from '../../graph/copy.js';
import type { PushTarget } from '../../registry/push-target.js';
import { readMemberJson } from '../../bundle/member-json.js';

/** One image inside an RKE2 image tarball, and where it goes. */
export interface ArchivePushItem {
  source: string;
  repository: string;
  tag: string;
  /** The manifest ferry builds for it (deterministic, see buildArchiveManifest). */
  manifest: { descriptor: Descriptor; body: Buffer };
  image: TocImage;
}

export interface ArchivePlan {
  /** The tarball's file name and its blob in the bundle. */
  name: string;
  content: Descriptor;
  items: ArchivePushItem[];
}

/**
 * Plans the push of the images inside RKE2 image tarballs whose lock asked for it (`pushImages`), from each
 * tarball's table of contents. Names follow the registry images' rule (`docker.io/rancher/x:t` →
 * `HOST/PREFIX/rancher/x:t`), which is what RKE2's `system-default-registry` expects. A name also pushed from
 * spec.images is left to that image (it keeps the upstream digest); `taken` lists those names.
 */
export async function planArchivePush(reader: BundleReader, target: PushTarget, taken: ReadonlySet<string>): Promise<{ plans: ArchivePlan[]; skipped: string[] }> {
  const plans: ArchivePlan[] = [];
  const skipped: string[] = [];
  const byName = new Map<string, { source: string; digest: string }>();
  for (const desc of reader.index().manifests) {
    const a = desc.annotations ?? {};
    if (a[Annotation.Kind] !== 'rke2' || a[Annotation.Rke2Role] !== 'images' || a[Annotation.Rke2PushImages] !== 'true') continue;
    const name = a[Annotation.Title] ?? desc.digest;
    const artifact = await readMemberJson<ImageManifest>(reader, desc, `RKE2 file ${name}`);
    const [content, tocDesc] = artifact.layers;
    if (!content || tocDesc?.mediaType !== IMAGE_TOC_MEDIA_TYPE) {
      throw new FerryError('BUNDLE_INVALID', `RKE2 image tarball ${name} has no table of contents in the bundle`, { file: name });
    }
    const toc = parseArchiveToc(await readVerified(reader, tocDesc, `table of contents of ${name}`));
    const items: ArchivePushItem[] = [];
    for (const image of toc.images) {
      const manifest = buildArchiveManifest(image);
      if (manifest.descriptor.digest !== image.manifest) {
        throw new FerryError('BUNDLE_INVALID', `${name}: ${image.refs[0]} builds to ${manifest.descriptor.digest}, the bundle recorded ${image.manifest}`, { file: name });
      }
      for (const source of image.refs) {
        const ref = parseReference(source);
        const repository = target.prefix ? `${target.prefix}/${ref.repository}` : ref.repository;
        const tag = ref.tag ?? 'latest';
        const full = `${repository}:${tag}`;
        if (taken.has(full)) {
          skipped.push(source);
          continue;
        }
        const other = byName.get(full);
        if (other && other.digest !== image.manifest) {
          throw new FerryError('NAME_COLLISION', `${other.source} and ${source} (in ${name}) would both be pushed as ${target.registry}/${full}`, { target: full });
        }
        if (other) continue;
        byName.set(full, { source, digest: image.manifest });
        items.push({ source, repository, tag, manifest, image });
      }
    }
    plans.push({ name, content, items });
  }
  return { plans, skipped };
}
