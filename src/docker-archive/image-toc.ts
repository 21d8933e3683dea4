import { z } from 'zod';
import { type Digest, sha256 } from '../core/digest.js';
import { type Descriptor, MediaType } from '../core/media-types.js';
import { damaged, parseMemberJson } from '../bundle/member-json.js';

/** Media type of the table of contents ferry stores beside each RKE2 image tarball in the bundle. */
export const IMAGE_TOC_MEDIA_TYPE = 'application/vnd.ferry.docker-archive.toc.v1+json';

/** One member of the archive that is a blob of an image. `path` is the member holding the bytes (links resolved). */
export interface TocBlob {
  path: string;
  digest: Digest;
  size: number;
  mediaType: string;
}

export interface TocImage {
  /** Fully qualified references from the archive's RepoTags (`docker.io/rancher/hardened-etcd:v3.5.13-k3s1`). */
  refs: string[];
  config: TocBlob;
  layers: TocBlob[];
  /** Digest of the manifest `buildArchiveManifest` makes for this image; push checks it makes the same one. */
  manifest: Digest;
}

/**
 * What a docker-save archive holds, worked out once at pull time by reading it through (src/docker-archive/scan.ts)
 * so that push can plan without reading it again, then upload every needed member in one streaming pass.
 */
export interface ArchiveToc {
  tocVersion: 1;
  /** The archive's format: classic docker save, docker save that is also an OCI layout (Docker >= 25), or crane's tarball. */
  format: 'docker-save' | 'docker-save+oci-layout' | 'tarball';
  compression: 'gzip' | 'zstd' | 'none';
  images: TocImage[];
}

const digest = z.string().regex(/^sha256:[0-9a-f]{64}$/);
const blob = z.object({ path: z.string().min(1), digest, size: z.number().int().nonnegative(), mediaType: z.string().min(1) }).strict();
export const archiveTocSchema = z
  .object({
    tocVersion: z.literal(1),
    format: z.enum(['docker-save', 'docker-save+oci-layout', 'tarball']),
    compression: z.enum(['gzip', 'zstd', 'none']),
    images: z.array(z.object({ refs: z.array(z.string()).min(1), config: blob, layers: z.array(blob), manifest: digest }).strict()),
  })
  .strict();

/** A table of contents read back from a bundle: broken JSON or the wrong shape is damage naming `member`. */
export function parseArchiveToc(body: Buffer, member = "an RKE2 image tarball's table of contents"): ArchiveToc {
  const parsed = archiveTocSchema.safeParse(parseMemberJson(body, member));
  if (!parsed.success)
    throw damaged(
      `${member} is not a table of contents (tocVersion 1): ${parsed.error.issues[0]?.path.join('.')}: ${parsed.error.issues[0]?.message}`,
      member,
    );
  return parsed.data as ArchiveToc;
}

/**
 * The OCI image manifest pushed for an image read from a docker-save archive (image-spec manifest.md). The layers go
 * up as the archive holds them, uncompressed tar layers included (`application/vnd.oci.image.layer.v1.tar`, a type the
 * spec defines), so their digests are the config's diff_ids. Fixed key order and no timestamps: the same archive
 * always gives the same manifest digest. It differs from the upstream registry's digest (which has gzip layers);
 * RKE2 refers to its images by tag, so that does not matter to it.
 */
export function buildArchiveManifest(image: Pick<TocImage, 'config' | 'layers'>): { descriptor: Descriptor; body: Buffer } {
  const d = (b: TocBlob) => ({ mediaType: b.mediaType, digest: b.digest, size: b.size });
  const manifest = {
    schemaVersion: 2,
    mediaType: MediaType.OciManifest,
    config: d(image.config),
    layers: image.layers.map(d),
  };
  const body = Buffer.from(JSON.stringify(manifest));
  return { descriptor: { mediaType: MediaType.OciManifest, digest: sha256(body), size: body.length }, body };
}
