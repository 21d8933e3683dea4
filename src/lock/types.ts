/** ferry.lock.json, version 1 (docs/manifest.md "The lock file"). */
export interface Lock {
  lockVersion: 1;
  bundle: { name: string };
  images: LockedImage[];
  files: LockedFile[];
}

export interface LockedImage {
  /** The manifest entry, normalised: `docker.io/velero/velero:v1.9.1` or `…@sha256:…`. */
  ref: string;
  /** Effective platform request of the entry. */
  platforms: 'all' | string[];
  /** What the bundle stores and tags for this ref (sha256:…). */
  digest: string;
  mediaType: string;
  size: number;
  /** What the ref resolved to upstream (an index or a manifest). */
  upstreamDigest: string;
  upstreamMediaType: string;
  /** Platforms the upstream index offers (informational). */
  upstreamPlatforms?: string[];
}

export type VouchedBy =
  | { kind: 'inline' }
  | {
      kind: 'checksums';
      url: string;
      /** hex sha256 of the checksum list as downloaded */
      sha256: string;
      /** 1-based line of the list that named the file */
      line: number;
    };

export interface LockedFile {
  name: string;
  url: string;
  /** hex */
  sha256: string;
  size?: number;
  vouchedBy: VouchedBy;
}
