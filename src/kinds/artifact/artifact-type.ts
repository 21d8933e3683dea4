import { type ImageIndex, type ImageManifest, MediaType } from '../../core/media-types.js';

/**
 * What an artifact says it is (image-spec manifest.md "Guidelines for Artifact Usage"): its `artifactType`, else its
 * config's media type unless that is the empty config (which says nothing). An index says it only by `artifactType`.
 */
export function artifactTypeOf(doc: Partial<ImageIndex & ImageManifest>): string | undefined {
  if (typeof doc.artifactType === 'string' && doc.artifactType !== '') return doc.artifactType;
  const config = doc.config?.mediaType;
  return typeof config === 'string' && config !== MediaType.OciEmpty ? config : undefined;
}

/** An image config: such a manifest is a container image, for spec.images, not an artifact. */
export function isImageConfig(mediaType: string): boolean {
  return mediaType === MediaType.OciConfig || mediaType === MediaType.DockerConfig;
}
