import { Annotation, type Descriptor } from '../../core/media-types.js';
import type { IndexEntry } from '../facets/source.js';
import type { LockedArtifact } from './schema.js';

/**
 * index.json entry of an artifact (image-spec image-layout.md): named by `org.opencontainers.image.ref.name`, its
 * full normalised reference, for OCI tools. Not `io.containerd.image.name`: containerd would import it as an image.
 */
export function artifactIndexEntry(locked: LockedArtifact, root: Descriptor): IndexEntry {
  const annotations = { [Annotation.RefName]: locked.ref, [Annotation.Kind]: 'artifact' };
  return { descriptor: { mediaType: root.mediaType, digest: root.digest, size: root.size, annotations }, sortKey: locked.ref };
}
