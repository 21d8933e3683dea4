/** The validated bundle manifest (docs/manifest.md). */
export type PlatformSpec = 'all' | string[];

export interface ImageEntry {
  /** Full normalised reference (formatReference): `docker.io/library/busybox:1.36`. */
  ref: string;
  /** Effective platforms: the entry's override, else the manifest's. */
  platforms: PlatformSpec;
}

export interface FileEntry {
  url: string;
  /** File name in the bundle and when staged. */
  name: string;
  /** Inline pin, lowercase hex. */
  sha256?: string;
  /** URL of a sha256sum-format list that vouches for the file. */
  checksums?: string;
}

/** spec.rke2 with defaults applied (docs/rke2.md). */
export interface Rke2Entry {
  version: string;
  arch: string;
  /** Per-set tarballs to carry; undefined = the all-in-one `rke2-images.linux-<arch>` tarball. */
  imageSets?: string[];
  installScript: boolean;
  pushImages: boolean;
  /** Base of the release downloads, without the version. */
  releaseUrl: string;
  installScriptUrl: string;
}

/** One spec.charts entry with defaults applied (docs/charts.md). */
export interface ChartEntry {
  /** `https://…` (classic repository) or `oci://host/path`. */
  repo: string;
  name: string;
  /** An exact version or a semver range. */
  version: string;
  /** Add the images the chart uses to the bundle (default true). */
  images: boolean;
  /** Values files, absolute paths (given relative to the manifest). */
  values: string[];
  /** Normalised references added to what discovery finds. */
  extraImages: string[];
  /** Patterns of images to drop: a reference or prefix, `*` matching any run of characters. */
  excludeImages: string[];
}

/** One spec.apt source with defaults applied (docs/apt.md). Paths are absolute. */
export interface AptEntry {
  url: string;
  suites: string[];
  components: string[];
  architectures: string[];
  keyring: string;
  /** Relations as written: `nfs-common`, `jq (>= 1.6)`. */
  packages: string[];
  dependencies: boolean;
  recommends: boolean;
  /** A node's dpkg status file: what it satisfies is left out. */
  installed?: string;
}

export interface BundleManifest {
  path: string;
  name: string;
  platforms: PlatformSpec;
  images: ImageEntry[];
  files: FileEntry[];
  rke2?: Rke2Entry;
  charts: ChartEntry[];
  apt: AptEntry[];
  /** spec.ferry: carry ferry's own executable; `path` absolute, absent for "the executable running this pull". */
  ferry?: FerryEntry;
}

/** spec.ferry (docs/manifest.md, docs/install.md "Carried in the bundle"). */
export interface FerryEntry {
  path?: string;
}
