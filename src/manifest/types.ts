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

export interface BundleManifest {
  path: string;
  name: string;
  platforms: PlatformSpec;
  images: ImageEntry[];
  files: FileEntry[];
  rke2?: Rke2Entry;
}
