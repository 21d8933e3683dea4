import { fileNameProblem } from '../manifest/file-name.js';
import { controlProblem } from './untrusted-text.js';

/**
 * Strict grammars for every name a bundle hands to stage, push, serve or a report. Each `…Problem` returns why a
 * value is refused, or undefined when it is acceptable. They are deliberately narrower than what tools tolerate:
 * a value that is not what ferry itself would have written is not accepted from a bundle.
 */
export type Rule = (value: string) => string | undefined;

// distribution-spec spec.md "Pulling manifests": <name> and <reference> (tag) grammar.
const REPOSITORY = /^[a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*(\/[a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*)*$/;
const PATH_COMPONENT = /^[a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*$/;
const TAG = /^[a-zA-Z0-9_][a-zA-Z0-9._-]{0,127}$/;
// dpkg lib/dpkg/arch.c dpkg_arch_name_is_illegal: alphanumerics and '-', starting with an alphanumeric (lower case
// in every Debian/Ubuntu archive; ferry's manifest schema asks for lower case).
const DEBIAN_ARCH = /^[a-z0-9][a-z0-9-]{0,63}$/;
// Suites and components as the manifest schema accepts them (no '/': each is exactly one path segment).
const APT_NAME = /^[a-z0-9][a-z0-9.+~_-]{0,63}$/;
// Debian Policy 5.6.1 (Source/Package) and 5.6.12 (Version).
const DEBIAN_PACKAGE = /^[a-z0-9][a-z0-9+.-]+$/;
const DEBIAN_VERSION = /^[A-Za-z0-9][A-Za-z0-9.+~:-]{0,255}$/;
// The last segment of a Packages `Filename:` as archives write it: <package>_<version>_<arch>.deb (dpkg-name), with
// the epoch dropped or written %3a.
const POOL_FILE = /^[A-Za-z0-9][A-Za-z0-9.+~_%:-]*\.u?deb$/;
// semver.org 2.0.0 (the suggested regular expression), with Helm's optional leading "v" (Masterminds semver).
const SEMVER =
  /^v?(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(?:-((?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*)(?:\.(?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*))*))?(?:\+([0-9a-zA-Z-]+(?:\.[0-9a-zA-Z-]+)*))?$/;
// RFC 6838 §4.2 type-name "/" subtype-name (restricted-name), which covers every OCI and Docker media type.
const MEDIA_TYPE = /^[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]{0,126}\/[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]{0,126}$/;
// An RKE2 release tag (rancher/rke2 scripts/version.sh), as the manifest schema accepts it.
const RKE2_VERSION = /^v\d+\.\d+\.\d+(-[0-9A-Za-z.]+)?\+rke2r\d+$/;
const IMAGE_SET = /^[a-z0-9][a-z0-9-]{0,63}$/;
// The bundle name (metadata.name in the manifest schema).
const BUNDLE_NAME = /^[a-z0-9]([a-z0-9-]{0,251}[a-z0-9])?$/;
// A requested apt package as README's `apt-get install` line uses it: a name, an optional :arch, an optional
// version constraint (Debian Policy 7.1).
const APT_REQUEST = /^[a-z0-9][a-z0-9+.-]+(:[a-z0-9-]+)?(\s*\((<<|<=|=|>=|>>|<|>)\s*[A-Za-z0-9.+~:-]+\))?$/;

const by =
  (re: RegExp, expected: string): Rule =>
  (v) =>
    typeof v === 'string' && re.test(v) ? undefined : `is not ${expected}`;

export const repositoryProblem = by(REPOSITORY, 'a repository name (distribution-spec: lower-case components joined by /)');
export const tagProblem = by(TAG, 'a tag (distribution-spec: [a-zA-Z0-9_][a-zA-Z0-9._-]{0,127})');
export const debianArchProblem = by(DEBIAN_ARCH, 'a Debian architecture name (letters, digits and -)');
export const suiteProblem = by(APT_NAME, 'a suite name (one path segment: letters, digits, . + ~ _ -)');
export const componentProblem = by(APT_NAME, 'a component name (one path segment: letters, digits, . + ~ _ -)');
export const debianPackageProblem = by(DEBIAN_PACKAGE, 'a Debian package name (Debian Policy 5.6.1)');
export const debianVersionProblem = by(DEBIAN_VERSION, 'a Debian version (Debian Policy 5.6.12)');
export const aptRequestProblem = by(APT_REQUEST, 'a package name with an optional version constraint');
export const mediaTypeProblem = by(MEDIA_TYPE, 'a media type (RFC 6838 type/subtype)');
export const rke2VersionProblem = by(RKE2_VERSION, 'an RKE2 release tag such as v1.30.4+rke2r1');
export const imageSetProblem = by(IMAGE_SET, 'an image set name such as core or calico');
export const bundleNameProblem = by(BUNDLE_NAME, 'a bundle name (lower-case letters, digits and -)');

/** A file name that is one safe path component: no separator, not . or .., no NUL, no control or bidi character. */
export const safeFileNameProblem: Rule = (v) => (typeof v !== 'string' ? 'is not a string' : (fileNameProblem(v) ?? controlProblem(v)));

/**
 * An RKE2 release file (rancher/rke2 release assets: rke2.linux-amd64.tar.gz, sha256sum-amd64.txt, install.sh, …).
 * Stricter than a file name: the staged README puts these names in shell commands (`cp`, `sha256sum -c`).
 */
export const rke2FileProblem: Rule = (v) =>
  safeFileNameProblem(v) ?? by(/^[A-Za-z0-9][A-Za-z0-9._+-]{0,254}$/, 'an RKE2 release file name (letters, digits, . _ + -)')(v);

/** A `.deb` as staged in the pool and named by the staged `Filename:` line. */
export const poolFileProblem: Rule = (v) =>
  safeFileNameProblem(v) ?? by(POOL_FILE, 'a Debian pool file name (<package>_<version>_<arch>.deb)')(v);

/**
 * A chart name: one repository path component (charts are pushed to `charts/<name>`), which is also within Helm's
 * own rule for names (helm pkg/chart/metadata.go: [a-zA-Z0-9._-]+).
 */
export const chartNameProblem: Rule = (v) =>
  typeof v === 'string' && PATH_COMPONENT.test(v) && v.length <= 128
    ? undefined
    : 'is not a chart name (lower-case letters and digits joined by ., _ or -)';

/** A chart version: SemVer 2 (Helm requires it, helm.sh/docs topics/charts), whose tag form (`+` → `_`) is a valid tag. */
export const chartVersionProblem: Rule = (v) => {
  if (typeof v !== 'string' || !SEMVER.test(v)) return 'is not a SemVer 2 version (MAJOR.MINOR.PATCH[-PRERELEASE][+BUILD])';
  return TAG.test(v.replaceAll('+', '_')) ? undefined : 'is too long for a tag (128 characters)';
};

/** Plain text of bounded length: shown to people (a source URL, a checksum source), never used as a path. */
export const plainTextProblem: Rule = (v) => {
  if (typeof v !== 'string') return 'is not a string';
  if (v.length > 4096) return 'is longer than 4096 characters';
  return controlProblem(v);
};
