import { FerryError } from '../../core/errors.js';
import type { Rke2Role, Rke2Entry } from './schema.js';
import type { ChecksumLine } from '../file/checksum-list.js';

/**
 * Release asset names (rancher/rke2 scripts/package-*, scripts/checksum; the reference notes, B1). `PLATFORM` is
 * `linux-<arch>`; the checksum file `sha256sum-<arch>.txt` lists every asset of that arch.
 */
export const checksumListName = (arch: string) => `sha256sum-${arch}.txt`;
export const binaryTarballName = (arch: string) => `rke2.linux-${arch}.tar.gz`;
/** The image tarball (`set` undefined = the all-in-one `rke2-images.linux-<arch>`), without its extension. */
export const imagesBaseName = (arch: string, set?: string) => `rke2-images${set === undefined ? '' : `-${set}`}.linux-${arch}`;
export const INSTALL_SCRIPT_NAME = 'install.sh';

/** Download URL of a release asset. The tag's `+` must be percent-encoded (`v1.30.4%2Brke2r1`). */
export function releaseFileUrl(releaseUrl: string, version: string, name: string): string {
  return `${releaseUrl}/${encodeURIComponent(version)}/${name}`;
}

export interface PlannedFile {
  name: string;
  role: Rke2Role;
  imageSet?: string;
}

/** The image sets the release offers a tarball for, from its checksum list (sorted; the all-in-one is not a set). */
export function imageSetsOffered(lines: ChecksumLine[], arch: string): string[] {
  const re = new RegExp(`^rke2-images-([a-z0-9][a-z0-9-]*)\\.linux-${arch}\\.tar\\.(?:zst|gz)$`);
  const sets = new Set<string>();
  for (const l of lines) {
    const m = re.exec(baseName(l.name));
    if (m) sets.add(m[1] as string);
  }
  return [...sets].sort();
}

/**
 * Which release files the bundle carries: the checksum list, the binary tarball, each chosen image tarball with its
 * `.txt` image list, and install.sh. For each image tarball the `.tar.zst` is taken when the release has one
 * (install.sh prefers it and RKE2 imports it as is), else the `.tar.gz`. A set the release lacks is an error that
 * lists the sets it has.
 */
export function planReleaseFiles(entry: Rke2Entry, lines: ChecksumLine[], listUrl: string): PlannedFile[] {
  const arch = entry.arch;
  const names = new Set(lines.map((l) => baseName(l.name)));
  const files: PlannedFile[] = [{ name: binaryTarballName(arch), role: 'binary' }];
  const sets: (string | undefined)[] = entry.imageSets ?? [undefined];
  const offered = imageSetsOffered(lines, arch);
  const unknown = (entry.imageSets ?? []).filter((s) => !offered.includes(s));
  if (unknown.length > 0) {
    throw new FerryError(
      'RKE2_SET_UNKNOWN',
      `RKE2 ${entry.version} (${arch}) has no image set ${unknown.join(', ')}; ${listUrl} lists these sets: ${offered.join(', ') || '(none)'}`,
      { unknown, offered, checksums: listUrl },
    );
  }
  for (const set of sets) {
    const base = imagesBaseName(arch, set);
    const tarball = [`${base}.tar.zst`, `${base}.tar.gz`].find((n) => names.has(n)) ?? `${base}.tar.zst`;
    files.push({ name: tarball, role: 'images', ...(set !== undefined ? { imageSet: set } : {}) });
    files.push({ name: `${base}.txt`, role: 'image-list', ...(set !== undefined ? { imageSet: set } : {}) });
  }
  return files;
}

/** The `.txt` image list that names a tarball's images. */
export function imageListNameFor(tarballName: string): string {
  return tarballName.replace(/\.tar\.(?:zst|gz)$/, '.txt');
}

/** An RKE2 image list: one fully qualified reference per line; blank lines and `#` comments are ignored. */
export function parseImageList(text: string): string[] {
  return text
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter((l) => l !== '' && !l.startsWith('#'));
}

function baseName(n: string): string {
  return n.replace(/^\.\//, '').split('/').pop() ?? n;
}
