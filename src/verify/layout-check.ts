import { digestHex, isDigest } from '../core/digest.js';
import { Annotation, type Descriptor, type ImageIndex } from '../core/media-types.js';
import { blobPath } from '../bundle/format.js';
import { heldAlone, isManifestLike, successors } from '../graph/successors.js';
import type { Problem } from './problem.js';

/** What the layout walk needs to know about a blob in the archive. */
export interface LayoutBlob {
  size: number;
  /** The bytes hashed to the blob's name during the scan (so it is safe to parse). */
  intact: boolean;
}

export interface LayoutSource {
  blob(hex: string): LayoutBlob | undefined;
  /** The whole blob (only called for intact manifests, which are small). */
  read(hex: string): Promise<Buffer>;
}

/**
 * image-spec image-layout.md: every blob reachable from index.json must be present. Walks index.json → indexes →
 * manifests → config and layers, and reports each reference to a blob that is absent or has another size than its
 * descriptor says, naming the manifest that refers to it and the image's ref name so the report says which image is
 * broken. Damaged manifests are not parsed (the scan already reported them as DIGEST_MISMATCH).
 */
export async function checkLayout(index: ImageIndex, src: LayoutSource): Promise<Problem[]> {
  const problems: Problem[] = [];
  const walked = new Set<string>();

  const visit = async (desc: Descriptor, referrer: string, ref: string): Promise<void> => {
    const hex = digestHex(desc.digest);
    const path = blobPath(hex);
    const blob = src.blob(hex);
    if (!blob) {
      problems.push({
        path,
        code: 'LAYOUT_INCOMPLETE',
        message: `${referrer} (image ${ref}) references ${desc.digest} (${desc.mediaType}, ${desc.size} bytes), which is not in the bundle`,
      });
      return;
    }
    if (blob.size !== desc.size) {
      problems.push({
        path,
        code: 'LAYOUT_INCOMPLETE',
        expected: desc.size,
        actual: blob.size,
        message: `${referrer} (image ${ref}) references ${desc.digest} as ${desc.size} bytes, but the bundle holds ${blob.size}`,
      });
      return;
    }
    if (!isManifestLike(desc) || heldAlone(desc) || !blob.intact || walked.has(hex)) return;
    walked.add(hex);
    let children: Descriptor[];
    try {
      children = successors(desc, await src.read(hex));
    } catch (err) {
      problems.push({ path, code: 'MALFORMED', message: `manifest ${desc.digest} (image ${ref}): ${(err as Error).message}` });
      return;
    }
    for (const child of children) await visit(child, `manifest ${desc.digest}`, ref);
  };

  for (const [i, d] of index.manifests.entries()) {
    const ref = d?.annotations?.[Annotation.RefName] ?? d?.annotations?.[Annotation.ContainerdName] ?? `#${i}`;
    if (!d || typeof d.digest !== 'string' || !isDigest(d.digest) || typeof d.size !== 'number' || typeof d.mediaType !== 'string') {
      problems.push({
        path: 'index.json',
        code: 'MALFORMED',
        message: `index.json: manifests[${i}] (image ${ref}) is not a valid descriptor`,
      });
      continue;
    }
    await visit(d, 'index.json', ref);
  }
  return problems;
}
