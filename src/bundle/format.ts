/**
 * Bundle format v1: the names and fixed values every writer and reader agrees on (docs/bundle-format.md).
 * The bundle is one uncompressed ustar archive whose root is an OCI image layout (image-spec image-layout.md) plus
 * ferry's own metadata files.
 */

import type { Descriptor } from '../core/media-types.js';
import type { SignatureRecord } from '../verify/signature-record.js';

export const BUNDLE_FORMAT_VERSION = 1;

export const SUMS_FILE = 'SHA256SUMS';
/** Optional: the signature over SHA256SUMS (docs/security.md); right after it, and not listed in it. */
export const SIGNATURE_FILE = 'SHA256SUMS.sig';
export const OCI_LAYOUT_FILE = 'oci-layout';
export const BUNDLE_META_FILE = 'ferry-bundle.json';
export const LOCK_FILE = 'ferry.lock.json';
export const INDEX_FILE = 'index.json';
export const BLOB_DIR = 'blobs/sha256/';
/**
 * The bundle's own CycloneDX SBOM (docs/supply-chain.md "SBOM of the bundle"): after index.json, listed in
 * SHA256SUMS. Optional: bundles written before it have none, and still verify.
 */
export const SBOM_FILE = 'sbom.cdx.json';

/** image-spec image-layout.md "oci-layout file": the only version defined. */
export const OCI_LAYOUT_VERSION = '1.0.0';

/**
 * Metadata files in archive order, after SHA256SUMS and before the blobs. SHA256SUMS comes first so a reader going
 * front to back knows every expected hash before any content arrives; the rest are small and sorted by name.
 */
export const METADATA_FILES = [OCI_LAYOUT_FILE, BUNDLE_META_FILE, LOCK_FILE, INDEX_FILE] as const;

/** The small members in archive order, the optional SBOM last: what readers take into memory whole. */
export const SMALL_FILES = [...METADATA_FILES, SBOM_FILE] as const;

/** Every file a v1 bundle must hold besides its blobs. */
export const REQUIRED_FILES = [SUMS_FILE, ...METADATA_FILES] as const;

/**
 * Determinism (docs/bundle-format.md "Determinism"): header fields that would otherwise leak the build machine or
 * time are fixed. mtime 0 (the epoch) is what reproducible-builds' SOURCE_DATE_EPOCH=0 gives; modes are plain
 * read/write files; owner is root with empty names so extraction as any user produces files that user owns.
 */
export const FIXED_MTIME = new Date(0);
export const FILE_MODE = 0o644;

/** Caps for the metadata files read whole into memory (they are small; a huge one means a damaged bundle). */
export const MAX_METADATA_BYTES = 64 * 1024 * 1024;

/** `blobs/sha256/<hex>` → hex, or undefined when the path is not a well-formed blob path. */
export function blobHexFromPath(path: string): string | undefined {
  if (!path.startsWith(BLOB_DIR)) return undefined;
  const hex = path.slice(BLOB_DIR.length);
  return /^[a-f0-9]{64}$/.test(hex) ? hex : undefined;
}

export function blobPath(hex: string): string {
  return `${BLOB_DIR}${hex}`;
}

/** `ferry-bundle.json`: identifies the format; deliberately no timestamps, so equal inputs give equal bytes. */
export interface BundleMeta {
  formatVersion: number;
  name: string;
  tool: string;
  /** Set on delta bundles (docs/transfer.md): the base they were built against, and the blobs left out. */
  delta?: DeltaInfo;
  /** Set when the bundle manifest had spec.signatures: what pull's signature policy check found (docs/bundle-format.md). */
  signatures?: SignatureRecord;
}

export interface DeltaInfo {
  base: { kind: 'lock' | 'inventory'; file: string; sha256: string };
  omitted: { digest: string; size: number }[];
}

/*
 * The bundle's naming rules: each artifact's `org.opencontainers.image.ref.name` in index.json. An image is named by
 * its full normalised reference; every other kind by a prefix of its own, so names never collide across kinds.
 */

/** `file/<name>`: a file artifact. */
export const fileRefName = (name: string) => `file/${name}`;
/** `rke2/<name>`: an RKE2 release file. */
export const rke2RefName = (name: string) => `rke2/${name}`;
/** `charts/<name>:<version>`: a chart (and, under the target prefix, where it is pushed). */
export const chartRefName = (name: string, version: string) => `charts/${name}:${version}`;
/** `ferry/<name>`: ferry's own executable. */
export const ferryRefName = (name: string) => `ferry/${name}`;
/** `apt/<file>`: one .deb. */
export const aptRefName = (file: string) => `apt/${file}`;
/** `apt-meta/<n>`: the metadata (keyring, signed Releases, Packages indexes) of the n-th apt source. */
export const aptMetaRefName = (index: number) => `apt-meta/${index}`;

/** The index.json entry of an artifact whose root is `root`: its descriptor (artifactType kept) and the annotations naming it. */
export function indexDescriptor(root: Descriptor, annotations: Record<string, string>): Descriptor {
  return {
    mediaType: root.mediaType,
    digest: root.digest,
    size: root.size,
    ...(root.artifactType ? { artifactType: root.artifactType } : {}),
    annotations,
  };
}
