/**
 * How long ferry waits on an upstream, and how much of a response it holds in memory. A hostile or broken server
 * must not hang a pull (no headers, a body that stalls or trickles) nor fill memory (an endless token or error body).
 * The waits are seconds, settable for slow links, and for tests, by environment variable.
 */
export interface HttpTimeouts {
  /** Wait for response headers, and for each next body byte (undici headersTimeout / bodyTimeout). */
  timeoutMs: number;
  /** Overall deadline for a body read into memory (manifests, tokens, indexes, checksum lists), before any rate allowance. */
  deadlineMs: number;
}

export const DEFAULT_TIMEOUT_S = 30;
export const DEFAULT_DEADLINE_S = 120;
/**
 * Uploads wait longer for their answer: after the last byte of a large blob a registry may still be copying it to
 * its storage backend (undici's own default, 300 s).
 */
export const UPLOAD_HEADERS_TIMEOUT_MS = 300_000;
/**
 * A body read into memory gets `deadline` plus the time its expected length takes at this rate, so that a large
 * index on a slow link still arrives while a body trickled byte by byte does not hold a pull for long.
 */
export const MIN_BODY_RATE = 256 << 10; // bytes per second

/** Most bytes ferry reads into memory from each kind of response (docs/security.md, "Bounds"). */
export const BodyLimit = {
  /** distribution-spec: registries should accept manifests of at least 4 MiB; ferry reads no more. */
  manifest: 4 << 20,
  /** Bearer token responses (a JWT is a few KB). */
  token: 1 << 20,
  /** An error body is quoted in a message: the first 64 KiB are plenty; the rest is never read. */
  errorBody: 64 << 10,
  /** One page of a tag list or catalog (a registry ignoring `n` may send every tag at once). */
  listPage: 32 << 20,
} as const;

/** FERRY_HTTP_TIMEOUT and FERRY_HTTP_DEADLINE (seconds; fractions allowed), else the defaults. */
export function httpTimeoutsFromEnv(env: NodeJS.ProcessEnv = process.env): HttpTimeouts {
  const seconds = (name: string, fallback: number) => {
    const v = Number(env[name]);
    return (Number.isFinite(v) && v > 0 ? v : fallback) * 1000;
  };
  return { timeoutMs: seconds('FERRY_HTTP_TIMEOUT', DEFAULT_TIMEOUT_S), deadlineMs: seconds('FERRY_HTTP_DEADLINE', DEFAULT_DEADLINE_S) };
}
