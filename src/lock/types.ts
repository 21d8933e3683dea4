/** ferry.lock.json, version 1 (docs/manifest.md "The lock file"). */
export interface Lock {
  lockVersion: 1;
  bundle: { name: string };
  images: LockedImage[];
  files: LockedFile[];
  rke2?: LockedRke2;
  charts?: LockedChart[];
  apt?: LockedAptSource[];
  /** spec.ferry / `pull --with-ferry`: ferry's own single executable (docs/install.md "Carried in the bundle"). */
  ferry?: LockedFerry;
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
    }
  /**
   * Nothing upstream publishes a checksum for it (RKE2's install.sh, or the checksum list itself): the sha256 was
   * recorded here when ferry first downloaded it over HTTPS, and every later `--lock` pull must match it.
   */
  | { kind: 'first-fetch' };

export interface LockedFile {
  name: string;
  url: string;
  /** hex */
  sha256: string;
  size?: number;
  vouchedBy: VouchedBy;
}

/** What an RKE2 release file is for (docs/rke2.md). */
export type Rke2Role = 'checksums' | 'binary' | 'images' | 'image-list' | 'install-script';

export interface LockedRke2File extends LockedFile {
  role: Rke2Role;
  /** Image set of an `images` or `image-list` file; absent for the all-in-one `rke2-images.linux-<arch>` files. */
  imageSet?: string;
  /** For an `images` tarball: the images its `.txt` list names, fully qualified and sorted. */
  images?: string[];
}

/** spec.rke2, resolved: every release file with the sha256 that `sha256sum-<arch>.txt` gives for it. */
export interface LockedRke2 {
  version: string;
  arch: string;
  imageSets?: string[];
  installScript: boolean;
  pushImages: boolean;
  releaseUrl: string;
  installScriptUrl: string;
  files: LockedRke2File[];
}

/** Who vouched for a chart's `.tgz`: the classic repository's index.yaml digest, or an OCI registry manifest. */
export type ChartVouchedBy =
  | { kind: 'index'; indexUrl: string; /** hex sha256 of index.yaml as downloaded */ indexSha256: string; url: string }
  | { kind: 'oci'; ref: string; manifestDigest: string };

/** An image a chart uses, with where discovery found it (or `extraImages`). */
export interface ChartImage {
  ref: string;
  sources: string[];
}

/** spec.charts entry, resolved (docs/charts.md). */
export interface LockedChart {
  repo: string;
  name: string;
  /** What the manifest asked for: an exact version or a range. */
  requested: string;
  version: string;
  /** hex sha256 of the .tgz */
  sha256: string;
  size: number;
  vouchedBy: ChartVouchedBy;
  /** The manifest's images / extraImages / excludeImages, kept to tell when the manifest changed. */
  imagesEnabled: boolean;
  extraImages: string[];
  excludeImages: string[];
  /** Values files given in the manifest, with their sha256 when resolved. */
  values: { path: string; sha256: string }[];
  images: ChartImage[];
}

/** A signed Release of one suite, and the Packages indexes taken from it. */
export interface LockedRelease {
  suite: string;
  /** `InRelease`, or `Release` (with `Release.gpg`). */
  file: 'InRelease' | 'Release';
  url: string;
  /** hex sha256 of the file as downloaded (InRelease, or Release). */
  sha256: string;
  /** Fingerprints of the keyring keys with a valid signature. */
  signedBy: string[];
  validUntil?: string;
  /** Packages indexes used, as the signed Release lists them (path relative to dists/<suite>/). */
  indexes: { path: string; url: string; sha256: string; size: number }[];
}

/** One .deb of the closure, vouched for by the Packages index of a signed Release. */
export interface LockedDeb {
  name: string;
  version: string;
  architecture: string;
  url: string;
  /** File name in the bundle and the staged pool (the Filename's last segment). */
  file: string;
  sha256: string;
  size: number;
  suite: string;
  /** The Packages index (path relative to dists/<suite>/) whose stanza gave the sha256. */
  index: string;
}

/** spec.apt source, resolved (docs/apt.md). */
export interface LockedAptSource {
  url: string;
  suites: string[];
  components: string[];
  architectures: string[];
  packages: string[];
  dependencies: boolean;
  recommends: boolean;
  keyring: { path: string; sha256: string; fingerprints: string[] };
  installed?: { path: string; sha256: string };
  releases: LockedRelease[];
  debs: LockedDeb[];
  /** Conflicts/Breaks found in the chosen set (apt would refuse or remove). */
  conflicts: string[];
}

/**
 * ferry's own executable, read from a local path at pull time. Only the path's basename is kept (`source`): the
 * lock travels to the enclave and must not carry a path of the machine that pulled.
 */
export interface LockedFerry {
  /** The release name `ferry-<version>-linux-<arch>`: the executable's name in the bundle and when staged. */
  name: string;
  version: string;
  /** Where the version was read: the SBOM's metadata.component.version, else the file name. Nothing is run. */
  versionFrom: 'sbom' | 'file-name';
  /** Basename of the local file it was read from. */
  source: string;
  /** hex */
  sha256: string;
  size: number;
  /** The release's SHA256SUMS beside it listed it (that list's sha256 and line), or nothing did. */
  vouchedBy: { kind: 'sha256sums'; sha256: string; line: number } | { kind: 'local' };
  /** The CycloneDX SBOM `<name>.cdx.json` found beside it. */
  sbom?: { name: string; sha256: string; size: number };
}
