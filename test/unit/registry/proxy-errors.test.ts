import { describe, expect, it } from 'vitest';
import { FerryError } from '../../../src/core/errors.js';
import { redactText } from '../../../src/core/redact.js';
import { explainProxyError } from '../../../src/registry/proxy-errors.js';
import { proxyServer } from '../../../src/registry/proxy-env.js';

// The errors undici 7 raises (lib/dispatcher/proxy-agent.js), as the integration test meets them from tinyproxy.
const undiciError = (code: string, message: string) => Object.assign(new Error(message), { code });
const target = new URL('https://registry.corp/v2/app/manifests/v1?token=abc');

describe('explainProxyError', () => {
  const open = proxyServer('HTTPS_PROXY', 'http://proxy.corp:3128');
  const withCreds = proxyServer('https_proxy', 'http://alice:Zq7Kx-pw@proxy.corp:3128');

  it('407: credentials wanted, or the given ones rejected; never the password, and words the scrubber leaves alone', () => {
    const asked = explainProxyError(
      undiciError('UND_ERR_ABORTED', 'Proxy response (407) !== 200 when HTTP Tunneling'),
      open,
      target,
    ) as FerryError;
    expect(asked.code).toBe('AUTH_FAILED');
    expect(asked.message).toBe(
      'the proxy proxy.corp:3128 (HTTPS_PROXY) wants credentials (HTTP 407) for https://registry.corp/v2/app/manifests/v1?…: put them in HTTPS_PROXY, as user:password@ in front of proxy.corp:3128',
    );
    expect(redactText(asked.message)).toBe(asked.message);
    const rejected = explainProxyError(
      undiciError('UND_ERR_INVALID_ARG', 'Proxy Authentication Required (407)'),
      withCreds,
      target,
    ) as FerryError;
    expect(rejected.message).toMatch(
      /^the proxy proxy\.corp:3128 \(https_proxy\) rejected the user and password given in https_proxy \(HTTP 407\)/,
    );
    expect(JSON.stringify({ m: rejected.message, d: rejected.details })).not.toContain('Zq7Kx');
    expect(rejected.details).toMatchObject({ retriable: false, proxy: 'proxy.corp:3128', variable: 'https_proxy' });
  });

  it('a refused tunnel names the tunnel asked for; a 5xx says the proxy could not reach it and may be retried', () => {
    const denied = explainProxyError(
      undiciError('UND_ERR_ABORTED', 'Proxy response (403) !== 200 when HTTP Tunneling'),
      open,
      target,
    ) as FerryError;
    expect(denied.message).toBe(
      'the proxy proxy.corp:3128 (HTTPS_PROXY) refused to open a tunnel to registry.corp:443 (HTTP 403) for https://registry.corp/v2/app/manifests/v1?…: the proxy does not allow that host or port; check HTTPS_PROXY / NO_PROXY (a host listed in NO_PROXY is reached directly)',
    );
    expect(denied.details.retriable).toBe(false);
    const failed = explainProxyError(
      undiciError('UND_ERR_ABORTED', 'Proxy response (502) !== 200 when HTTP Tunneling'),
      open,
      new URL('https://[fd00::1]:5000/v2/'),
    ) as FerryError;
    expect(failed.message).toContain('could not open a tunnel to [fd00::1]:5000 (HTTP 502)');
    expect(failed.details.retriable).toBe(true);
  });

  it('a proxy that cannot be reached keeps the cause (so the transport retries it) and names the proxy', () => {
    const cause = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:3128'), { code: 'ECONNREFUSED' });
    const e = explainProxyError(cause, open, target) as FerryError;
    expect(e.message).toBe(
      'cannot reach the proxy proxy.corp:3128 (HTTPS_PROXY) for https://registry.corp/v2/app/manifests/v1?…: connection refused; check HTTPS_PROXY / NO_PROXY',
    );
    expect(e.cause).toBe(cause);
  });

  it('anything else (an abort, a reset inside the tunnel) is passed on as it is', () => {
    for (const err of [
      undiciError('UND_ERR_ABORTED', 'This operation was aborted'),
      undiciError('ECONNRESET', 'other side closed'),
      undiciError('UND_ERR_BODY_TIMEOUT', 'Body Timeout Error'),
    ]) {
      expect(explainProxyError(err, open, target)).toBe(err);
    }
  });
});
