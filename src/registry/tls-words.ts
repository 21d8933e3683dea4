/**
 * TLS failures in words that name the fix, instead of OpenSSL's dump ("801C…:error:0A00010B:SSL
 * routines:ssl3_get_record:wrong version number:…"): an https:// request answered in plain HTTP, a certificate ferry
 * does not trust, a name the certificate does not cover. A request to the registry API (`/v2/…`) names the registry
 * flags; any other URL (a file download) the URL's scheme.
 */
const PLAIN_ANSWER = new Set(['ERR_SSL_WRONG_VERSION_NUMBER', 'ERR_SSL_PACKET_LENGTH_TOO_LONG', 'ERR_SSL_HTTP_REQUEST']);
const UNTRUSTED = new Set([
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'CERT_UNTRUSTED',
]);
const EXPIRED = new Set(['CERT_HAS_EXPIRED', 'CERT_NOT_YET_VALID']);

const codeOf = (err: unknown): string => {
  const e = err as { code?: unknown; cause?: { code?: unknown } } | undefined;
  return String(e?.code ?? e?.cause?.code ?? '');
};

/** The words for a TLS failure of a request to `url`, or undefined when `err` is none. */
export function describeTlsError(err: unknown, url: string): string | undefined {
  const code = codeOf(err);
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return undefined;
  }
  const registry = u.pathname.startsWith('/v2/');
  const host = u.host;
  if (PLAIN_ANSWER.has(code) || /wrong version number|packet length too long|http request/i.test(String((err as Error)?.message))) {
    return registry
      ? `the registry at ${host} answered plain HTTP: add --plain-http, or write http://${host} in --registry or --mirror`
      : `the server at ${host} answered plain HTTP to an https:// request: use http://${host}${u.pathname === '/' ? '' : '/…'}`;
  }
  const reason = (err as Error)?.message ?? code;
  if (UNTRUSTED.has(code)) {
    return `the ${registry ? 'registry' : 'server'} at ${host} presented a certificate ferry does not trust (${reason}): give its CA with --ca-file, or skip the check with --insecure`;
  }
  if (EXPIRED.has(code)) return `the certificate of ${host} is not valid now (${reason}): renew it, or skip the check with --insecure`;
  if (code === 'ERR_TLS_CERT_ALTNAME_INVALID') {
    return `the certificate of ${host} does not name ${u.hostname} (${reason}): connect by a name the certificate holds, or skip the check with --insecure`;
  }
  return undefined;
}

/**
 * A plain-HTTP request that the server dropped without an answer, or answered as a TLS server (Go's "Client sent an
 * HTTP request to an HTTPS server"): the hint that it may speak TLS.
 */
export function plainToTlsHint(url: string): string | undefined {
  try {
    const u = new URL(url);
    if (u.protocol !== 'http:') return undefined;
    return u.pathname.startsWith('/v2/')
      ? `if the registry at ${u.host} speaks TLS, drop --plain-http, or write https://${u.host} in --registry or --mirror`
      : `if the server at ${u.host} speaks TLS, use https://${u.host}${u.pathname === '/' ? '' : '/…'}`;
  } catch {
    return undefined;
  }
}
