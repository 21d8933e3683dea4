import { describe, expect, it } from 'vitest';
import { FerryError } from '../../../src/core/errors.js';
import { redactText } from '../../../src/core/redact.js';
import { proxySettingsFromEnv } from '../../../src/registry/proxy-env.js';

const settings = (env: NodeJS.ProcessEnv, secrets: string[] = []) => proxySettingsFromEnv(env, (s) => secrets.push(s));

describe('proxy variables', () => {
  it('none set: no proxy for either scheme', () => {
    const s = settings({ PATH: '/usr/bin' });
    expect(s.http).toBeUndefined();
    expect(s.https).toBeUndefined();
  });

  it('https_proxy for https://, http_proxy for http://, all_proxy for whichever is unset', () => {
    const s = settings({ HTTPS_PROXY: 'http://tls-proxy:3128', HTTP_PROXY: 'http://plain-proxy:8080', NO_PROXY: '.corp' });
    expect(s.https).toMatchObject({ where: 'tls-proxy:3128', variable: 'HTTPS_PROXY', hasCredentials: false });
    expect(s.http).toMatchObject({ where: 'plain-proxy:8080', variable: 'HTTP_PROXY' });
    expect(s.noProxy.bypasses('https://x.corp/')).toBe(true);
    expect(s.noProxyVariable).toBe('NO_PROXY');
    const all = settings({ ALL_PROXY: 'http://all:1', https_proxy: 'http://tls:2' });
    expect(all.https?.where).toBe('tls:2');
    expect(all.http).toMatchObject({ where: 'all:1', variable: 'ALL_PROXY' });
    // Both schemes from ALL_PROXY share one server (and so one pool of connections to it).
    const shared = settings({ all_proxy: 'http://all:1' });
    expect(shared.https).toBe(shared.http);
  });

  it('the lower-case variable wins over the upper-case one, as in curl; an empty one counts as unset', () => {
    const s = settings({ https_proxy: 'http://lower:1', HTTPS_PROXY: 'http://upper:2', no_proxy: 'a.corp', NO_PROXY: 'b.corp' });
    expect(s.https).toMatchObject({ where: 'lower:1', variable: 'https_proxy' });
    expect(s.noProxy.bypasses('https://a.corp/')).toBe(true);
    expect(s.noProxy.bypasses('https://b.corp/')).toBe(false);
    expect(s.noProxyVariable).toBe('no_proxy');
    expect(settings({ https_proxy: '', HTTPS_PROXY: 'http://upper:2' }).https?.where).toBe('upper:2');
    expect(settings({ HTTPS_PROXY: '   ' }).https).toBeUndefined();
  });

  it('reads a value without a scheme as http://, and a port-less one with the scheme’s port', () => {
    expect(settings({ HTTPS_PROXY: 'proxy.corp:3128' }).https).toMatchObject({ uri: 'http://proxy.corp:3128/', where: 'proxy.corp:3128' });
    expect(settings({ HTTPS_PROXY: 'http://proxy.corp' }).https?.where).toBe('proxy.corp:80');
    expect(settings({ HTTPS_PROXY: 'https://proxy.corp/' }).https?.where).toBe('proxy.corp:443');
    expect(settings({ HTTPS_PROXY: 'http://[::1]:3128' }).https?.where).toBe('[::1]:3128');
  });

  it('hands every proxy password to onSecret, as written and decoded, and never names it', () => {
    const secrets: string[] = [];
    const s = settings({ HTTPS_PROXY: 'http://alice:p%40ss-Zq7Kx@proxy:3128' }, secrets);
    expect(secrets).toEqual(['p%40ss-Zq7Kx', 'p@ss-Zq7Kx']);
    expect(s.https).toMatchObject({ where: 'proxy:3128', hasCredentials: true });
    expect(JSON.stringify({ where: s.https?.where, variable: s.https?.variable })).not.toContain('Zq7Kx');
  });

  it('a malformed value is a usage error naming the variable, never showing the password', () => {
    const cases: [NodeJS.ProcessEnv, RegExp][] = [
      [
        { HTTPS_PROXY: 'http://[bad' },
        /^HTTPS_PROXY is not a proxy URL \(http:\/\/\[bad\): expected http:\/\/host:port or https:\/\/host:port, with user:password@ in front of the host if the proxy wants credentials$/,
      ],
      [{ https_proxy: 'http://alice:Zq7Kx-pw@proxy:99999' }, /^https_proxy is not a proxy URL \(http:\/\/\*\*\*@proxy:99999\)/],
      [
        { HTTP_PROXY: 'socks5://alice:Zq7Kx-pw@proxy:1080' },
        /^HTTP_PROXY names a socks5:\/\/ proxy \(socks5:\/\/\*\*\*@proxy:1080\): ferry speaks to HTTP proxies only/,
      ],
      [{ ALL_PROXY: 'http://proxy:3128/some/path' }, /^ALL_PROXY has a path or query after the proxy's host/],
      [{ HTTPS_PROXY: 'http://proxy:3128?x=1' }, /^HTTPS_PROXY has a path or query/],
    ];
    for (const [env, message] of cases) {
      let caught: unknown;
      try {
        settings(env);
      } catch (err) {
        caught = err;
      }
      expect(caught, JSON.stringify(env)).toBeInstanceOf(FerryError);
      expect((caught as FerryError).code).toBe('USAGE');
      expect((caught as FerryError).message).toMatch(message);
      expect((caught as FerryError).message).not.toContain('Zq7Kx');
      // The CLI's last filter leaves the words alone (the hint holds no `scheme://user:password@host` to mask).
      expect(redactText((caught as FerryError).message)).toBe((caught as FerryError).message);
    }
  });
});
