/**
 * Every failure ferry reports is a FerryError with a stable `code`. The library never decides exit codes:
 * the CLI maps codes to them (see src/cli/exit-codes.ts), the way changesets keeps policy out of the core.
 */
export type ErrorCode =
  | 'USAGE' // bad command-line input
  | 'MANIFEST_INVALID' // the bundle manifest failed validation
  | 'LOCK_MISMATCH' // --lock given but the manifest no longer matches it
  | 'LOCK_INVALID'
  | 'REFERENCE_INVALID'
  | 'DIGEST_INVALID'
  | 'DIGEST_MISMATCH' // bytes did not hash to what was expected
  | 'SIZE_MISMATCH'
  | 'TOO_LARGE' // a download of unknown size passed its cap (`pull --max-file-size`): a limit, not damage (exit 1)
  | 'CHECKSUM_MISSING' // a file is absent from its checksum list
  | 'PLATFORM_MISSING' // an image lacks a requested platform
  | 'REGISTRY_ERROR' // the registry answered with an error
  | 'AUTH_FAILED'
  | 'NOT_FOUND'
  | 'NETWORK_ERROR'
  | 'BUNDLE_INVALID' // the bundle is not structurally a ferry bundle
  | 'INTEGRITY_FAILED' // verify found damaged or missing content
  | 'NAME_COLLISION' // two images would land on the same target name
  | 'ARCHIVE_INVALID' // a docker-save archive is broken or contradicts itself
  | 'IMAGE_LIST_MISMATCH' // an RKE2 image tarball does not hold exactly the images its .txt list names
  | 'RKE2_SET_UNKNOWN' // the manifest asks for an image set the release does not have
  | 'CHART_INVALID' // a chart archive cannot be read as a Helm chart
  | 'CHART_VERSION_MISSING' // no chart version matches the manifest's version or range
  | 'CHART_PROVENANCE_INVALID' // a chart's .prov is missing (keyring given), unsigned by the keyring, or lists another sha256
  | 'CHART_RENDER_FAILED' // `helm template` refused the chart (its kubeVersion, a required value) or could not run
  | 'APT_UNSATISFIABLE' // an apt dependency cannot be satisfied from the configured suites
  | 'APT_SIGNATURE' // a Release file has no valid signature by a key in the keyring
  | 'APT_RELEASE_INVALID' // a Release file is unreadable, expired, or does not list what it must
  | 'SIGNATURE_MISSING' // spec.signatures requires a signature of an image and none was found
  | 'SIGNATURE_INVALID' // an image's signatures were found but none verifies under the rule's key or identity
  | 'DELTA_BASE_MISSING' // a delta bundle's push target lacks a blob the delta left out
  | 'UNSAFE_VALUE' // a name, path, version or annotation read from a bundle breaks its grammar or contradicts the lock
  | 'NOT_SUPPORTED'
  | 'IO_ERROR' // a file could not be read or written: details.path and details.errno (ENOSPC, EROFS, EACCES, …)
  | 'INTERRUPTED' // SIGINT or SIGTERM: the command stopped (exit 130 / 143)
  | 'INTERNAL';

export class FerryError extends Error {
  readonly code: ErrorCode;
  readonly details: Record<string, unknown>;

  constructor(code: ErrorCode, message: string, details: Record<string, unknown> = {}, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'FerryError';
    this.code = code;
    this.details = details;
  }
}

export function isFerryError(err: unknown, code?: ErrorCode): err is FerryError {
  return err instanceof FerryError && (code === undefined || err.code === code);
}

/** Integrity errors share an exit code (3) and a verdict in reports. */
export const INTEGRITY_CODES: ReadonlySet<ErrorCode> = new Set([
  'DIGEST_MISMATCH',
  'SIZE_MISMATCH',
  'CHECKSUM_MISSING',
  'INTEGRITY_FAILED',
  'ARCHIVE_INVALID',
  'IMAGE_LIST_MISMATCH',
  'APT_SIGNATURE',
  'CHART_PROVENANCE_INVALID',
  'APT_RELEASE_INVALID',
  'UNSAFE_VALUE',
  'SIGNATURE_MISSING',
  'SIGNATURE_INVALID',
]);

/**
 * A failure worth trying again from the start: the connection was lost or cut short (a NETWORK_ERROR not marked
 * otherwise: TLS, size limits and deadlines are not), or the server said 429 or 5xx. Integrity and auth failures never are.
 */
export function isTransient(err: unknown): boolean {
  if (!(err instanceof FerryError)) return false;
  const status = Number(err.details.status);
  return (
    (err.code === 'NETWORK_ERROR' && err.details.retriable !== false) ||
    (err.code === 'REGISTRY_ERROR' && (status === 429 || status >= 500))
  );
}
