import { FerryError } from '../core/errors.js';
import { redact } from '../core/redact.js';
import { type NoProxy, parseNoProxy } from './no-proxy.js';

/** A proxy ferry sends requests through, as one of the proxy variables named it. */
export interface ProxyServer {
  /** The URL undici's ProxyAgent is given (credentials included: never shown). */
  uri: string;
  /** `host:port`, the proxy's name in messages and the trace. */
  where: string;
  /** The variable it came from (`https_proxy`, `HTTPS_PROXY`, `ALL_PROXY`…), named in messages. */
  variable: string;
  /** Whether the URL carries a user and a password (undici sends Proxy-Authorization only with both). */
  hasCredentials: boolean;
}

export interface ProxySettings {
  /** For http:// requests. */
  http?: ProxyServer;
  /** For https:// requests. */
  https?: ProxyServer;
  noProxy: NoProxy;
  /** The NO_PROXY variable that was read, for messages. */
  noProxyVariable: string;
}

/**
 * The proxy variables as curl reads them: `http_proxy` for http:// URLs, `https_proxy` for https:// URLs, `all_proxy`
 * for either when its own is unset, and `no_proxy` for the hosts that go direct. Each may also be written in upper case;
 * the lower-case one wins when both are set (curl's order), and an empty one counts as unset (Go's envOr). Unlike curl,
 * upper-case HTTP_PROXY is honoured too (as Go does), since ferry is never a CGI program (the "httpoxy" reason curl has).
 * A value without a scheme means http:// (`proxy.corp:3128`), as in curl and Go; a port-less one the scheme's port.
 * Every password found is passed to `onSecret` so that no output can show it.
 */
export function proxySettingsFromEnv(env: NodeJS.ProcessEnv, onSecret: (secret: string) => void = () => {}): ProxySettings {
  const all = pick(env, 'all_proxy');
  const http = pick(env, 'http_proxy') ?? all;
  const https = pick(env, 'https_proxy') ?? all;
  const noProxy = pick(env, 'no_proxy');
  const httpServer = http ? proxyServer(http.name, http.value, onSecret) : undefined;
  // One server (so one pool of connections to it) when both schemes take the same variable, ALL_PROXY.
  const httpsServer = https && https === http ? httpServer : https ? proxyServer(https.name, https.value, onSecret) : undefined;
  return {
    ...(httpServer ? { http: httpServer } : {}),
    ...(httpsServer ? { https: httpsServer } : {}),
    noProxy: parseNoProxy(noProxy?.value),
    noProxyVariable: noProxy?.name ?? 'NO_PROXY',
  };
}

function pick(env: NodeJS.ProcessEnv, lower: string): { name: string; value: string } | undefined {
  for (const name of [lower, lower.toUpperCase()]) {
    const value = env[name]?.trim();
    if (value) return { name, value };
  }
  return undefined;
}

/** One proxy URL checked: http:// or https://, a host, nothing after it but `/`; anything else is a usage error. */
export function proxyServer(variable: string, value: string, onSecret: (secret: string) => void = () => {}): ProxyServer {
  const text = /^[a-z][a-z0-9+.-]*:\/\//i.test(value) ? value : `http://${value}`;
  let url: URL | undefined;
  try {
    url = new URL(text);
  } catch {
    url = undefined;
  }
  // Secrets first, so that even the message about a bad value cannot show the password in it.
  if (url?.password) {
    onSecret(url.password);
    onSecret(decodeURIComponentSafe(url.password));
  }
  // No `scheme://user:password@host` in the words: the CLI's scrubber would mask the example itself.
  const expected =
    'expected http://host:port or https://host:port, with user:password@ in front of the host if the proxy wants credentials';
  const shown = redact(text);
  if (!url || url.hostname === '') throw new FerryError('USAGE', `${variable} is not a proxy URL (${shown}): ${expected}`, { variable });
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new FerryError(
      'USAGE',
      `${variable} names a ${url.protocol.replace(/:$/, '')}:// proxy (${shown}): ferry speaks to HTTP proxies only, ${expected}`,
      { variable },
    );
  }
  if ((url.pathname !== '/' && url.pathname !== '') || url.search !== '' || url.hash !== '') {
    throw new FerryError('USAGE', `${variable} has a path or query after the proxy's host (${shown}): ${expected}`, { variable });
  }
  const port = url.port !== '' ? url.port : url.protocol === 'https:' ? '443' : '80';
  return { uri: url.toString(), where: `${url.hostname}:${port}`, variable, hasCredentials: url.username !== '' && url.password !== '' };
}

function decodeURIComponentSafe(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}
