import { type ErrorCode, FerryError } from '../core/errors.js';
import { redact } from '../core/redact.js';
import { readPrefix } from './read-body.js';
import type { HttpResponse } from './transport.js';

/**
 * Turns an unexpected registry answer into a FerryError, quoting the spec's error body
 * (`{"errors":[{"code","message","detail"}]}`, distribution-spec "Error Codes") when there is one. Any 4xx body may
 * be non-JSON; it is then quoted briefly.
 */
export async function registryError(res: HttpResponse, what: string, code?: ErrorCode): Promise<FerryError> {
  // Only the start of the body is read (an error body may be endless); the message quotes at most 2000 characters.
  const text = (await readPrefix(res)).slice(0, 2000);
  let registryCode: string | undefined;
  let detail = '';
  try {
    const first = (JSON.parse(text) as { errors?: { code?: string; message?: string; detail?: unknown }[] }).errors?.[0];
    if (first) {
      registryCode = first.code;
      detail = `${first.code ?? ''}${first.message ? `: ${first.message}` : ''}${first.detail ? ` (${JSON.stringify(first.detail).slice(0, 300)})` : ''}`;
    }
  } catch {
    detail = text.trim().split('\n')[0]?.slice(0, 200) ?? '';
  }
  // Go's TLS server (distribution) answers a plain-HTTP request with a bare "400 Bad Request", no header at all (not
  // even Date, which every answer of a Go handler has), and "Client sent an HTTP request to an HTTPS server." (a HEAD
  // request gets no body): the registry speaks TLS.
  const bare400 = res.status === 400 && (/HTTP request to an HTTPS server/i.test(text) || Object.keys(res.headers).length === 0);
  if (bare400 && res.url.startsWith('http:')) {
    const host = new URL(res.url).host;
    return new FerryError(
      'NETWORK_ERROR',
      `the registry at ${host} speaks TLS, not plain HTTP: drop --plain-http, or write https://${host} in --registry or --mirror (${what})`,
      { status: 400, tls: true, url: redact(res.url) },
    );
  }
  const c: ErrorCode =
    code ??
    (res.status === 401 || res.status === 403 ? 'AUTH_FAILED' : registryCode === 'DIGEST_INVALID' ? 'DIGEST_MISMATCH' : 'REGISTRY_ERROR');
  return new FerryError(c, `${what}: HTTP ${res.status}${detail ? ` ${detail}` : ''}`, {
    status: res.status,
    registryCode,
    url: redact(res.url),
  });
}
