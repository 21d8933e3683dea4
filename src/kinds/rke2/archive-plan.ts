import type { BundleReader } from '../../bundle/reader.js';
import { FerryError } from '../../core/errors.js';
import { Annotation, type Descriptor, type ImageManifest } from '../../core/media-types.js';
import { parseReference } from '../../core/reference.js';
import { IMAGE_TOC_MEDIA_TYPE, buildArchiveManifest, parseArchiveToc } from '../../docker-archive/image-toc.js';
import { readVerified } from '../../graph/copy.js';
import type { PushTarget } from '../../registry/push-target.js';
import { readMemberJson } from '../../bundle/member-json.js';
import { targetRepository } from '../../registry/target-name.js';
import type { PushStep } from '../facets/push.js';

/**
 * Plans the push of the images inside one RKE2 image tarball whose lock asked for it (`pushImages`), from the
 * tarball's table of contents: one step per reference of each image. Names follow the registry images' rule
 * (`docker.io/rancher/x:t` → `HOST/PREFIX/rancher/x:t`), which is what RKE2's `system-default-registry` expects.
 * Any other entry plans nothing. Which of two steps on one name wins is push/plan-push.ts's rule.
 */
export async function planArchivePush(reader: BundleReader, desc: Descriptor, target: PushTarget): Promise<PushStep[]> {
  const a = desc.annotations ?? {};
  if (a[Annotation.Rke2Role] !== 'images' || a[Annotation.Rke2PushImages] !== 'true') return [];
  const name = a[Annotation.Title] ?? desc.digest;
  const artifact = await readMemberJson<ImageManifest>(reader, desc, `RKE2 file ${name}`);
  const [content, tocDesc] = artifact.layers;
  if (!content || tocDesc?.mediaType !== IMAGE_TOC_MEDIA_TYPE) {
    throw new FerryError('BUNDLE_INVALID', `RKE2 image tarball ${name} has no table of contents in the bundle`, { file: name });
  }
  const toc = parseArchiveToc(await readVerified(reader, tocDesc, `table of contents of ${name}`));
  const steps: PushStep[] = [];
  for (const image of toc.images) {
    const manifest = buildArchiveManifest(image);
    if (manifest.descriptor.digest !== image.manifest) {
      throw new FerryError(
        'BUNDLE_INVALID',
        `${name}: ${image.refs[0]} builds to ${manifest.descriptor.digest}, the bundle recorded ${image.manifest}`,
        { file: name },
      );
    }
    for (const source of image.refs) {
      const ref = parseReference(source);
      steps.push({
        item: {
          kind: 'image',
          source,
          repository: targetRepository(target, ref.repository),
          tag: ref.tag ?? 'latest',
          root: manifest.descriptor,
          archive: name,
        },
        from: 'the RKE2 tarball',
        progress: 'image',
        how: { via: 'tarball', tarball: { name, content }, body: manifest.body, blobs: [image.config, ...image.layers] },
      });
    }
  }
  return steps;
}
