import type { Digest } from './digest.js';

/** Media types from image-spec media-types.md and distribution's manifest-v2-2.md. */
export const MediaType = {
  OciIndex: 'application/vnd.oci.image.index.v1+json',
  OciManifest: 'application/vnd.oci.image.manifest.v1+json',
  OciConfig: 'application/vnd.oci.image.config.v1+json',
  OciEmpty: 'application/vnd.oci.empty.v1+json',
  OciLayout: 'application/vnd.oci.image.layer.v1.tar',
  DockerManifest: 'application/vnd.docker.distribution.manifest.v2+json',
  DockerManifestList: 'application/vnd.docker.distribution.manifest.list.v2+json',
  DockerConfig: 'application/vnd.docker.container.image.v1+json',
  OctetStream: 'application/octet-stream',
} as const;

/** The types ferry can pull and push, sent as one Accept header (distribution-spec "Pulling manifests"). */
export const MANIFEST_ACCEPT = [MediaType.OciIndex, MediaType.OciManifest, MediaType.DockerManifestList, MediaType.DockerManifest].join(
  ', ',
);

export function isIndexType(mt: string): boolean {
  return mt === MediaType.OciIndex || mt === MediaType.DockerManifestList;
}

export function isManifestType(mt: string): boolean {
  return mt === MediaType.OciManifest || mt === MediaType.DockerManifest;
}

export interface Platform {
  os: string;
  architecture: string;
  variant?: string;
  'os.version'?: string;
}

/** image-spec descriptor.md */
export interface Descriptor {
  mediaType: string;
  digest: Digest;
  size: number;
  annotations?: Record<string, string>;
  platform?: Platform;
  artifactType?: string;
  urls?: string[];
}

export interface ImageManifest {
  schemaVersion: 2;
  mediaType?: string;
  artifactType?: string;
  config: Descriptor;
  layers: Descriptor[];
  subject?: Descriptor;
  annotations?: Record<string, string>;
}

export interface ImageIndex {
  schemaVersion: 2;
  mediaType?: string;
  artifactType?: string;
  manifests: Descriptor[];
  subject?: Descriptor;
  annotations?: Record<string, string>;
}

/** Annotation keys (image-spec annotations.md, containerd import naming, and ferry's own namespace). */
export const Annotation = {
  RefName: 'org.opencontainers.image.ref.name',
  Title: 'org.opencontainers.image.title',
  ContainerdName: 'io.containerd.image.name',
  Kind: 'dev.ferry.kind',
  Source: 'dev.ferry.source',
  ChecksumSource: 'dev.ferry.checksum-source',
  UpstreamDigest: 'dev.ferry.upstream-digest',
  Platforms: 'dev.ferry.platforms',
  Rke2Role: 'dev.ferry.rke2.role',
  Rke2Version: 'dev.ferry.rke2.version',
  Rke2ImageSet: 'dev.ferry.rke2.image-set',
  Rke2PushImages: 'dev.ferry.rke2.push-images',
  ChartVersion: 'dev.ferry.chart.version',
  FerryVersion: 'dev.ferry.ferry.version',
  /** Carried signatures, attestations, SBOMs and referrers (the referrer kind): the digest of what it refers to. */
  ReferrerSubject: 'dev.ferry.referrer.subject',
  /** `signature` | `attestation` | `sbom` | `other` | `upstream-index`. */
  ReferrerRole: 'dev.ferry.referrer.role',
  /** `tag` (a cosign `sha256-<hex>.sig|.att|.sbom` tag) or `referrers` (an OCI 1.1 referrer). */
  ReferrerVia: 'dev.ferry.referrer.via',
  /** The cosign tag, when found through one. */
  ReferrerTag: 'dev.ferry.referrer.tag',
} as const;

export function formatPlatform(p: Platform): string {
  return `${p.os}/${p.architecture}${p.variant ? `/${p.variant}` : ''}`;
}

export function parsePlatform(s: string): Platform {
  const [os, architecture, variant] = s.split('/');
  if (!os || !architecture) throw new Error(`invalid platform "${s}": expected os/arch[/variant]`);
  return { os, architecture, ...(variant ? { variant } : {}) };
}

/**
 * Does an index entry's platform satisfy the wanted one? A wanted platform without a variant matches any variant
 * (linux/arm64 matches linux/arm64/v8), the way `docker pull --platform` does.
 */
export function platformMatches(have: Platform | undefined, want: Platform): boolean {
  if (!have) return false;
  if (have.os !== want.os || have.architecture !== want.architecture) return false;
  return want.variant === undefined || have.variant === want.variant;
}
