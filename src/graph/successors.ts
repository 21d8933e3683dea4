import { FerryError } from '../core/errors.js';
import { parseDigest } from '../core/digest.js';
import { type Descriptor, type ImageIndex, type ImageManifest, isIndexType, isManifestType } from '../core/media-types.js';

/** Is this descriptor a manifest or index (content ferry parses), as opposed to an opaque blob? */
export function isManifestLike(desc: Descriptor): boolean {
  return isIndexType(desc.mediaType) || isManifestType(desc.mediaType);
}

/**
 * The children of a node in the content graph (image-spec manifest.md and image-index.md): an index's manifests,
 * a manifest's config and layers. `subject` is deliberately not followed: it points at a parent, not a child.
 * Parsing is strict about the one thing that would make a copy wrong: a body whose `mediaType` disagrees with the
 * descriptor's (distribution-spec: "the client SHOULD verify the returned mediaType").
 */
export function successors(desc: Descriptor, body: Buffer): Descriptor[] {
  if (!isManifestLike(desc)) return [];
  let parsed: Partial<ImageManifest & ImageIndex>;
  try {
    parsed = JSON.parse(body.toString('utf8'));
  } catch (err) {
    throw new FerryError('BUNDLE_INVALID', `manifest ${desc.digest} is not valid JSON`, { digest: desc.digest }, { cause: err });
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new FerryError('BUNDLE_INVALID', `manifest ${desc.digest} is not a JSON object`, { digest: desc.digest });
  }
  if (parsed.mediaType !== undefined && parsed.mediaType !== desc.mediaType) {
    throw new FerryError(
      'REGISTRY_ERROR',
      `manifest ${desc.digest}: body says mediaType ${parsed.mediaType} but it was served as ${desc.mediaType}`,
      { digest: desc.digest },
    );
  }
  const children = isIndexType(desc.mediaType) ? parsed.manifests ?? [] : [parsed.config, ...(parsed.layers ?? [])];
  return children.map((c) => {
    if (!c || typeof c.mediaType !== 'string' || typeof c.size !== 'number') {
      throw new FerryError('BUNDLE_INVALID', `manifest ${desc.digest} has a malformed descriptor`, { digest: desc.digest });
    }
    return { ...c, digest: parseDigest(c.digest, `descriptor digest in ${desc.digest}`) };
  });
}
