import { FerryError } from '../core/errors.js';
import { redact } from '../core/redact.js';
import type { ProxyServer } from './proxy-env.js';
import { describeTlsError } from './tls-words.js';

const PROXY_LEG = Symbol('failed on the connection to the proxy');

/** Marks an error of the connection to the proxy itself (not of the target, inside the tunnel). */
export function markProxyLeg(err: Error): Error {
  return Object.assign(err, { [PROXY_LEG]: true });
}

const onProxyLeg = (err: unknown): boolean =>
  Boolean(
    (err as Record<symbol, unknown> | undefined)?.[PROXY_LEG] ||
    (err as { cause?: Record<symbol, unknown> } | undefined)?.cause?.[PROXY_LEG],
  );

/** Failures to reach the proxy at all: with a proxy in the way, every TCP connection ferry opens goes to it. */
const UNREACHABLE: Record<string, string> = {
  ECONNREFUSED: 'connection refused',
  ENOTFOUND: 'its name does not resolve',
  EAI_AGAIN: 'its name does not resolve (EAI_AGAIN)',
  EHOSTUNREACH: 'no route to it',
  ENETUNREACH: 'no route to it',
  ETIMEDOUT: 'the connection timed out',
  UND_ERR_CONNECT_TIMEOUT: 'the connection timed out',
};

/**
 * A request through `proxy` that the proxy refused, in one line naming the proxy (host:port, never its credentials),
 * the variable it came from, the target and the fix; any other error is returned as it is. undici reports a 407 to a
 * plain-HTTP request as "Proxy Authentication Required (407)" and any non-200 answer to CONNECT as
 * "Proxy response (N) !== 200 when HTTP Tunneling" (lib/dispatcher/proxy-agent.js).
 */
export function explainProxyError(err: Error, proxy: ProxyServer, target: URL, noProxy = 'NO_PROXY'): Error {
  const e = err as Error & { code?: string };
  const url = redact(target.toString());
  const via = `the proxy ${proxy.where} (${proxy.variable})`;
  const details = { url, proxy: proxy.where, variable: proxy.variable };
  const status = proxyStatus(e);
  // 407 is the proxy's "credentials, please" (RFC 9110 §15.5.8); tinyproxy answers wrong ones with 401 instead, which
  // to a CONNECT can only come from the proxy too.
  if (status === 407 || (status === 401 && isTunnel(e))) {
    const message = proxy.hasCredentials
      ? `${via} rejected the user and password given in ${proxy.variable} (HTTP ${status}) for ${url}: check them there`
      : `${via} wants credentials (HTTP ${status}) for ${url}: put them in ${proxy.variable}, as user:password@ in front of ${proxy.where}`;
    return new FerryError('AUTH_FAILED', message, { ...details, status, retriable: false }, { cause: err });
  }
  if (status !== undefined) {
    // What CONNECT asked for: host:port, the port written out (URL.host leaves a default port out; IPv6 stays bracketed).
    const tunnel = target.port ? target.host : `${target.host}:${target.protocol === 'https:' ? 443 : 80}`;
    const what =
      status === 403
        ? `refused to open a tunnel to ${tunnel} (HTTP 403) for ${url}: the proxy does not allow that host or port`
        : `could not open a tunnel to ${tunnel} (HTTP ${status}) for ${url}: the proxy could not reach it`;
    return new FerryError(
      'NETWORK_ERROR',
      `${via} ${what}; check ${proxy.variable} / ${noProxy} (a host listed in ${noProxy} is reached directly)`,
      { ...details, status, retriable: status >= 500 },
      { cause: err },
    );
  }
  // The proxy's own certificate (an https:// proxy): words of tls-words.ts, about the proxy rather than the target.
  const proxyHost = new URL(proxy.uri).host;
  const tls = onProxyLeg(err) ? describeTlsError(e.code === 'UND_ERR_PRX_TLS' ? e.cause : err, `https://${proxyHost}/`) : undefined;
  if (tls) {
    const words = tls.replace(`the server at ${proxyHost}`, via).replace(`the certificate of ${proxyHost}`, `the certificate of ${via}`);
    return new FerryError('NETWORK_ERROR', `${words} (for ${url})`, { ...details, retriable: false, tls: true }, { cause: err });
  }
  const reason = UNREACHABLE[e.code ?? ''];
  if (reason) {
    return new FerryError(
      'NETWORK_ERROR',
      `cannot reach ${via} for ${url}: ${reason}; check ${proxy.variable} / ${noProxy}`,
      { ...details, retriable: true },
      { cause: err },
    );
  }
  return err;
}

const isTunnel = (e: Error & { code?: string }) => e.code === 'UND_ERR_ABORTED' && e.message.includes('when HTTP Tunneling');

function proxyStatus(e: Error & { code?: string }): number | undefined {
  if (e.code === 'UND_ERR_INVALID_ARG' && /Proxy Authentication Required \(407\)/.test(e.message)) return 407;
  const m = e.code === 'UND_ERR_ABORTED' ? /^Proxy response \((\d{3})\) !== 200 when HTTP Tunneling/.exec(e.message) : null;
  return m ? Number(m[1]) : undefined;
}
