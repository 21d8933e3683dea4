import { FerryError } from '../core/errors.js';
import { parseDigest } from '../core/digest.js';
import type { ReadOnlyStorage } from './storage.js';
import { Annotation, type Descriptor, type ImageIndex, type ImageManifest, isIndexType, isManifestType } from '../core/media-types.js';

/** Is this descriptor a manifest or index (content ferry parses), as opposed to an opaque blob? */
export function isManifestLike(desc: Descriptor): boolean {
  return isIndexType(desc.mediaType) || isManifestType(desc.mediaType);
}

/**
 * An index.json entry held without its children: the upstream index a platform-filtered image was cut from, carried
 * (role `upstream-index`, docs/bundle-format.md "Referrers") so a signature on it can be tied to the kept platforms.
 * Its other children are the platforms the bundle left out, so walks, copies and the layout check stop at it.
 */
export function heldAlone(desc: Descriptor): boolean {
  return desc.annotations?.[Annotation.ReferrerRole] === 'upstream-index';
}

/**
 * The children of a node in the content graph (image-spec manifest.md and image-index.md): an index's manifests,
 * a manifest's config and layers. `subject` is deliberately not followed: it points at a parent, not a child.
 * Parsing is strict about the one thing that would make a copy wrong: a body whose `mediaType` disagrees with the
 * descriptor's (distribution-spec: "the client SHOULD verify the returned mediaType").
 */
export function successors(desc: Descriptor, body: Buffer, malformed?: MalformedManifest): Descriptor[] {
  if (!isManifestLike(desc)) return [];
  // Content that cannot be a manifest: the source names it (a bundle: damage, exit 3); from upstream: as below.
  const bad = (problem: string, fallback: () => FerryError) => (malformed ? malformed(desc, problem) : fallback());
  let parsed: Partial<ImageManifest & ImageIndex>;
  try {
    parsed = JSON.parse(body.toString('utf8'));
  } catch (err) {
    throw bad(
      'is not valid JSON',
      () => new FerryError('BUNDLE_INVALID', `manifest ${desc.digest} is not valid JSON`, { digest: desc.digest }, { cause: err }),
    );
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw bad(
      'is not a JSON object',
      () => new FerryError('BUNDLE_INVALID', `manifest ${desc.digest} is not a JSON object`, { digest: desc.digest }),
    );
  }
  if (parsed.mediaType !== undefined && parsed.mediaType !== desc.mediaType) {
    const problem = `says mediaType ${String(parsed.mediaType)} but its descriptor says ${desc.mediaType}`;
    throw bad(
      problem,
      () =>
        new FerryError(
          'REGISTRY_ERROR',
          `manifest ${desc.digest}: body says mediaType ${parsed.mediaType} but it was served as ${desc.mediaType}`,
          { digest: desc.digest },
        ),
    );
  }
  const children = isIndexType(desc.mediaType) ? (parsed.manifests ?? []) : [parsed.config, ...(parsed.layers ?? [])];
  if (!Array.isArray(children))
    throw bad(
      'has a malformed descriptor list',
      () => new FerryError('BUNDLE_INVALID', `manifest ${desc.digest} has a malformed descriptor`, { digest: desc.digest }),
    );
  return children.map((c) => {
    if (!c || typeof c.mediaType !== 'string' || typeof c.size !== 'number') {
      throw bad(
        'has a malformed descriptor',
        () => new FerryError('BUNDLE_INVALID', `manifest ${desc.digest} has a malformed descriptor`, { digest: desc.digest }),
      );
    }
    try {
      return { ...c, digest: parseDigest(c.digest, `descriptor digest in ${desc.digest}`) };
    } catch (err) {
      if (malformed) throw malformed(desc, `has a descriptor whose digest is not a digest (${(err as Error).message})`);
      throw err;
    }
  });
}

/**
 * How a source reports content it holds under a manifest's digest that cannot be a manifest. A bundle
 * (BundleReader) calls it damage naming the member (INTEGRITY_FAILED, exit 3); without one, pull's codes apply.
 */
export type MalformedManifest = (desc: Descriptor, problem: string) => FerryError;

/** The source's own report of a malformed manifest, when it has one (ReadOnlyStorage.malformedManifest). */
export function malformedReporter(src: ReadOnlyStorage): MalformedManifest | undefined {
  return src.malformedManifest?.bind(src);
}
