import { FerryError } from '../core/errors.js';
import { redact } from '../core/redact.js';
import type { ProxyServer } from './proxy-env.js';

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
export function explainProxyError(err: Error, proxy: ProxyServer, target: URL): Error {
  const e = err as Error & { code?: string };
  const url = redact(target.toString());
  const via = `the proxy ${proxy.where} (${proxy.variable})`;
  const details = { url, proxy: proxy.where, variable: proxy.variable };
  const status = proxyStatus(e);
  if (status === 407) {
    const message = proxy.hasCredentials
      ? `${via} rejected the user and password given in ${proxy.variable} (HTTP 407) for ${url}: check them there`
      : `${via} wants credentials (HTTP 407) for ${url}: put them in ${proxy.variable} as http://user:password@${proxy.where}`;
    return new FerryError('AUTH_FAILED', message, { ...details, status, retriable: false }, { cause: err });
  }
  if (status !== undefined) {
    const tunnel = `${target.hostname.includes(':') ? `[${target.hostname}]` : target.hostname}:${target.port || (target.protocol === 'https:' ? 443 : 80)}`;
    const what =
      status === 403
        ? `refused to open a tunnel to ${tunnel} (HTTP 403) for ${url}: the proxy does not allow that host or port`
        : `could not open a tunnel to ${tunnel} (HTTP ${status}) for ${url}: the proxy could not reach it`;
    return new FerryError('NETWORK_ERROR', `${via} ${what}; check ${proxy.variable} / NO_PROXY (a host listed in NO_PROXY is reached directly)`, { ...details, status, retriable: status >= 500 }, { cause: err });
  }
  const reason = UNREACHABLE[e.code ?? ''];
  if (reason) {
    return new FerryError('NETWORK_ERROR', `cannot reach ${via} for ${url}: ${reason}; check ${proxy.variable} / NO_PROXY`, { ...details, retriable: true }, { cause: err });
  }
  return err;
}

function proxyStatus(e: Error & { code?: string }): number | undefined {
  if (e.code === 'UND_ERR_INVALID_ARG' && /Proxy Authentication Required \(407\)/.test(e.message)) return 407;
  const m = e.code === 'UND_ERR_ABORTED' ? /^Proxy response \((\d{3})\) !== 200 when HTTP Tunneling/.exec(e.message) : null;
  return m ? Number(m[1]) : undefined;
}
